"""Python kubernetes clients for sandbox kubeconfigs (the same library the wizard uses)."""

from __future__ import annotations

from pathlib import Path

from kubernetes import client, config


def api_client_from_kubeconfig(kubeconfig: str | Path, context: str | None = None) -> client.ApiClient:
    """An ApiClient for one kubeconfig context. Proxy variables from the environment are
    ignored: the sandbox is on loopback and nothing may leave the machine."""
    cfg = client.Configuration()
    config.load_kube_config(config_file=str(kubeconfig), context=context,
                            client_configuration=cfg, persist_config=False)
    cfg.proxy = None
    return client.ApiClient(cfg)
