"""ingress-address probe and dns.a-record against a real cluster (sandbox kube-apiserver with the
ingress stand-in, which publishes 127.0.0.1 on every Ingress of its class) and the sandbox DNS."""

from __future__ import annotations

import pytest
from kubernetes import client

from sandbox.kube.ingress_standin import CLASS_NAME
from sandbox.kube.waits import wait_for
from tests.checks.support import make_answers, probe_context, run_checks
from wbinstall.checks.dns.facts import LoadBalancer
from wbinstall.checks.dns.probe import gather_ingress_address


HOST = "wandb.sandbox.test"
STANDIN_ADDRESS = "127.0.0.1"  # KubeCluster's default ingress_address


def ingress(name: str, host: str, class_name: str = CLASS_NAME, tls: bool = False) -> client.V1Ingress:
    backend = client.V1IngressBackend(service=client.V1IngressServiceBackend(
        name="wandb-app", port=client.V1ServiceBackendPort(number=8080)))
    rule = client.V1IngressRule(host=host, http=client.V1HTTPIngressRuleValue(paths=[
        client.V1HTTPIngressPath(path="/", path_type="Prefix", backend=backend)]))
    return client.V1Ingress(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1IngressSpec(ingress_class_name=class_name, rules=[rule],
                                  tls=[client.V1IngressTLS(hosts=[host], secret_name="wandb-tls")] if tls else None))


@pytest.fixture
def published_ingress(sandbox_kube, sandbox_kube_namespace):
    """create(name, host) -> the Ingress once the stand-in controller has published its address."""
    net = client.NetworkingV1Api(sandbox_kube.api)

    def create(name: str = "wandb", host: str = HOST) -> client.V1Ingress:
        net.create_namespaced_ingress(sandbox_kube_namespace, ingress(name, host))
        landed = wait_for(lambda: net.read_namespaced_ingress_status(name, sandbox_kube_namespace),
                          lambda ing: bool(ing.status.load_balancer and ing.status.load_balancer.ingress), timeout=60)
        assert landed.status.load_balancer.ingress, "the ingress stand-in did not publish an address"
        return landed

    return create


@pytest.fixture
def load_balancer_service(sandbox_kube, sandbox_kube_namespace):
    """create(name, hostname=..., ip=...) -> a Service of type LoadBalancer whose status we publish,
    playing the cloud's load balancer controller."""
    core = client.CoreV1Api(sandbox_kube.api)

    def create(name: str, *, hostname: str | None = None, ip: str | None = None) -> None:
        core.create_namespaced_service(sandbox_kube_namespace, client.V1Service(
            metadata=client.V1ObjectMeta(name=name),
            spec=client.V1ServiceSpec(type="LoadBalancer", selector={"app": name},
                                      ports=[client.V1ServicePort(port=443, target_port=8443, name="https")])))
        entry = {k: v for k, v in (("hostname", hostname), ("ip", ip)) if v}
        core.patch_namespaced_service_status(name, sandbox_kube_namespace,
                                             {"status": {"loadBalancer": {"ingress": [entry]}}})

    return create


def answers_for(sandbox_kube, namespace: str, dns=None, **kubernetes):
    return make_answers(
        host=HOST,
        kubernetes={"kubeconfig": str(sandbox_kube.admin_kubeconfig), "namespace": namespace, **kubernetes},
        checks={"dns": {"nameservers": [f"{dns.host}:{dns.port}"] if dns else ["127.0.0.1:9"]}},
    )


def test_address_comes_from_the_ingress_that_names_the_host(sandbox_kube, sandbox_kube_namespace, published_ingress):
    published_ingress("other", host="other.sandbox.test")
    published_ingress("wandb")
    facts = gather_ingress_address(probe_context(answers_for(sandbox_kube, sandbox_kube_namespace)))
    assert facts.balancers == (LoadBalancer(f"Ingress {sandbox_kube_namespace}/wandb", ips=(STANDIN_ADDRESS,)),)


def test_a_wildcard_ingress_rule_counts_as_naming_the_host(sandbox_kube, sandbox_kube_namespace, published_ingress):
    published_ingress("star", host="*.sandbox.test")
    facts = gather_ingress_address(probe_context(answers_for(sandbox_kube, sandbox_kube_namespace)))
    assert facts.ips == (STANDIN_ADDRESS,)


