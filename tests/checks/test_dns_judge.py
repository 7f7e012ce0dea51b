"""dns.a-record judge: real-world lookups and load balancer addresses -> status, summary, remedy."""

from __future__ import annotations

import pytest

from tests.checks.support import inputs, make_answers
from wbinstall.checks.dns.facts import IngressAddress, LoadBalancer, Lookup
from wbinstall.checks.dns.judge import a_record

HOST = "wandb.example.com"
NS = ("10.0.0.2:53",)
NGINX = LoadBalancer("Service ingress-nginx/ingress-nginx-controller", ips=("203.0.113.10",))
ELB_NAME = "k8s-ingress-0123456789.elb.us-east-1.amazonaws.com"
ELB = LoadBalancer("Ingress wandb/wandb", hostnames=(ELB_NAME,))
UNKNOWN = IngressAddress(unknown_reason="cannot read the cluster: loading the kubeconfig: Connection refused")


def answer(*addresses: str, chain: tuple[str, ...] = ()) -> Lookup:
    return Lookup(HOST, "A", NS, "answer", addresses=addresses, cname_chain=chain)


def lookup(outcome: str, **kw) -> Lookup:
    return Lookup(HOST, "A", NS, outcome, **kw)


def lb(*balancers: LoadBalancer, resolved: dict[str, tuple[str, ...]] | None = None) -> IngressAddress:
    lookups = tuple(Lookup(name, "A", NS, "answer" if addrs else "nxdomain", addresses=addrs)
                    for name, addrs in (resolved or {}).items())
    return IngressAddress(balancers=balancers, hostname_lookups=lookups)


def judge(seen: Lookup, balancer: IngressAddress):
    return a_record({"dns": seen, "ingress-address": balancer}, inputs(make_answers(host=HOST)))


@pytest.mark.parametrize(
    ("seen", "balancer", "status", "summary_has"),
    [
        # The A record is the load balancer's IP.
        (answer("203.0.113.10"), lb(NGINX), "pass", "the ingress load balancer's address"),
        # Several A records, all the balancer's (an NLB with one IP per zone).
        (answer("203.0.113.10", "203.0.113.11"),
         lb(LoadBalancer("Service x/ingress", ips=("203.0.113.10", "203.0.113.11", "203.0.113.12"))), "pass", ""),
        # The balancer publishes a name (AWS ELB); the A record matches what that name resolves to.
        (answer("52.1.2.3"), lb(ELB, resolved={ELB_NAME: ("52.1.2.3", "52.4.5.6")}), "pass", "52.1.2.3"),
        # The host is a CNAME for the ELB's name: the usual Route 53 set-up.
        (answer("52.1.2.3", chain=(f"{HOST} -> {ELB_NAME}",)), lb(ELB), "pass", ELB_NAME),
        # Points elsewhere: an old server, a placeholder.
        (answer("198.51.100.7"), lb(NGINX), "fail", "points at 198.51.100.7, not at the ingress load balancer (203.0.113.10)"),
        # One of two A records is stray: some users would land elsewhere.
        (answer("198.51.100.7", "203.0.113.10"), lb(NGINX), "fail", "points at 198.51.100.7"),
        # CNAME chain that ends at the wrong address.
        (answer("198.51.100.7", chain=(f"{HOST} -> old-lb.example.net",)), lb(NGINX), "fail", "198.51.100.7"),
        # The balancer is unknown (no cluster, no Ingress yet): cannot compare.
        (answer("203.0.113.10"), UNKNOWN, "warn", "could not be compared"),
        # The balancer's name does not resolve: cannot compare either.
        (answer("52.1.2.3"), lb(ELB, resolved={ELB_NAME: ()}), "warn", "could not be compared"),
        # No record at all.
        (lookup("nxdomain"), lb(NGINX), "fail", "does not exist in DNS (NXDOMAIN): no A record"),
        (lookup("nxdomain"), UNKNOWN, "fail", "NXDOMAIN"),
        # The name exists (e.g. an MX or AAAA only) but has no A record.
        (lookup("no-answer"), lb(NGINX), "fail", "exists in DNS but has no A record"),
        # A CNAME to a name that does not exist (a deleted load balancer).
        (lookup("nxdomain", cname_chain=(f"{HOST} -> gone-lb.example.net",)), lb(NGINX), "fail",
         "alias (CNAME) for gone-lb.example.net, which does not exist"),
        (lookup("no-answer", cname_chain=(f"{HOST} -> v6only.example.net",)), lb(NGINX), "fail",
         "which has no A record"),
        # The resolver never answered.
        (lookup("timeout", seconds=4.0, detail="The DNS operation timed out."), lb(NGINX), "fail",
         "no answer from the DNS server 10.0.0.2:53 for wandb.example.com within 4 s"),
        (lookup("servfail", detail="10.0.0.2:53 SERVFAIL"), lb(NGINX), "fail", "SERVFAIL"),
        (lookup("unreachable", detail="10.0.0.2:53 Connection refused"), UNKNOWN, "fail", "Connection refused"),
        (lookup("error", detail="checks.dns.nameservers: 'dns.example' is not IP or IP:PORT"), UNKNOWN, "fail",
         "is not IP or IP:PORT"),
        # CNAME loops: named, not "could not ask a resolver".
        (lookup("cname-loop", cname_chain=(f"{HOST} -> a.example.com", f"a.example.com -> {HOST}")), lb(NGINX), "fail",
         f"the CNAME records of {HOST} form a loop: {HOST} -> a.example.com -> {HOST}"),
        (lookup("cname-loop", cname_chain=(f"{HOST} -> {HOST}",)), UNKNOWN, "fail", f"loop: {HOST} -> {HOST}"),
        (lookup("cname-loop", cname_chain=(f"{HOST} -> a.example.com", "a.example.com -> b.example.com",
                                           "b.example.com -> a.example.com")), lb(ELB), "fail",
         f"loop: {HOST} -> a.example.com -> b.example.com -> a.example.com"),
    ],
)
def test_a_record_judged_from_lookup_and_balancer(seen, balancer, status, summary_has):
    result = judge(seen, balancer)
    assert result.status == status, result
    assert summary_has in result.summary
    assert result.id == "dns.a-record"


