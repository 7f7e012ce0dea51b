"""STAND-IN ingress controller (not nginx): no traffic is proxied. It only does the part
an installer can observe — an IngressClass exists, and every Ingress of that class gets
`status.loadBalancer.ingress[0].ip` — as a cloud load balancer would publish it. The
address is a loopback one (default 127.0.0.1), so anything that follows it stays local.

    python -m sandbox.kube.ingress_standin --kubeconfig F [--address 127.0.0.1]
"""

from __future__ import annotations

from kubernetes import client
from kubernetes.client.rest import ApiException

from .controller import PollingController, main_for

CLASS_NAME = "sandbox-nginx"
CONTROLLER_NAME = "sandbox.wbinstall/ingress-stand-in"
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class"


def ensure_ingress_class(api: client.ApiClient, name: str = CLASS_NAME,
                         default: bool = True) -> client.V1IngressClass:
    """Create (or update) the IngressClass served by the stand-in."""
    net = client.NetworkingV1Api(api)
    body = client.V1IngressClass(
        metadata=client.V1ObjectMeta(
            name=name, annotations={DEFAULT_CLASS_ANNOTATION: "true" if default else "false"},
            labels={"app.kubernetes.io/name": "ingress-stand-in"}),
        spec=client.V1IngressClassSpec(controller=CONTROLLER_NAME))
    try:
        return net.create_ingress_class(body)
    except ApiException as e:
        if e.status != 409:
            raise
        return net.patch_ingress_class(name, {"metadata": {"annotations": body.metadata.annotations}})


class IngressStandIn(PollingController):
    name = "ingress-stand-in"

    def __init__(self, api: client.ApiClient, address: str = "127.0.0.1",
                 class_name: str = CLASS_NAME):
        super().__init__(api)
        self.address = address
        self.class_name = class_name
        self.net = client.NetworkingV1Api(api)

    def owns(self, ing: client.V1Ingress) -> bool:
        cls = ing.spec.ingress_class_name or (ing.metadata.annotations or {}).get(
            LEGACY_CLASS_ANNOTATION)
        return cls == self.class_name

    def reconcile(self) -> None:
        for ing in self.net.list_ingress_for_all_namespaces().items:
            if not self.owns(ing):
                continue
            lb = ing.status.load_balancer.ingress if ing.status and ing.status.load_balancer else None
            if lb and lb[0].ip == self.address:
                continue
            self.net.patch_namespaced_ingress_status(
                ing.metadata.name, ing.metadata.namespace,
                {"status": {"loadBalancer": {"ingress": [{"ip": self.address}]}}})
            self.log.info("ingress %s/%s -> %s", ing.metadata.namespace, ing.metadata.name,
                          self.address)


def _make(api, args):
    ensure_ingress_class(api, args.class_name, default=not args.not_default)
    return IngressStandIn(api, args.address, args.class_name)


_make.add_args = lambda p: (
    p.add_argument("--address", default="127.0.0.1"),
    p.add_argument("--class-name", default=CLASS_NAME),
    p.add_argument("--not-default", action="store_true"),
)

if __name__ == "__main__":
    main_for(_make, "Stand-in ingress controller for the wbinstall sandbox")
