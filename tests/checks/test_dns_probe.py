"""dns probe + judge against real DNS servers on loopback (the sandbox's, and small dnslib ones
for answers the sandbox does not give: SERVFAIL, an empty NOERROR). No cluster here: the
ingress address is unknown (kubeconfig pointing at a closed port); see test_dns_ingress_address.py
for the comparisons with a real cluster's load balancer."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml
from dnslib import RCODE
from dnslib.server import BaseResolver, DNSLogger, DNSServer
from pydantic import ValidationError

from sandbox.procs import free_port
from tests.checks.support import make_answers, probe_context, run_checks
from wbinstall.checks.dns.probe import gather_dns, gather_ingress_address, lookup, parse_nameserver


HOST = "wandb.sandbox.test"


def kubeconfig_for(path: Path, port: int) -> Path:
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "gone",
        "clusters": [{"name": "gone", "cluster": {"server": f"https://127.0.0.1:{port}",
                                                  "insecure-skip-tls-verify": True}}],
        "users": [{"name": "u", "user": {"token": "not-a-secret-token"}}],
        "contexts": [{"name": "gone", "context": {"cluster": "gone", "user": "u"}}],
    }))
    return path


@pytest.fixture
def closed_kubeconfig(tmp_path: Path) -> Path:
    """A kubeconfig whose API server port has nothing listening: the cluster is unreachable."""
    return kubeconfig_for(tmp_path / "kubeconfig", free_port())


@pytest.fixture
def mute_kubeconfig(tmp_path: Path):
    """A kubeconfig whose API server accepts TCP connections and never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield kubeconfig_for(tmp_path / "kubeconfig", sock.getsockname()[1])


