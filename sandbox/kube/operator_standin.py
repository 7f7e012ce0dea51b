"""STAND-IN for the W&B Kubernetes operator v1 (`wandb/controller`), whose image cannot run
here (no container runtime, no network to the release channel or Helm charts).

It reproduces what an installer can observe of the real operator, per
shared/docs/wandb-operator.md §1.3-§2:
  * watches `WeightsAndBiases` (apps.wandb.com/v1) resources;
  * sets `status.phase: Loading`, then creates the workloads the operator-wandb chart
    renders for release = CR name, with the chart's names and labels
    (`<cr>-app-bc`, `<cr>-console-bc`, `<cr>-parquet-bc`, `<cr>-weave-bc` Deployments, the
    `<cr>-redis-master` StatefulSet with an 8Gi volume claim, Services, an Ingress),
    labelled `app.kubernetes.io/{instance=<cr>,managed-by=Helm,name=<component>}`, sized like
    the chart's "small" size, owned by the CR;
  * then sets `status.phase: Completed` — which, as in the real v1 operator, means
    "applied", not "pods ready". The pods then really go through the scheduler, the
    controller-manager and kwok: on nodes too small they stay Pending (FailedScheduling).

Values it honours: `<component>.install` (false skips it; `redis.install` too),
`<component>.resources`, `global.nodeSelector`, `global.tolerations`, `global.host`,
`global.storageClass`, `ingress.{install,class,annotations,tls}`.
With `app_backend=(address, port)` (the demo: the stand-in W&B backend, sandbox/wandb_backend.py)
the app Service is an ExternalName Service to that loopback address, so that a request through
the sandbox's real ingress (Traefik) reaches something that answers; the address must be in
127.0.0.0/8, and is written as an IP literal so no resolver can turn it into another.
Annotation `sandbox.wbinstall/simulate: invalid-config` on the CR makes it set
`Invalid Config` instead (the real operator's failure phase).
Not reproduced: Helm release Secrets, the release channel, finalizers, hourly requeue.

    python -m sandbox.kube.operator_standin --kubeconfig F [--namespace N]
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from urllib.parse import urlparse

from kubernetes import client
from kubernetes.client.rest import ApiException

from .controller import PollingController, main_for

GROUP, VERSION, PLURAL, KIND = "apps.wandb.com", "v1", "weightsandbiases", "WeightsAndBiases"
SIMULATE_ANNOTATION = "sandbox.wbinstall/simulate"
PHASE_LOADING, PHASE_COMPLETED, PHASE_INVALID = "Loading", "Completed", "Invalid Config"


@dataclass(frozen=True)
class Component:
    key: str              # values key and app.kubernetes.io/name
    workload: str         # name suffix of the Deployment/StatefulSet
    kind: str             # Deployment | StatefulSet
    image: str
    replicas: int
    cpu: str
    memory: str
    port: int
    service: str          # name suffix of the Service


# The operator-wandb chart's default components at size "small" (requests).
COMPONENTS = (
    Component("app", "app-bc", "Deployment", "wandb/local:latest", 1, "1", "2Gi", 8080, "app"),
    Component("console", "console-bc", "Deployment", "wandb/console:latest", 1, "100m", "128Mi",
              8082, "console"),
    Component("parquet", "parquet-bc", "Deployment", "wandb/megabinary:latest", 2, "1", "8Gi",
              8087, "parquet"),
    Component("weave", "weave-bc", "Deployment", "wandb/weave-python:latest", 2, "1", "8Gi",
              9994, "weave"),
    Component("redis", "redis-master", "StatefulSet", "bitnamilegacy/redis:7.4", 1, "100m",
              "256Mi", 6379, "redis-master"),
)

APP_PORT = COMPONENTS[0].port

# ----- the CRD ---------------------------------------------------------------------------

def crd_body() -> dict:
    """A minimal copy of the chart's CRD (crds/wandb.yaml): same names, scope, status
    subresource and the free-form spec.chart / spec.values."""
    free = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{PLURAL}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "names": {"kind": KIND, "listKind": f"{KIND}List", "plural": PLURAL,
                      "singular": "weightsandbiases", "shortNames": ["wandb"]},
            "scope": "Namespaced",
            "versions": [{
                "name": VERSION, "served": True, "storage": True,
                "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                    "apiVersion": {"type": "string"}, "kind": {"type": "string"},
                    "metadata": {"type": "object"},
                    "spec": {"type": "object", "properties": {"chart": free, "values": free}},
                    "status": {"type": "object", "properties": {
                        "phase": {"type": "string"}, "version": {"type": "string"}}},
                }}},
            }],
        },
    }


def apply_wandb_crd(api: client.ApiClient, timeout: float = 30) -> None:
    """Create the WeightsAndBiases CRD if missing and wait until it is Established."""
    ext = client.ApiextensionsV1Api(api)
    try:
        ext.create_custom_resource_definition(crd_body())
    except ApiException as e:
        if e.status != 409:
            raise
    deadline = time.monotonic() + timeout
    while True:
        crd = ext.read_custom_resource_definition(f"{PLURAL}.{GROUP}")
        if any(c.type == "Established" and c.status == "True"
               for c in (crd.status.conditions or [])):
            return
        if time.monotonic() > deadline:
            raise TimeoutError("WeightsAndBiases CRD not Established")
        time.sleep(0.2)


def delete_wandb_crd(api: client.ApiClient, timeout: float = 30) -> None:
    """Delete the CRD (and with it every WeightsAndBiases object); wait until it is gone."""
    ext = client.ApiextensionsV1Api(api)
    name = f"{PLURAL}.{GROUP}"
    try:
        ext.delete_custom_resource_definition(name)
    except ApiException as e:
        if e.status == 404:
            return
        raise
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            ext.read_custom_resource_definition(name)
        except ApiException as e:
            if e.status == 404:
                return
            raise
        time.sleep(0.2)
    raise TimeoutError(f"CRD {name} still present")


def wandb_cr(name: str = "wandb", namespace: str = "default", values: dict | None = None,
             annotations: dict | None = None) -> dict:
    """A WeightsAndBiases object body (values = spec.values)."""
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": KIND,
            "metadata": {"name": name, "namespace": namespace,
                         "annotations": annotations or {}},
            "spec": {"values": values or {}}}


# ----- what the chart renders ------------------------------------------------------------

def _get(values: dict, *path, default=None):
    for key in path:
        if not isinstance(values, dict) or key not in values:
            return default
        values = values[key]
    return values


def _labels(cr_name: str, component: str) -> dict:
    return {"app.kubernetes.io/name": component, "app.kubernetes.io/instance": cr_name}


def render(cr: dict, app_backend: tuple[str, int] | None = None) -> list[dict]:
    """The objects the chart would create for this CR (without owner references)."""
    name, ns = cr["metadata"]["name"], cr["metadata"]["namespace"]
    values = _get(cr, "spec", "values", default={}) or {}
    g = values.get("global") or {}
    objects: list[dict] = []
    for comp in COMPONENTS:
        if _get(values, comp.key, "install", default=True) is False:
            continue
        selector = _labels(name, comp.key)
        meta = {
            "name": f"{name}-{comp.workload}", "namespace": ns,
            "labels": {**selector, "app.kubernetes.io/managed-by": "Helm"},
            "annotations": {"meta.helm.sh/release-name": name,
                            "meta.helm.sh/release-namespace": ns},
        }
        resources = _get(values, comp.key, "resources") or {
            "requests": {"cpu": comp.cpu, "memory": comp.memory},
            "limits": {"memory": comp.memory}}
        container = {"name": comp.key, "image": comp.image,
                     "ports": [{"name": "http", "containerPort": comp.port}],
                     "resources": copy.deepcopy(resources)}
        if comp.key == "app" and g.get("host"):
            container["env"] = [{"name": "HOST", "value": str(g["host"])}]
        pod_spec = {"containers": [container]}
        if g.get("nodeSelector"):
            pod_spec["nodeSelector"] = g["nodeSelector"]
        if g.get("tolerations"):
            pod_spec["tolerations"] = g["tolerations"]
        template = {"metadata": {"labels": selector}, "spec": pod_spec}
        spec = {"replicas": comp.replicas, "selector": {"matchLabels": selector},
                "template": template}
        if comp.kind == "StatefulSet":
            spec["serviceName"] = f"{name}-redis-headless"
            container["volumeMounts"] = [{"name": "redis-data", "mountPath": "/data"}]
            pvc_spec = {"accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "8Gi"}}}
            if g.get("storageClass"):
                pvc_spec["storageClassName"] = g["storageClass"]
            spec["volumeClaimTemplates"] = [{"metadata": {"name": "redis-data",
                                                          "labels": selector},
                                             "spec": pvc_spec}]
        objects.append({"apiVersion": "apps/v1", "kind": comp.kind, "metadata": meta,
                        "spec": spec})
        service_spec = {"selector": selector, "ports": [
            {"name": "http", "port": comp.port, "targetPort": comp.port}]}
        if comp.key == "app" and app_backend:
            service_spec = {"type": "ExternalName", "externalName": app_backend[0],
                            "ports": [{"name": "http", "port": app_backend[1]}]}
        objects.append({"apiVersion": "v1", "kind": "Service",
                        "metadata": {**copy.deepcopy(meta), "name": f"{name}-{comp.service}"},
                        "spec": service_spec})
    if _get(values, "ingress", "install", default=True) is not False and \
            _get(values, "app", "install", default=True) is not False:
        objects.append(_ingress(name, ns, values, app_backend[1] if app_backend else APP_PORT))
    return objects


def _ingress(name: str, ns: str, values: dict, port: int) -> dict:
    host = urlparse(str(_get(values, "global", "host", default="") or "")).hostname
    rule = {"http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
        "service": {"name": f"{name}-app", "port": {"number": port}}}}]}}
    if host:
        rule["host"] = host
    spec: dict = {"rules": [rule]}
    if _get(values, "ingress", "class"):
        spec["ingressClassName"] = values["ingress"]["class"]
    if _get(values, "ingress", "tls"):
        spec["tls"] = values["ingress"]["tls"]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": ns,
                         "labels": {**_labels(name, "wandb"),
                                    "app.kubernetes.io/managed-by": "Helm"},
                         "annotations": dict(_get(values, "ingress", "annotations") or {})},
            "spec": spec}


# ----- the controller --------------------------------------------------------------------

# Every call it makes is bounded: a connection that stalls is an error it logs and retries,
# like a controller requeueing, never a silent stop.
REQUEST_TIMEOUT = 10


class OperatorStandIn(PollingController):
    name = "wandb-operator-stand-in"

    def __init__(self, api: client.ApiClient, namespace: str | None = None,
                 apply_delay: float = 1.0, app_backend: tuple[str, int] | None = None):
        """namespace: watch only there (None = all namespaces). apply_delay: how long the CR
        stays `Loading` before the objects are applied (Helm takes a while too)."""
        super().__init__(api)
        self.namespace = namespace
        self.apply_delay = apply_delay
        if app_backend and not app_backend[0].startswith("127."):
            raise ValueError(f"the app backend must be a 127.0.0.0/8 address, not {app_backend[0]}")
        self.app_backend = app_backend
        self.custom = client.CustomObjectsApi(api)
        self.core = client.CoreV1Api(api)
        self.apps = client.AppsV1Api(api)
        self.net = client.NetworkingV1Api(api)
        self._done: dict[str, int] = {}     # CR uid -> generation applied

    def reconcile(self) -> None:
        try:
            if self.namespace:
                items = self.custom.list_namespaced_custom_object(
                    GROUP, VERSION, self.namespace, PLURAL, _request_timeout=REQUEST_TIMEOUT)["items"]
            else:
                items = self.custom.list_cluster_custom_object(GROUP, VERSION, PLURAL,
                                                               _request_timeout=REQUEST_TIMEOUT)["items"]
        except ApiException as e:
            if e.status == 404:      # CRD not installed (yet): nothing to do
                return
            raise
        for cr in items:
            meta = cr["metadata"]
            if meta.get("deletionTimestamp"):
                continue
            if self._done.get(meta["uid"]) == meta.get("generation"):
                continue
            self.reconcile_one(cr)
            self._done[meta["uid"]] = meta.get("generation")

    def reconcile_one(self, cr: dict) -> None:
        meta = cr["metadata"]
        self._event(cr, "Reconciling", "Reconciling Weights & Biases instance")
        if (meta.get("annotations") or {}).get(SIMULATE_ANNOTATION) == "invalid-config":
            self._set_phase(cr, PHASE_INVALID)
            self._event(cr, "ApplyFailed", "simulated: invalid config", warning=True)
            return
        self._set_phase(cr, PHASE_LOADING)
        self._event(cr, "LoadingConfig", "Loading desired configuration")
        time.sleep(self.apply_delay)
        owner = {"apiVersion": f"{GROUP}/{VERSION}", "kind": KIND, "name": meta["name"],
                 "uid": meta["uid"], "controller": True, "blockOwnerDeletion": True}
        for obj in render(cr, self.app_backend):
            obj["metadata"]["ownerReferences"] = [owner]
            self._apply(obj)
        self._set_phase(cr, PHASE_COMPLETED)
        self._event(cr, "Completed", "Completed reconcile successfully")
        self.log.info("%s/%s applied", meta["namespace"], meta["name"])

    def _apply(self, obj: dict) -> None:
        """Create, or patch (strategic merge) when it already exists."""
        ns, name, kind = obj["metadata"]["namespace"], obj["metadata"]["name"], obj["kind"]
        create, patch = {
            "Deployment": (self.apps.create_namespaced_deployment,
                           self.apps.patch_namespaced_deployment),
            "StatefulSet": (self.apps.create_namespaced_stateful_set,
                            self.apps.patch_namespaced_stateful_set),
            "Service": (self.core.create_namespaced_service, self.core.patch_namespaced_service),
            "Ingress": (self.net.create_namespaced_ingress, self.net.patch_namespaced_ingress),
        }[kind]
        try:
            create(ns, obj, _request_timeout=REQUEST_TIMEOUT)
        except ApiException as e:
            if e.status != 409:
                raise
            if kind == "StatefulSet":   # volumeClaimTemplates are immutable
                obj = {**obj, "spec": {k: v for k, v in obj["spec"].items()
                                       if k not in ("volumeClaimTemplates", "serviceName",
                                                    "selector")}}
            patch(name, ns, obj, _request_timeout=REQUEST_TIMEOUT)

    def _set_phase(self, cr: dict, phase: str) -> None:
        meta = cr["metadata"]
        self.custom.patch_namespaced_custom_object_status(
            GROUP, VERSION, meta["namespace"], PLURAL, meta["name"], {"status": {"phase": phase}},
            _request_timeout=REQUEST_TIMEOUT)

    def _event(self, cr: dict, reason: str, message: str, warning: bool = False) -> None:
        meta = cr["metadata"]
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        body = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"generateName": f"{meta['name']}.", "namespace": meta["namespace"]},
            "involvedObject": {"apiVersion": f"{GROUP}/{VERSION}", "kind": KIND,
                               "name": meta["name"], "namespace": meta["namespace"],
                               "uid": meta["uid"]},
            "reason": reason, "message": message, "type": "Warning" if warning else "Normal",
            "source": {"component": "wandb-operator-stand-in"},
            "firstTimestamp": stamp, "lastTimestamp": stamp, "count": 1,
        }
        try:
            self.core.create_namespaced_event(meta["namespace"], body, _request_timeout=REQUEST_TIMEOUT)
        except ApiException as e:   # events are best effort, as in controller-runtime
            self.log.debug("event %s not recorded: %s", reason, e)


def _make(api, args):
    if args.apply_crd:
        apply_wandb_crd(api)
    return OperatorStandIn(api, args.namespace, args.apply_delay)


_make.add_args = lambda p: (
    p.add_argument("--namespace", default=None, help="watch one namespace (default: all)"),
    p.add_argument("--apply-delay", type=float, default=1.0),
    p.add_argument("--apply-crd", action="store_true", help="create the CRD first"),
)

if __name__ == "__main__":
    main_for(_make, "Stand-in for the W&B operator v1 (wandb/controller) in the sandbox")
