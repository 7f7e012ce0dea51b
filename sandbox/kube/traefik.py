"""A real ingress controller for the sandbox: Traefik v3 (k3s's default), built from the Go
module proxy by sandbox/build-binaries.sh, run outside the cluster as a process of ours.

It watches the sandbox's Ingresses of class `traefik` through the admin kubeconfig (its
Kubernetes Ingress provider reads $KUBECONFIG), copies the address of its LoadBalancer Service
(sandbox-ingress/traefik, which the sandbox sets to 127.0.0.1 as klipper-lb would) into their
status, and serves them on 127.0.0.1: HTTP, HTTPS with the certificate of the Secret each Ingress
names (or its default certificate when none matches), and its API and /ping on a third port.

Loopback only, by construction: every entry point binds 127.0.0.1; it never checks for a new
version nor sends usage data; the Services it can route to have no endpoints (the sandbox runs
no endpoint controllers), except ExternalName Services, which the sandbox points at 127.0.0.1
(the operator stand-in's app Service, to the stand-in W&B backend). tests/sandbox/test_traefik.py
reads its routing table from its API and checks every server in it is in 127.0.0.0/8.

One dynamic middleware, `limit-body@file` (a 1 MB request body limit), lets a test play a
controller that refuses W&B's uploads: annotate an Ingress with
`traefik.ingress.kubernetes.io/router.middlewares: limit-body@file`.
"""

from __future__ import annotations

import ipaddress
import json
import urllib.request
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client
from kubernetes.client.rest import ApiException

from sandbox.kube.ingress_standin import SERVICE_NAMESPACE, ensure_load_balancer_service
from sandbox.procs import LOOPBACK, ManagedProcess, free_port

CLASS_NAME = "traefik"
CONTROLLER_NAME = "traefik.io/ingress-controller"
SERVICE_NAME = "traefik"  # in ingress_standin.SERVICE_NAMESPACE
BODY_LIMIT_MIDDLEWARE = "limit-body@file"
BODY_LIMIT_BYTES = 1_000_000
MIDDLEWARES_ANNOTATION = "traefik.ingress.kubernetes.io/router.middlewares"


def ensure_ingress_class(api: client.ApiClient) -> None:
    """The IngressClass Traefik's Helm chart creates (not the cluster default: the stand-in's is)."""
    net = client.NetworkingV1Api(api)
    body = client.V1IngressClass(
        metadata=client.V1ObjectMeta(name=CLASS_NAME, labels={"app.kubernetes.io/name": "traefik"}),
        spec=client.V1IngressClassSpec(controller=CONTROLLER_NAME))
    try:
        net.create_ingress_class(body)
    except ApiException as e:
        if e.status != 409:
            raise


def ensure_service(api: client.ApiClient, address: str = LOOPBACK) -> None:
    """Traefik's LoadBalancer Service (its Helm chart's names), no endpoints, at `address` as a
    load balancer in front of it would publish."""
    ensure_load_balancer_service(api, SERVICE_NAME, {"app.kubernetes.io/name": "traefik"},
                                 {"web": 80, "websecure": 443}, address)


class SandboxTraefik:
    """Traefik against a running KubeCluster. `default_cert`: (certFile, keyFile) it serves when
    no Ingress's Secret matches the name asked for (Traefik's own self-signed one otherwise)."""

    def __init__(self, binary: Path, kubeconfig: Path, workdir: Path, api: client.ApiClient,
                 default_cert: tuple[Path, Path] | None = None, address: str = LOOPBACK,
                 log_path: Path | None = None) -> None:
        if not ipaddress.ip_address(address).is_loopback:
            raise ValueError(f"Traefik listens on loopback only, not {address}")
        self.binary, self.kubeconfig, self.workdir, self.api = binary, kubeconfig, workdir, api
        self.default_cert, self.address = default_cert, address
        self.log_path = log_path or workdir / "traefik.log"
        self.http_port, self.https_port, self.api_port = free_port(), free_port(), free_port()
        self.process: ManagedProcess | None = None

    @property
    def https_address(self) -> str:
        return f"{self.address}:{self.https_port}"

    def _static_config(self, dynamic: Path) -> dict:
        return {
            "global": {"checkNewVersion": False, "sendAnonymousUsage": False},
            "log": {"level": "INFO", "noColor": True},
            "entryPoints": {
                "web": {"address": f"{self.address}:{self.http_port}"},
                "websecure": {"address": f"{self.address}:{self.https_port}", "http": {"tls": {}}},
                "traefik": {"address": f"{self.address}:{self.api_port}"},
            },
            "api": {"insecure": True, "dashboard": False},
            "ping": {},
            "providers": {
                "kubernetesIngress": {
                    "ingressClass": CLASS_NAME,
                    "allowExternalNameServices": True,
                    "ingressEndpoint": {"publishedService": f"{SERVICE_NAMESPACE}/{SERVICE_NAME}"},
                },
                "file": {"filename": str(dynamic), "watch": False},
            },
        }

    def _dynamic_config(self) -> dict:
        config: dict[str, Any] = {"http": {"middlewares": {"limit-body": {
            "buffering": {"maxRequestBodyBytes": BODY_LIMIT_BYTES}}}}}
        if self.default_cert:
            cert, key = self.default_cert
            config["tls"] = {"stores": {"default": {"defaultCertificate": {"certFile": str(cert),
                                                                           "keyFile": str(key)}}}}
        return config

    def start(self, timeout: float = 30) -> "SandboxTraefik":
        ensure_ingress_class(self.api)
        ensure_service(self.api, self.address)
        self.workdir.mkdir(parents=True, exist_ok=True)
        dynamic, static = self.workdir / "traefik-dynamic.yaml", self.workdir / "traefik.yaml"
        dynamic.write_text(yaml.safe_dump(self._dynamic_config()))
        static.write_text(yaml.safe_dump(self._static_config(dynamic)))
        # No secret on the command line: the kubeconfig (a client key) is named by $KUBECONFIG.
        self.process = ManagedProcess("traefik", [self.binary, f"--configFile={static}"],
                                      env={"KUBECONFIG": str(self.kubeconfig)},
                                      cwd=self.workdir, log_path=self.log_path)
        self.process.start(ready=self._pinged, timeout=timeout)
        return self

    def _pinged(self) -> bool:
        with urllib.request.urlopen(f"http://{self.address}:{self.api_port}/ping", timeout=1) as r:
            return r.status == 200

    def api_get(self, path: str) -> Any:
        """GET Traefik's API (e.g. /api/http/services): its routing table as it stands."""
        with urllib.request.urlopen(f"http://{self.address}:{self.api_port}{path}", timeout=5) as r:
            return json.load(r)

    def server_urls(self) -> list[str]:
        """Every backend URL Traefik could send a request to."""
        return [s["url"] for svc in self.api_get("/api/http/services")
                for s in (svc.get("loadBalancer") or {}).get("servers") or ()]

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None