@pytest.fixture
def silent_port():
    """A UDP port that receives queries and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


class _FixedReply(BaseResolver):
    def __init__(self, rcode: int) -> None:
        self.rcode = rcode

    def resolve(self, request, handler):
        reply = request.reply()
        reply.header.rcode = self.rcode
        return reply


@pytest.fixture
def fixed_reply_server():
    """start(rcode) -> port of a DNS server that answers every question with that rcode, no records."""
    servers: list[DNSServer] = []

    def start(rcode: int) -> int:
        server = DNSServer(_FixedReply(rcode), address="127.0.0.1", port=0,
                           logger=DNSLogger(log="-recv,-send,-request,-reply,-truncated,-error,-data", prefix=False))
        server.start_thread()
        servers.append(server)
        return server.server.server_address[1]

    yield start
    for server in servers:
        server.stop()
        server.server.server_close()


def answers_for(nameservers: list[str], kubeconfig: Path | None = None, host: str = HOST):
    return make_answers(host=host, checks={"dns": {"nameservers": nameservers}},
                        kubernetes={"kubeconfig": str(kubeconfig) if kubeconfig else "/nonexistent/kubeconfig"})


def ns(server) -> str:
    return f"{server.host}:{server.port}"


# ---- the lookup itself ------------------------------------------------------------------------


def test_a_record_is_found_with_the_address(sandbox_dns):
    sandbox_dns.set_a(HOST, "127.0.0.7")
    seen = gather_dns(probe_context(answers_for([ns(sandbox_dns)])))
    assert (seen.outcome, seen.addresses, seen.cname_chain) == ("answer", ("127.0.0.7",), ())
    assert seen.nameservers == (ns(sandbox_dns),)


def test_cname_chain_is_followed_and_recorded(sandbox_dns):
    sandbox_dns.set_cname(HOST, "edge.sandbox.test")
    sandbox_dns.set_cname("edge.sandbox.test", "lb-1.sandbox.test")
    sandbox_dns.set_a("lb-1.sandbox.test", ["127.0.0.8", "127.0.0.9"])
    seen = gather_dns(probe_context(answers_for([ns(sandbox_dns)])))
    assert seen.outcome == "answer"
    assert seen.addresses == ("127.0.0.8", "127.0.0.9")
    assert seen.cname_chain == (f"{HOST} -> edge.sandbox.test", "edge.sandbox.test -> lb-1.sandbox.test")


def test_missing_name_is_nxdomain(sandbox_dns):
    seen = gather_dns(probe_context(answers_for([ns(sandbox_dns)])))
    assert seen.outcome == "nxdomain"


@pytest.mark.parametrize("aliases", [
    ["edge.sandbox.test", "lb.sandbox.test", HOST],  # back to the host
    [HOST],  # the host is its own alias
    ["edge.sandbox.test", "lb.sandbox.test", "edge.sandbox.test"],  # a loop further down
])
def test_cname_loop_is_detected_and_named(sandbox_dns, aliases):
    names = [HOST, *aliases]
    for alias, target in zip(names, names[1:]):
        sandbox_dns.set_cname(alias, target)
    seen = lookup(probe_context(answers_for([ns(sandbox_dns)])), HOST, "A")
    assert seen.outcome == "cname-loop"
    assert seen.cname_chain == tuple(f"{a} -> {t}" for a, t in zip(names, names[1:]))


def test_cname_to_a_missing_name_is_nxdomain_with_the_chain(sandbox_dns):
    sandbox_dns.set_cname(HOST, "deleted-lb.sandbox.test")
    seen = gather_dns(probe_context(answers_for([ns(sandbox_dns)])))
    assert (seen.outcome, seen.cname_chain) == ("nxdomain", (f"{HOST} -> deleted-lb.sandbox.test",))


def test_name_without_an_a_record_is_no_answer(fixed_reply_server):
    port = fixed_reply_server(RCODE.NOERROR)
    seen = gather_dns(probe_context(answers_for([f"127.0.0.1:{port}"])))
    assert seen.outcome == "no-answer"


def test_servfail_is_told_apart(fixed_reply_server):
    port = fixed_reply_server(RCODE.SERVFAIL)
    seen = gather_dns(probe_context(answers_for([f"127.0.0.1:{port}"]), timeout=3))
    assert seen.outcome == "servfail"
    assert "SERVFAIL" in seen.detail


def test_refusing_resolver_is_an_error_with_its_rcode(fixed_reply_server):
    port = fixed_reply_server(RCODE.REFUSED)
    seen = gather_dns(probe_context(answers_for([f"127.0.0.1:{port}"])))
    assert seen.outcome == "error"
    assert "REFUSED" in seen.detail


def test_resolver_that_never_answers_gives_a_timeout_and_returns(silent_port):
    seen = gather_dns(probe_context(answers_for([f"127.0.0.1:{silent_port}"]), timeout=1.5))
    assert seen.outcome == "timeout"
    assert 0 < seen.seconds <= 1.5


def test_second_resolver_answers_when_the_first_is_silent(silent_port, sandbox_dns):
    sandbox_dns.set_a(HOST, "127.0.0.7")
    seen = gather_dns(probe_context(answers_for([f"127.0.0.1:{silent_port}", ns(sandbox_dns)]), timeout=8))
    assert (seen.outcome, seen.addresses) == ("answer", ("127.0.0.7",))


def test_nameserver_that_is_not_an_address_is_refused_by_the_model():
    with pytest.raises(ValidationError, match="not an IP address"):
        answers_for(["dns.example.com"])


def test_nameserver_that_is_not_an_address_is_reported_by_the_probe():
    # Answers built without validation (model_copy) still get a result, never a crash.
    answers = answers_for([])
    answers = answers.model_copy(update={"checks": answers.checks.model_copy(
        update={"dns": answers.checks.dns.model_copy(update={"nameservers": ["dns.example.com"]})})})
    seen = lookup(probe_context(answers), HOST, "A")
    assert seen.outcome == "error"
    assert "'dns.example.com' is not IP or IP:PORT" in seen.detail


@pytest.mark.parametrize(("text", "parsed"), [
    ("10.0.0.2", ("10.0.0.2", 53)),
    ("10.0.0.2:5353", ("10.0.0.2", 5353)),
    (" 127.0.0.1:53 ", ("127.0.0.1", 53)),
    ("::1", ("::1", 53)),
    ("[::1]:5353", ("::1", 5353)),
    ("[2001:db8::53]", ("2001:db8::53", 53)),
])
def test_nameserver_forms(text, parsed):
    assert parse_nameserver(text) == parsed


@pytest.mark.parametrize("text", ["dns.example.com", "10.0.0.2:", "10.0.0.2:99999", "10.0.0.256", "[::1]:x"])
def test_nameserver_forms_refused(text):
    with pytest.raises(ValueError):
        parse_nameserver(text)


# ---- the ingress address without a cluster ----------------------------------------------------


def test_ingress_address_is_unknown_when_the_cluster_refuses(closed_kubeconfig):
    facts = gather_ingress_address(probe_context(answers_for([], closed_kubeconfig)))
    assert not facts.known
    assert "Connection refused" in facts.unknown_reason


def test_ingress_address_is_unknown_when_the_cluster_never_answers_and_the_probe_returns(mute_kubeconfig):
    facts = gather_ingress_address(probe_context(answers_for([], mute_kubeconfig), timeout=1.5))
    assert not facts.known
    assert facts.unknown_reason


def test_ingress_address_is_unknown_without_a_kubeconfig(tmp_path):
    facts = gather_ingress_address(probe_context(answers_for([], tmp_path / "missing.yaml")))
    assert not facts.known
    assert "missing.yaml does not exist" in facts.unknown_reason


# ---- through the engine -----------------------------------------------------------------------


def test_existing_record_without_known_balancer_warns_it_could_not_be_compared(sandbox_dns, closed_kubeconfig):
    sandbox_dns.set_a(HOST, "127.0.0.7")
    result = run_checks(answers_for([ns(sandbox_dns)], closed_kubeconfig), only=["dns.a-record"])["dns.a-record"]
    assert result.status == "warn"
    assert "could not be compared" in result.summary
    assert f"A {HOST}: 127.0.0.7 (asked {ns(sandbox_dns)})" in result.evidence


def test_missing_record_fails_with_the_record_to_create(sandbox_dns, closed_kubeconfig):
    result = run_checks(answers_for([ns(sandbox_dns)], closed_kubeconfig), only=["dns.a-record"])["dns.a-record"]
    assert result.status == "fail"
    assert "NXDOMAIN" in result.summary
    assert f"{HOST}. 300 IN A" in result.remedy


def test_cname_chain_appears_in_the_evidence(sandbox_dns, closed_kubeconfig):
    sandbox_dns.set_cname(HOST, "lb-1.sandbox.test")
    sandbox_dns.set_a("lb-1.sandbox.test", "127.0.0.8")
    result = run_checks(answers_for([ns(sandbox_dns)], closed_kubeconfig), only=["dns.a-record"])["dns.a-record"]
    assert f"CNAME chain: {HOST} -> lb-1.sandbox.test" in result.evidence


def test_silent_resolver_fails_with_a_timeout_and_the_run_returns(silent_port, closed_kubeconfig):
    result = run_checks(answers_for([f"127.0.0.1:{silent_port}"], closed_kubeconfig), only=["dns.a-record"],
                        timeout=1.5)["dns.a-record"]
    assert result.status == "fail"
    assert result.summary.startswith(f"no answer from the DNS server 127.0.0.1:{silent_port} for {HOST} within")
