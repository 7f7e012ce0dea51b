"""Judge dns.a-record: the host resolves, and to the ingress load balancer's address. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wbinstall.checks.context import CheckInputs
from wbinstall.checks.dns.facts import IngressAddress, Lookup
from wbinstall.checks.result import Result, failed, passed, warned

CHECK_ID = "dns.a-record"


def a_record(facts: Mapping[str, Any], inputs: CheckInputs) -> Result:
    seen: Lookup = facts["dns"]
    lb: IngressAddress = facts["ingress-address"]
    host, kind = seen.name, seen.rdtype
    asked = f"asked {', '.join(seen.nameservers)}"
    evidence = [*_lookup_evidence(seen, asked), *_balancer_evidence(lb)]

    if seen.outcome == "timeout":
        return failed(CHECK_ID, f"no answer from the DNS server {', '.join(seen.nameservers)} for {host} "
                                f"within {seen.seconds:g} s", *evidence,
                      remedy=f"Check that this machine can reach the resolver ({', '.join(seen.nameservers)}) "
                             "over UDP and TCP, or set checks.dns.nameservers to a resolver your users' machines use.")
    if seen.outcome == "cname-loop":
        names = [seen.name, *seen.chain_names]
        return failed(CHECK_ID, f"the CNAME records of {host} form a loop: {' -> '.join(names)}", *evidence,
                      remedy=f"Break the loop in your DNS zone: {host} must end at the ingress load balancer. "
                             + _loop_fix(host, lb, names))
    if seen.outcome == "unreachable":
        return failed(CHECK_ID, f"could not ask a resolver about {host}: {seen.detail}", *evidence,
                      remedy="Set checks.dns.nameservers to a resolver this machine can reach (IP or IP:PORT).")
    if seen.outcome == "servfail":
        return failed(CHECK_ID, f"the resolver answered SERVFAIL for {host}", *evidence,
                      remedy=f"The DNS servers of {_parent(host)} fail to answer (or its DNSSEC signatures do not "
                             "validate): check the zone with your DNS provider.")
    if seen.outcome == "error":
        return failed(CHECK_ID, f"DNS lookup of {host} failed: {seen.detail}", *evidence,
                      remedy="Check checks.dns.nameservers and the resolver's configuration.")
    if seen.outcome in ("nxdomain", "no-answer"):
        return failed(CHECK_ID, _missing_summary(seen), *evidence, remedy=_create_record(host, kind, lb, seen))

    addresses = ", ".join(seen.addresses)
    if not lb.known:
        return warned(CHECK_ID, f"{host} resolves to {addresses}; could not be compared with the ingress load "
                                "balancer's address", *evidence,
                      remedy=f"Make sure {addresses} is your ingress controller's load balancer: "
                             f"kubectl get ingress -n {inputs.answers.kubernetes.namespace}; "
                             "kubectl get svc -A | grep LoadBalancer")
    via_name = {n.lower() for n in seen.chain_names} & {h.lower().rstrip('.') for h in lb.hostnames}
    if via_name:
        return passed(CHECK_ID, f"{host} resolves through the ingress load balancer's name {sorted(via_name)[0]}",
                      *evidence)
    expected = lb.all_addresses
    if not expected:
        return warned(CHECK_ID, f"{host} resolves to {addresses}; could not be compared: the load balancer's "
                                f"name {', '.join(lb.hostnames)} did not resolve", *evidence)
    stray = [a for a in seen.addresses if a not in expected]
    if not stray:
        return passed(CHECK_ID, f"{host} resolves to {addresses}, the ingress load balancer's address", *evidence)
    return failed(CHECK_ID, f"{host} points at {', '.join(stray)}, not at the ingress load balancer "
                            f"({', '.join(expected)})", *evidence, remedy=_create_record(host, kind, lb, seen))


def _loop_fix(host: str, lb: IngressAddress, names: list[str]) -> str:
    aliases = sorted(set(names[:-1]) - {host})
    others = f" and remove or repoint the other aliases in the loop ({', '.join(aliases)})" if aliases else ""
    if lb.ips:
        return f"Replace the CNAME of {host} with {lb.ips[0]} as its A record{others}:\n" + \
            "\n".join(f"{host}. 300 IN A {ip}" for ip in lb.ips)
    if lb.hostnames:
        return f"Point {host} at the load balancer's name{others}:\n{host}. 300 IN CNAME {lb.hostnames[0]}."
    return f"Give {host} an A record with the load balancer's address{others} (kubectl get svc -A | grep LoadBalancer)."


def _missing_summary(seen: Lookup) -> str:
    host, kind = seen.name, seen.rdtype
    if seen.cname_chain:
        last = seen.chain_names[-1]
        if seen.outcome == "nxdomain":
            return f"{host} is an alias (CNAME) for {last}, which does not exist"
        return f"{host} is an alias (CNAME) for {last}, which has no {kind} record"
    if seen.outcome == "nxdomain":
        return f"{host} does not exist in DNS (NXDOMAIN): no {kind} record"
    return f"{host} exists in DNS but has no {kind} record"


def _create_record(host: str, kind: str, lb: IngressAddress, seen: Lookup) -> str:
    replace = "Change" if seen.outcome == "answer" or seen.cname_chain else "Create"
    if lb.ips:
        records = "\n".join(f"{host}. 300 IN {kind} {ip}" for ip in lb.ips)
        return f"{replace} the {kind} record in your DNS zone to point at the ingress load balancer:\n{records}"
    if lb.hostnames:
        name = lb.hostnames[0]
        return (f"{replace} the record so that {host} points at the load balancer's name {name}:\n"
                f"{host}. 300 IN CNAME {name}.\n(or your DNS provider's alias {kind} record for it)")
    return (f"{replace} the {kind} record {host}. 300 IN {kind} <ingress load balancer IP>; find the address "
            "with: kubectl get svc -A | grep LoadBalancer")


def _lookup_evidence(seen: Lookup, asked: str) -> list[str]:
    if seen.outcome == "answer":
        lines = [f"{seen.rdtype} {seen.name}: {', '.join(seen.addresses)} ({asked})"]
    elif seen.outcome in ("nxdomain", "no-answer"):
        what = "NXDOMAIN" if seen.outcome == "nxdomain" else f"no {seen.rdtype} record (NOERROR, empty answer)"
        lines = [f"{seen.rdtype} {seen.name}: {what} ({asked})"]
    elif seen.outcome == "timeout":
        lines = [f"{seen.rdtype} {seen.name}: no answer within {seen.seconds:g} s ({asked})"]
    else:
        lines = [f"{seen.rdtype} {seen.name}: {seen.outcome}: {seen.detail} ({asked})"]
    if seen.cname_chain:
        label = "CNAME loop" if seen.outcome == "cname-loop" else "CNAME chain"
        lines.append(f"{label}: " + " -> ".join([seen.name, *seen.chain_names]))
    return lines


def _balancer_evidence(lb: IngressAddress) -> list[str]:
    if not lb.known:
        return [f"ingress load balancer address unknown: {lb.unknown_reason}"]
    lines = [f"ingress load balancer: {', '.join([*b.ips, *b.hostnames])} ({b.source})" for b in lb.balancers]
    for look in lb.hostname_lookups:
        result = ", ".join(look.addresses) if look.outcome == "answer" else look.outcome
        lines.append(f"load balancer name {look.name}: {result}")
    return lines


def _parent(host: str) -> str:
    return host.split(".", 1)[1] if "." in host else host