def test_ingress_without_an_address_is_noted(sandbox_kube, sandbox_kube_namespace):
    net = client.NetworkingV1Api(sandbox_kube.api)
    net.create_namespaced_ingress(sandbox_kube_namespace, ingress("pending", HOST, class_name="no-such-controller"))
    facts = gather_ingress_address(probe_context(answers_for(sandbox_kube, sandbox_kube_namespace)))
    assert f"Ingress {sandbox_kube_namespace}/pending names {HOST} but has no load balancer address yet." in facts.notes


def test_without_an_ingress_the_ingress_controller_service_is_used(
        sandbox_kube, sandbox_kube_namespace, load_balancer_service, sandbox_dns):
    load_balancer_service("unrelated-db", ip="127.0.0.99")
    load_balancer_service("ingress-nginx-controller", hostname="lb-7.elb.sandbox.test")
    sandbox_dns.set_a("lb-7.elb.sandbox.test", "127.0.0.3")
    facts = gather_ingress_address(probe_context(answers_for(sandbox_kube, sandbox_kube_namespace, sandbox_dns)))
    ours = [b for b in facts.balancers if b.source == f"Service {sandbox_kube_namespace}/ingress-nginx-controller"]
    assert ours == [LoadBalancer(ours[0].source, hostnames=("lb-7.elb.sandbox.test",))]
    assert not any(b.source.endswith("/unrelated-db") for b in facts.balancers)
    assert "127.0.0.3" in facts.all_addresses


def test_a_user_who_may_not_list_ingresses_gets_unknown_with_the_reason(sandbox_kube):
    answers = make_answers(host=HOST, kubernetes={"kubeconfig": str(sandbox_kube.kubeconfig),
                                                  "context": "sandbox-restricted",
                                                  "namespace": sandbox_kube.restricted_namespace})
    facts = gather_ingress_address(probe_context(answers))
    assert not facts.known
    assert "403" in facts.unknown_reason


# ---- dns.a-record end to end ------------------------------------------------------------------


def test_record_pointing_at_the_ingress_passes(sandbox_kube, sandbox_kube_namespace, published_ingress, sandbox_dns):
    published_ingress()
    sandbox_dns.set_a(HOST, STANDIN_ADDRESS)
    result = run_checks(answers_for(sandbox_kube, sandbox_kube_namespace, sandbox_dns), only=["dns.a-record"])
    assert result["dns.a-record"].status == "pass", result["dns.a-record"]
    assert f"ingress load balancer: {STANDIN_ADDRESS} (Ingress {sandbox_kube_namespace}/wandb)" in \
        result["dns.a-record"].evidence


def test_record_pointing_elsewhere_fails_naming_both_addresses(
        sandbox_kube, sandbox_kube_namespace, published_ingress, sandbox_dns):
    published_ingress()
    sandbox_dns.set_a(HOST, "127.0.0.2")
    result = run_checks(answers_for(sandbox_kube, sandbox_kube_namespace, sandbox_dns), only=["dns.a-record"])
    r = result["dns.a-record"]
    assert r.status == "fail"
    assert r.summary == f"{HOST} points at 127.0.0.2, not at the ingress load balancer ({STANDIN_ADDRESS})"
    assert f"{HOST}. 300 IN A {STANDIN_ADDRESS}" in r.remedy


def test_missing_record_fails_with_the_balancers_address_in_the_remedy(
        sandbox_kube, sandbox_kube_namespace, published_ingress, sandbox_dns):
    published_ingress()
    result = run_checks(answers_for(sandbox_kube, sandbox_kube_namespace, sandbox_dns), only=["dns.a-record"])
    r = result["dns.a-record"]
    assert r.status == "fail"
    assert f"{HOST}. 300 IN A {STANDIN_ADDRESS}" in r.remedy


def test_cname_to_the_balancers_name_passes(sandbox_kube, sandbox_kube_namespace, load_balancer_service, sandbox_dns):
    load_balancer_service("istio-ingressgateway", hostname="lb-8.elb.sandbox.test")
    sandbox_dns.set_cname(HOST, "lb-8.elb.sandbox.test")
    sandbox_dns.set_a("lb-8.elb.sandbox.test", "127.0.0.4")
    result = run_checks(answers_for(sandbox_kube, sandbox_kube_namespace, sandbox_dns), only=["dns.a-record"])
    r = result["dns.a-record"]
    assert r.status == "pass", r
    assert f"CNAME chain: {HOST} -> lb-8.elb.sandbox.test" in r.evidence
