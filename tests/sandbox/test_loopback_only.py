"""The sandbox cluster cannot send traffic off the machine: every address it gives out or
publishes is in 127.0.0.0/8 (nodes, pods, endpoints, load balancers, Ingresses). Service
ClusterIPs come from an allocation range (10.0.0.0/24) that nothing routes: no kube-proxy runs,
and no Service there has an endpoint outside loopback."""

from __future__ import annotations

import ipaddress

from kubernetes import client

from sandbox.kube.waits import wait_for

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


def loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address) in LOOPBACK
    except ValueError:  # a host name: only localhost is allowed
        return address == "localhost"


def test_every_address_the_cluster_gives_out_is_loopback(sandbox_kube, sandbox_kube_namespace):
    core, apps = client.CoreV1Api(sandbox_kube.api), client.AppsV1Api(sandbox_kube.api)
    labels = {"app": "loopback-probe"}
    apps.create_namespaced_deployment(sandbox_kube_namespace, client.V1Deployment(
        metadata=client.V1ObjectMeta(name="probe"), spec=client.V1DeploymentSpec(
            replicas=2, selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(metadata=client.V1ObjectMeta(labels=labels), spec=client.V1PodSpec(
                containers=[client.V1Container(name="c", image="registry.invalid/none:0")])))))
    core.create_namespaced_service(sandbox_kube_namespace, client.V1Service(
        metadata=client.V1ObjectMeta(name="probe"),
        spec=client.V1ServiceSpec(selector=labels, ports=[client.V1ServicePort(port=80)])))
    pods = wait_for(lambda: [p for p in core.list_namespaced_pod(sandbox_kube_namespace).items if p.status.pod_ip],
                    lambda ps: len(ps) == 2, timeout=60)

    seen: list[tuple[str, str]] = []
    for node in core.list_node().items:
        seen += [(f"node {node.metadata.name}", a.address) for a in node.status.addresses or []
                 if a.type in ("InternalIP", "ExternalIP")]
    for pod in core.list_pod_for_all_namespaces().items:
        seen += [(f"pod {pod.metadata.name}", ip.ip) for ip in pod.status.pod_ips or []]
    for ep in core.list_endpoints_for_all_namespaces().items:
        seen += [(f"endpoints {ep.metadata.namespace}/{ep.metadata.name}", a.ip)
                 for subset in ep.subsets or [] for a in subset.addresses or []]
    for svc in core.list_service_for_all_namespaces().items:
        lb = svc.status.load_balancer.ingress if svc.status and svc.status.load_balancer else None
        seen += [(f"service {svc.metadata.name} load balancer", i.ip or i.hostname) for i in lb or []]
        if svc.spec.type == "ExternalName":
            seen.append((f"service {svc.metadata.name} externalName", svc.spec.external_name))
    for ing in client.NetworkingV1Api(sandbox_kube.api).list_ingress_for_all_namespaces().items:
        lb = ing.status.load_balancer.ingress if ing.status and ing.status.load_balancer else None
        seen += [(f"ingress {ing.metadata.name}", i.ip or i.hostname) for i in lb or []]

    assert len(pods) == 2 and any(where.startswith("node ") for where, _ in seen)
    assert any("sandbox-ingress-controller" in where for where, _ in seen)  # the ingress stand-in's address
    outside = [(where, address) for where, address in seen if not loopback(address)]
    assert outside == [], outside
