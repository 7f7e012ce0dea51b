"""Put the install together in apply order and print it as YAML that `kubectl apply -f -` takes."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from wbinstall.answers import Answers, Secrets
from wbinstall.manifests import custom_resource, operator, secrets

Obj = dict[str, Any]
REDACTED = "<redacted: wbinstall render --show-secrets prints the value>"


def render(answers: Answers, resolved: Secrets, base_dir: Path) -> list[Obj]:
    """Namespace, CRD, ServiceAccount, RBAC, controller Deployment, Secrets, WeightsAndBiases."""
    return [
        operator.namespace(answers),
        *operator.objects(answers),
        *secrets.objects(answers, resolved, base_dir),
        custom_resource.wandb_resource(answers),
    ]


def redact(objects: list[Obj]) -> list[Obj]:
    out = []
    for obj in objects:
        if obj.get("kind") == "Secret":
            obj = copy.deepcopy(obj)
            for field in ("stringData", "data"):
                if field in obj:
                    obj[field] = {key: REDACTED for key in obj[field]}
        out.append(obj)
    return out


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Multi-line values (PEM certificates) as block literals, readable in review.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(objects: list[Obj], show_secrets: bool = False) -> str:
    shown = objects if show_secrets else redact(objects)
    return yaml.dump_all(shown, Dumper=_Dumper, sort_keys=False, default_flow_style=False, explicit_start=True)
