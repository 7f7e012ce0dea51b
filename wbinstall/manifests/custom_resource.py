"""The WeightsAndBiases (apps.wandb.com/v1) resource: spec.values for the operator-wandb chart.

It references Secrets by name and never carries a secret value (wandb-operator.md §1.4, §4.4).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from wbinstall.answers import Answers
from wbinstall.installed_names import resource_name, tls_secret_name
from wbinstall.manifests.operator import defaults

Obj = dict[str, Any]


def name() -> str:
    return resource_name()


def wandb_resource(answers: Answers) -> Obj:
    names = defaults()["secrets"]
    values: dict[str, Any] = {
        "global": {
            "host": f"https://{answers.host}",
            "licenseSecret": {"name": names["license"]["name"], "key": names["license"]["key"]},
            "bucket": _bucket(answers),
            "mysql": _mysql(answers),
        },
        "ingress": _ingress(answers),
    }
    spec: dict[str, Any] = {"values": values}
    if chart := _chart(answers):
        spec["chart"] = chart
    return {
        "apiVersion": "apps.wandb.com/v1",
        "kind": "WeightsAndBiases",
        "metadata": {
            "name": name(),
            "namespace": answers.kubernetes.namespace,
            "labels": {"app.kubernetes.io/managed-by": "wbinstall"},
        },
        "spec": spec,
    }


def _bucket(answers: Answers) -> dict[str, Any]:
    """global.bucket as the operator-wandb chart reads it (templates/_bucket.tpl; wandb-operator.md §4.4)."""
    s = answers.storage
    bucket: dict[str, Any]
    if s.provider == "s3":
        bucket = {"provider": "s3", "name": s.bucket, "region": s.region}
        if s.kms_key:
            bucket["kmsKey"] = s.kms_key
    elif s.provider == "s3-compatible":
        # The chart's S3-compatible form: name = endpoint host[:port], path = bucket[/prefix];
        # ?tls=true makes the app use HTTPS; kmsKey must be null outside AWS.
        endpoint = urlsplit(s.endpoint or "")
        path = s.bucket + (f"/{s.path.strip('/')}" if s.path else "")
        if endpoint.scheme == "https":
            path += "?tls=true"
        return _with_keys(answers, {"provider": "s3", "name": endpoint.netloc, "path": path,
                                    "region": s.region or "us-east-1", "kmsKey": None})
    elif s.provider == "gcs":
        # gs://<name>[/<path>]. The chart has no field for a key file: W&B's pods reach GCS through
        # workload identity (or the nodes' service account); storage.serviceAccountKey serves the checks only.
        bucket = {"provider": "gcs", "name": s.bucket}
    else:
        # az://<account>/<container>[/<prefix>]; the chart reads the account key from the bucket
        # Secret's access-key entry (W&B's docs say secretKey; the chart and terraform-azurerm-wandb use
        # the access key).
        path = s.bucket + (f"/{s.path.strip('/')}" if s.path else "")
        bucket = {"provider": "az", "name": s.account, "path": path}
        if s.account_key is not None:
            names = defaults()["secrets"]["bucket"]
            bucket["secret"] = {"secretName": names["name"], "accessKeyName": names["accessKey"]}
        return bucket
    if s.path:
        bucket["path"] = s.path.strip("/")
    return _with_keys(answers, bucket)


def _with_keys(answers: Answers, bucket: dict[str, Any]) -> dict[str, Any]:
    if answers.storage.access_key is not None:
        names = defaults()["secrets"]["bucket"]
        bucket["secret"] = {"secretName": names["name"], "accessKeyName": names["accessKey"], "secretKeyName": names["secretKey"]}
    return bucket


def _mysql(answers: Answers) -> dict[str, Any]:
    m = answers.mysql
    secret = defaults()["secrets"]["mysql"]
    return {
        "host": m.host,
        "port": m.port,
        "database": m.database,
        "user": m.user,
        "passwordSecret": {"name": secret["name"], "passwordKey": secret["key"]},
    }


def _ingress(answers: Answers) -> dict[str, Any]:
    ing = answers.ingress
    out: dict[str, Any] = {}
    if ing.class_:
        out["class"] = ing.class_
        if annotations := defaults()["ingressAnnotations"].get(ing.class_):
            out["annotations"] = dict(annotations)
    if tls_secret := tls_secret_name(answers):
        out["tls"] = [{"secretName": tls_secret, "hosts": [answers.host]}]
    return out


def _chart(answers: Answers) -> dict[str, Any] | None:
    version = answers.operator.chart_version
    if not version:
        return None
    chart = defaults()["chart"]
    registry = answers.operator.airgap.registry
    if registry:  # an OCI mirror: the chart name is part of the URL
        return {"url": f"oci://{registry.rstrip('/')}/charts/{chart['name']}", "version": version}
    return {"url": chart["repository"], "name": chart["name"], "version": version}