def test_wrong_address_remedy_is_the_record_to_create_with_the_users_host():
    result = judge(answer("198.51.100.7"), lb(NGINX))
    assert "wandb.example.com. 300 IN A 203.0.113.10" in result.remedy
    assert "Change" in result.remedy


def test_missing_record_remedy_names_each_balancer_ip():
    two = LoadBalancer("Ingress wandb/wandb", ips=("203.0.113.10", "203.0.113.11"))
    result = judge(lookup("nxdomain"), lb(two))
    assert result.remedy.splitlines()[1:] == ["wandb.example.com. 300 IN A 203.0.113.10",
                                              "wandb.example.com. 300 IN A 203.0.113.11"]
    assert result.remedy.startswith("Create")


def test_missing_record_with_a_named_balancer_suggests_a_cname_to_that_name():
    result = judge(lookup("nxdomain"), lb(ELB, resolved={ELB_NAME: ("52.1.2.3",)}))
    assert f"wandb.example.com. 300 IN CNAME {ELB_NAME}." in result.remedy


def test_missing_record_without_known_balancer_says_how_to_find_the_address():
    result = judge(lookup("nxdomain"), UNKNOWN)
    assert "wandb.example.com. 300 IN A <ingress load balancer IP>" in result.remedy
    assert "kubectl get svc -A" in result.remedy


def test_evidence_shows_addresses_the_resolver_asked_and_the_balancer_source():
    result = judge(answer("198.51.100.7"), lb(NGINX))
    assert "A wandb.example.com: 198.51.100.7 (asked 10.0.0.2:53)" in result.evidence
    assert "ingress load balancer: 203.0.113.10 (Service ingress-nginx/ingress-nginx-controller)" in result.evidence


def test_evidence_shows_the_cname_chain_followed():
    seen = answer("203.0.113.10", chain=(f"{HOST} -> a.example.net", "a.example.net -> b.example.net"))
    result = judge(seen, lb(NGINX))
    assert "CNAME chain: wandb.example.com -> a.example.net -> b.example.net" in result.evidence


def test_unknown_balancer_evidence_says_why_and_remedy_uses_the_namespace():
    result = a_record({"dns": answer("203.0.113.10"), "ingress-address": UNKNOWN},
                      inputs(make_answers(host=HOST, kubernetes={"namespace": "wb-prod"})))
    assert any("unknown: cannot read the cluster" in e for e in result.evidence)
    assert "kubectl get ingress -n wb-prod" in result.remedy


def test_balancer_name_resolution_is_in_the_evidence():
    result = judge(answer("52.1.2.3"), lb(ELB, resolved={ELB_NAME: ("52.1.2.3",)}))
    assert f"load balancer name {ELB_NAME}: 52.1.2.3" in result.evidence


def test_cname_chain_matching_is_case_insensitive():
    result = judge(answer("52.1.2.3", chain=(f"{HOST} -> {ELB_NAME.upper()}",)), lb(ELB))
    assert result.status == "pass"


def test_a_cname_loop_remedy_breaks_it_at_the_host():
    seen = lookup("cname-loop", cname_chain=(f"{HOST} -> a.example.com", "a.example.com -> b.example.com",
                                              f"b.example.com -> {HOST}"))
    result = judge(seen, lb(NGINX))
    assert "Break the loop" in result.remedy and "nameservers" not in result.remedy
    assert f"{HOST}. 300 IN A 203.0.113.10" in result.remedy
    assert "(a.example.com, b.example.com)" in result.remedy
    assert f"CNAME loop: {HOST} -> a.example.com -> b.example.com -> {HOST}" in result.evidence
    result = judge(seen, lb(ELB))
    assert f"{HOST}. 300 IN CNAME {ELB_NAME}." in result.remedy
