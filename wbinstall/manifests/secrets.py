"""Secrets the install creates: license, MySQL password, bucket keys (Azure: the account key), TLS from files.

These are the only objects that carry secret values; everything else references them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wbinstall.answers import Answers, Secrets
from wbinstall.answers.files import read_text, resolve
from wbinstall.manifests.operator import defaults

Obj = dict[str, Any]


def _secret(answers: Answers, name: str, data: dict[str, str], kind: str = "Opaque") -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": answers.kubernetes.namespace, "labels": {"app.kubernetes.io/managed-by": "wbinstall"}},
        "type": kind,
        "stringData": data,
    }


def objects(answers: Answers, secrets: Secrets, base_dir: Path) -> list[Obj]:
    names = defaults()["secrets"]
    out = [
        _secret(answers, names["license"]["name"], {names["license"]["key"]: secrets[("license",)]}),
        _secret(answers, names["mysql"]["name"], {names["mysql"]["key"]: secrets[("mysql", "password")]}),
    ]
    if ("storage", "accountKey") in secrets:  # Azure: the chart reads the account key as the access key
        bucket = names["bucket"]
        out.append(_secret(answers, bucket["name"], {bucket["accessKey"]: secrets[("storage", "accountKey")]}))
    if ("storage", "accessKey") in secrets:
        bucket = names["bucket"]
        out.append(_secret(answers, bucket["name"], {
            bucket["accessKey"]: secrets[("storage", "accessKey")],
            bucket["secretKey"]: secrets[("storage", "secretKey")],
        }))
    ingress = answers.ingress
    if ingress.cert_file and ingress.key_file:
        out.append(_secret(answers, names["tls"]["name"], {
            "tls.crt": _read(ingress.cert_file, base_dir),
            "tls.key": _read(ingress.key_file, base_dir),
        }, "kubernetes.io/tls"))
    return out


def _read(path: str, base_dir: Path) -> str:
    return read_text(resolve(path, base_dir))
