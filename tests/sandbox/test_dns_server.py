"""DNS server: dnspython (as the wizard will use it) sees A records, CNAME chains and NXDOMAIN."""

import dns.resolver
import pytest


def resolver_for(server):
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [server.host]
    resolver.port = server.port
    resolver.lifetime = 5
    return resolver


def addresses(answer):
    return sorted(rr.address for rr in answer)


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_a_record_resolves(sandbox_dns, tcp):
    sandbox_dns.set_a("wandb.sandbox.test", "127.0.0.1")
    assert addresses(resolver_for(sandbox_dns).resolve("wandb.sandbox.test", "A", tcp=tcp)) == ["127.0.0.1"]


def test_records_change_while_running(sandbox_dns):
    resolver = resolver_for(sandbox_dns)
    sandbox_dns.set_a("wandb.sandbox.test", "127.0.0.1")
    assert addresses(resolver.resolve("wandb.sandbox.test", "A")) == ["127.0.0.1"]
    sandbox_dns.set_a("wandb.sandbox.test", ["192.0.2.10", "192.0.2.11"])  # the "wrong address" case
    assert addresses(resolver.resolve("wandb.sandbox.test", "A")) == ["192.0.2.10", "192.0.2.11"]


def test_names_are_case_insensitive(sandbox_dns):
    sandbox_dns.set_a("Wandb.Sandbox.Test.", "127.0.0.1")
    assert addresses(resolver_for(sandbox_dns).resolve("WANDB.sandbox.test", "A")) == ["127.0.0.1"]


def test_cname_chain_is_followed_to_the_a_record(sandbox_dns):
    sandbox_dns.set_cname("wandb.sandbox.test", "lb.sandbox.test")
    sandbox_dns.set_cname("lb.sandbox.test", "ingress.sandbox.test")
    sandbox_dns.set_a("ingress.sandbox.test", "127.0.0.2")
    answer = resolver_for(sandbox_dns).resolve("wandb.sandbox.test", "A")
    assert addresses(answer) == ["127.0.0.2"]
    assert str(answer.canonical_name) == "ingress.sandbox.test."
    assert [str(rrset.name) for rrset in answer.response.answer] == [
        "wandb.sandbox.test.", "lb.sandbox.test.", "ingress.sandbox.test.",
    ]


def test_missing_name_is_nxdomain(sandbox_dns):
    sandbox_dns.set_a("other.sandbox.test", "127.0.0.1")
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver_for(sandbox_dns).resolve("wandb.sandbox.test", "A")


def test_removed_name_becomes_nxdomain(sandbox_dns):
    resolver = resolver_for(sandbox_dns)
    sandbox_dns.set_a("wandb.sandbox.test", "127.0.0.1")
    resolver.resolve("wandb.sandbox.test", "A")
    sandbox_dns.remove("wandb.sandbox.test")
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver.resolve("wandb.sandbox.test", "A")


def test_dangling_cname_is_nxdomain(sandbox_dns):
    sandbox_dns.set_cname("wandb.sandbox.test", "gone.sandbox.test")
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver_for(sandbox_dns).resolve("wandb.sandbox.test", "A")


def test_other_type_for_existing_name_is_nodata_not_nxdomain(sandbox_dns):
    sandbox_dns.set_a("wandb.sandbox.test", "127.0.0.1")
    with pytest.raises(dns.resolver.NoAnswer):
        resolver_for(sandbox_dns).resolve("wandb.sandbox.test", "AAAA")


def test_server_binds_loopback(sandbox_dns):
    assert sandbox_dns.host == "127.0.0.1"
    assert sandbox_dns.port > 0
