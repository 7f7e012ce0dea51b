"""The names an install gives what it creates (assets/operator/defaults.yaml), for the code that
renders them (wbinstall.manifests) and the checks that look for them afterwards (verify.*)."""

from __future__ import annotations

from typing import Any

from wbinstall import data


def resource_name() -> str:
    """The WeightsAndBiases resource's name."""
    return data.load("operator/defaults.yaml")["customResource"]["name"]


def tls_secret_name(answers: Any) -> str | None:
    """The Secret W&B's Ingress serves TLS from: the one named in the answers, or the one the
    install creates from ingress.certFile; None when TLS ends before the cluster."""
    ing = answers.ingress
    return ing.tls_secret or (data.load("operator/defaults.yaml")["secrets"]["tls"]["name"] if ing.cert_file else None)
