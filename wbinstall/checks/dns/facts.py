"""What the DNS probes saw: the host's A record, and where the cluster's ingress load balancer is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# How a lookup ended. "no-answer": the name exists but has no record of the type asked;
# "unreachable": the resolver could not be asked at all (refused, no resolv.conf, ...);
# "cname-loop": the CNAMEs from the name lead back to a name already seen (cname_chain has them).
Outcome = Literal["answer", "nxdomain", "no-answer", "timeout", "servfail", "unreachable", "error", "cname-loop"]


@dataclass(frozen=True)
class Lookup:
    name: str
    rdtype: str  # the record type asked, from requirements (network.dnsRecord)
    nameservers: tuple[str, ...]  # who was asked, "IP:PORT", or "system (IP, ...)"
    outcome: Outcome
    addresses: tuple[str, ...] = ()
    # CNAMEs followed from `name`, in order, each as "alias -> target".
    cname_chain: tuple[str, ...] = ()
    detail: str = ""  # the resolver's own words when it did not answer
    seconds: float = 0.0  # the time allowed, for a precise timeout message

    @property
    def chain_names(self) -> tuple[str, ...]:
        return tuple(link.split(" -> ")[1] for link in self.cname_chain)


@dataclass(frozen=True)
class LoadBalancer:
    """One published address of an ingress: status.loadBalancer.ingress[] of where it was found."""

    source: str  # "Ingress wandb/wandb" or "Service ingress-nginx/ingress-nginx-controller"
    ips: tuple[str, ...] = ()
    hostnames: tuple[str, ...] = ()


@dataclass(frozen=True)
class IngressAddress:
    """Where the cluster's ingress load balancer listens, or why that is unknown."""

    balancers: tuple[LoadBalancer, ...] = ()
    # A records of the balancers' host names (AWS ELBs publish a name, not an IP).
    hostname_lookups: tuple[Lookup, ...] = ()
    unknown_reason: str = ""
    notes: tuple[str, ...] = ()  # e.g. "Ingress wandb/wandb has no address yet"

    @property
    def known(self) -> bool:
        return bool(self.balancers)

    @property
    def ips(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(ip for b in self.balancers for ip in b.ips))

    @property
    def hostnames(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(h for b in self.balancers for h in b.hostnames))

    @property
    def all_addresses(self) -> tuple[str, ...]:
        """The published IPs plus what the published host names resolve to."""
        resolved = (a for lookup in self.hostname_lookups for a in lookup.addresses)
        return tuple(dict.fromkeys([*self.ips, *resolved]))
