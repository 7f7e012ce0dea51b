"""STAND-IN ingress controller (not nginx): no traffic is proxied. It only does the part
an installer can observe — an IngressClass exists, the controller's Service of type
LoadBalancer (namespace sandbox-ingress, labelled like the class) has an address, and every
Ingress of that class gets `status.loadBalancer.ingress[0].ip` — as a cloud load balancer
would publish them. The address is a loopback one (default 127.0.0.1), and the Service has
no selector and so no endpoints: anything that follows it stays local.

    python -m sandbox.kube.ingress_standin --kubeconfig F [--address 127.0.0.1]
"""

from __future__ import annotations

from kubernetes import client
from kubernetes.client.rest import ApiException

from .controller import PollingController, main_for

CLASS_NAME = "sandbox-nginx"
CONTROLLER_NAME = "sandbox.wbinstall/ingress-stand-in"
SERVICE_NAMESPACE, SERVICE_NAME = "sandbox-ingress", "sandbox-ingress-controller"
APP_LABEL = "ingress-stand-in"  # app.kubernetes.io/name of the IngressClass and the Service, as Helm charts do
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class"


def ensure_ingress_class(api: client.ApiClient, name: str = CLASS_NAME,
                         default: bool = True) -> client.V1IngressClass:
    """Create (or update) the IngressClass served by the stand-in."""
    net = client.NetworkingV1Api(api)
    body = client.V1IngressClass(
        metadata=client.V1ObjectMeta(
            name=name, annotations={DEFAULT_CLASS_ANNOTATION: "true" if default else "false"},
            labels={"app.kubernetes.io/name": APP_LABEL}),
        spec=client.V1IngressClassSpec(controller=CONTROLLER_NAME))
    try:
        return net.create_ingress_class(body)
    except ApiException as e:
        if e.status != 409:
            raise
        return net.patch_ingress_class(name, {"metadata": {"annotations": body.metadata.annotations}})


def ensure_controller_service(api: client.ApiClient, address: str = "127.0.0.1") -> None:
    """The stand-in controller's Service of type LoadBalancer, its status set to `address`."""
    ensure_load_balancer_service(
        api, SERVICE_NAME, {"app.kubernetes.io/name": APP_LABEL, "app.kubernetes.io/component": "controller"},
        {"http": 80, "https": 443}, address)


def ensure_load_balancer_service(api: client.ApiClient, name: str, labels: dict[str, str],
                                 ports: dict[str, int], address: str) -> None:
    """A controller's Service of type LoadBalancer in SERVICE_NAMESPACE, without a selector (so no
    endpoints), its status set to `address` (no cloud controller runs here to do it)."""
    core = client.CoreV1Api(api)
    try:
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=SERVICE_NAMESPACE)))
    except ApiException as e:
        if e.status != 409:
            raise
    body = client.V1Service(
        metadata=client.V1ObjectMeta(name=name, labels=labels),
        spec=client.V1ServiceSpec(type="LoadBalancer", allocate_load_balancer_node_ports=False, ports=[
            client.V1ServicePort(name=port_name, port=port, target_port=port) for port_name, port in ports.items()]))
    try:
        core.create_namespaced_service(SERVICE_NAMESPACE, body)
    except ApiException as e:
        if e.status != 409:
            raise
    core.patch_namespaced_service_status(name, SERVICE_NAMESPACE,
                                         {"status": {"loadBalancer": {"ingress": [{"ip": address}]}}})


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
    ensure_controller_service(api, args.address)
    return IngressStandIn(api, args.address, args.class_name)


_make.add_args = lambda p: (
    p.add_argument("--address", default="127.0.0.1"),
    p.add_argument("--class-name", default=CLASS_NAME),
    p.add_argument("--not-default", action="store_true"),
)

if __name__ == "__main__":
    main_for(_make, "Stand-in ingress controller for the wbinstall sandbox")
