"""The API rights an install needs: what `wbinstall` applies (wbinstall/manifests) by
server-side apply, which is a PATCH that creates the object when it is missing — so each
kind needs both `create` and `patch`. The probe asks the server one review per (verb, kind).
"""

from __future__ import annotations

from dataclasses import dataclass

APPLY_VERBS = ("create", "patch")


@dataclass(frozen=True)
class Need:
    group: str
    resource: str
    namespaced: bool
    what: str  # what the install applies of this kind, for the remedy

    @property
    def resource_name(self) -> str:
        return f"{self.resource}.{self.group}" if self.group else self.resource


INSTALL_NEEDS: tuple[Need, ...] = (
    Need("apiextensions.k8s.io", "customresourcedefinitions", False, "the WeightsAndBiases CRD"),
    Need("rbac.authorization.k8s.io", "clusterroles", False, "the operator's ClusterRole"),
    Need("rbac.authorization.k8s.io", "clusterrolebindings", False, "the operator's ClusterRoleBinding"),
    Need("", "namespaces", False, "the install namespace"),
    Need("", "secrets", True, "license, MySQL and bucket Secrets"),
    Need("", "serviceaccounts", True, "the operator's ServiceAccount"),
    Need("apps", "deployments", True, "the operator's Deployment"),
    Need("rbac.authorization.k8s.io", "roles", True, "the operator's leader-election Role"),
    Need("rbac.authorization.k8s.io", "rolebindings", True, "the operator's RoleBinding"),
    Need("apps.wandb.com", "weightsandbiases", True, "the WeightsAndBiases resource"),
)
