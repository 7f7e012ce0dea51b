"""Kubeconfig files for the sandbox, shaped like the ones cloud CLIs write
(CA inlined, one cluster, users with inlined client certificates or bearer tokens)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class KubeUser:
    name: str
    cert_pem: bytes | None = None
    key_pem: bytes | None = None
    token: str | None = None

    def as_kubeconfig_user(self) -> dict:
        if self.token:
            return {"token": self.token}
        return {"client-certificate-data": _b64(self.cert_pem),
                "client-key-data": _b64(self.key_pem)}


def _b64(data: bytes | None) -> str:
    return base64.b64encode(data or b"").decode()


def kubeconfig_dict(cluster_name: str, server: str, ca_pem: bytes,
                    contexts: dict[str, tuple[KubeUser, str]], current: str) -> dict:
    """contexts: context name -> (user, default namespace)."""
    users = {user.name: user for user, _ in contexts.values()}
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name,
                      "cluster": {"server": server, "certificate-authority-data": _b64(ca_pem)}}],
        "users": [{"name": name, "user": user.as_kubeconfig_user()}
                  for name, user in users.items()],
        "contexts": [{"name": ctx, "context": {"cluster": cluster_name, "user": user.name,
                                               "namespace": namespace}}
                     for ctx, (user, namespace) in contexts.items()],
        "current-context": current,
        "preferences": {},
    }


def write_kubeconfig(path: Path, cluster_name: str, server: str, ca_pem: bytes,
                     contexts: dict[str, tuple[KubeUser, str]], current: str) -> Path:
    path = Path(path)
    path.write_text(yaml.safe_dump(
        kubeconfig_dict(cluster_name, server, ca_pem, contexts, current), sort_keys=False))
    path.chmod(0o600)
    return path
