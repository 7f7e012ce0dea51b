"""The W&B operator (v1) install: namespace, CRD, RBAC and the controller Deployment."""

from __future__ import annotations

from typing import Any

from wbinstall import data
from wbinstall.answers import Answers

Obj = dict[str, Any]


def defaults() -> dict[str, Any]:
    return data.load("operator/defaults.yaml")


def controller_image(answers: Answers) -> str:
    if answers.operator.image:
        return answers.operator.image
    controller = defaults()["controller"]
    image = f"{controller['image']}:{controller['tag']}"
    registry = answers.operator.airgap.registry
    return f"{registry.rstrip('/')}/{image}" if registry else image


def namespace(answers: Answers) -> Obj:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": answers.kubernetes.namespace}}


def objects(answers: Answers) -> list[Obj]:
    """CRD, ServiceAccount, ClusterRole(+Binding), leader-election Role(+Binding), Deployment."""
    ns = answers.kubernetes.namespace
    out = []
    for obj in data.load_all("operator/install.yaml"):
        kind = obj["kind"]
        if kind not in ("CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"):
            obj["metadata"]["namespace"] = ns
        for subject in obj.get("subjects", []):
            subject["namespace"] = ns
        if kind == "Deployment":
            _configure_controller(obj, answers)
        out.append(obj)
    return out


def _configure_controller(deployment: Obj, answers: Answers) -> None:
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["image"] = controller_image(answers)
    service_account = deployment["spec"]["template"]["spec"]["serviceAccountName"]
    container["env"] = [
        {"name": "OPERATOR_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {"name": "SERVICE_ACCOUNT_NAME", "value": service_account},
        {"name": "WANDB_MANAGER_SERVICE_ACCOUNT", "value": service_account},
        {"name": "AIRGAPPED", "value": "true" if answers.operator.airgap.registry else "false"},
    ]
