"""What the k8s probes saw: `k8s` the kubeconfig, server version and identity; `k8s-nodes`
the nodes; `k8s-classes` the ingress and storage classes; `k8s-access` the access reviews.

Facts hold values as the API returned them (quantities as strings, annotations' text), so
judges can quote them verbatim. No credential from the kubeconfig ever lands here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, Literal, TypeVar

from wbinstall.kube.config import ConfigProblem, Kubeconfig

T = TypeVar("T")

# Why a step failed. Kubeconfig problems come before any traffic; the rest are what a request
# to the API server ran into.
ProblemKind = Literal[
    ConfigProblem,       # no kubeconfig, a bad one, an unknown or no context (wbinstall.kube.config)
    "refused",           # TCP connection refused
    "dns",               # the server's host name does not resolve
    "unreachable",       # other network errors (no route, reset, closed mid-request)
    "timeout",           # no answer in time (connect, TLS handshake or response)
    "tls-untrusted",     # certificate chain not trusted by the kubeconfig's CA
    "tls-hostname",      # certificate not valid for the server's host name
    "tls",               # any other TLS failure (expired, protocol mismatch)
    "unauthorized",      # 401: credentials rejected
    "forbidden",         # 403: authenticated, not allowed
    "http",              # any other HTTP error status
]

KUBECONFIG_PROBLEMS = frozenset({"no-kubeconfig", "bad-kubeconfig", "unknown-context", "no-context"})
NETWORK_PROBLEMS = frozenset({"refused", "dns", "unreachable", "timeout"})
TLS_PROBLEMS = frozenset({"tls-untrusted", "tls-hostname", "tls"})


@dataclass(frozen=True)
class Problem:
    kind: ProblemKind
    detail: str           # the library's / server's own words
    status: int | None = None


@dataclass(frozen=True)
class ServerVersion:
    git_version: str
    major: str
    minor: str
    platform: str = ""


@dataclass(frozen=True)
class Taint:
    key: str
    effect: str
    value: str | None = None

    def __str__(self) -> str:
        return f"{self.key}{'=' + self.value if self.value else ''}:{self.effect}"


@dataclass(frozen=True)
class Node:
    name: str
    arch_label: str | None = None     # metadata.labels["kubernetes.io/arch"]
    arch_info: str | None = None      # status.nodeInfo.architecture (what the kubelet runs on)
    os: str | None = None             # status.nodeInfo.operatingSystem, else kubernetes.io/os
    instance_type: str | None = None  # node.kubernetes.io/instance-type (or the beta label)
    cpu: str | None = None            # status.allocatable.cpu, verbatim
    memory: str | None = None         # status.allocatable.memory, verbatim
    unschedulable: bool = False       # cordoned
    taints: tuple[Taint, ...] = ()
    ready: bool | None = None         # Ready condition; None when not reported

    @property
    def arch(self) -> str | None:
        # The kubelet reports nodeInfo from the machine itself; the label can be overridden.
        return self.arch_info or self.arch_label

    @property
    def blocking_taints(self) -> tuple[Taint, ...]:
        # W&B's pods carry no tolerations: NoSchedule and NoExecute keep them off the node
        # (the control-plane taint among them); PreferNoSchedule does not.
        return tuple(t for t in self.taints if t.effect in ("NoSchedule", "NoExecute"))

    @property
    def schedulable(self) -> bool:
        return not self.unschedulable and not self.blocking_taints


@dataclass(frozen=True)
class IngressClass:
    name: str
    controller: str
    default: bool
    app: str | None = None  # label app.kubernetes.io/name: Helm charts give the controller's Service the same


@dataclass(frozen=True)
class IngressSeen:
    """An Ingress anywhere in the cluster: its class and the address its controller published."""
    where: str                   # namespace/name
    class_name: str | None
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class BalancerService:
    """A Service of type LoadBalancer: who it belongs to (labels) and the address it got."""
    where: str                   # namespace/name
    app: str | None              # label app.kubernetes.io/name
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class CSINodeSeen:
    node: str
    drivers: tuple[str, ...]


@dataclass(frozen=True)
class StorageClass:
    name: str
    provisioner: str
    default: bool
    binding_mode: str | None = None
    created: str | None = None  # ISO timestamp: with several defaults the newest one wins


@dataclass(frozen=True)
class Access:
    """One SelfSubjectAccessReview: may the current identity do `verb` on this resource?"""

    verb: str
    group: str
    resource: str
    namespace: str | None  # None = cluster-wide
    allowed: bool
    reason: str = ""

    @property
    def resource_name(self) -> str:
        return f"{self.resource}.{self.group}" if self.group else self.resource


@dataclass(frozen=True)
class Listing(Generic[T]):
    """What one read returned: the items, or why it could not be read."""

    items: tuple[T, ...] = ()
    problem: Problem | None = None
    # A paged read the deadline cut short: `items` holds what came in time.
    complete: bool = True
    seconds: float = 0.0   # how long the read took
    pages: int = 0         # requests it made (limit/continue pages)


@dataclass(frozen=True)
class ServingFacts:
    """What shows that a class's controller or provisioner is working (read-only): Ingresses
    with addresses, LoadBalancer Services, CSI drivers and their node registrations, bound volumes."""
    ingresses: Listing[IngressSeen] = field(default_factory=Listing)
    services: Listing[BalancerService] = field(default_factory=Listing)
    csi_drivers: Listing[str] = field(default_factory=Listing)
    csi_nodes: Listing[CSINodeSeen] = field(default_factory=Listing)
    bound_volumes: Listing[str] = field(default_factory=Listing)  # the storageClassName of each Bound PV


@dataclass(frozen=True)
class ClassFacts:
    """The `k8s-classes` probe: IngressClasses and StorageClasses, read side by side."""

    ingress_classes: Listing[IngressClass] = field(default_factory=Listing)
    storage_classes: Listing[StorageClass] = field(default_factory=Listing)
    serving: ServingFacts = field(default_factory=ServingFacts)


@dataclass(frozen=True)
class KubeFacts:
    """The `k8s` probe's facts (connection, version, identity); the judges see the other
    probes' listings merged in (judge._kube), so each reads one whole picture."""

    kubeconfig: Kubeconfig
    # A kubeconfig or connection problem: nothing below it was gathered.
    problem: Problem | None = None
    version: ServerVersion | None = None
    # Who the server says we are (SelfSubjectReview); None when it cannot tell us.
    user: str | None = None
    groups: tuple[str, ...] = ()
    nodes: Listing[Node] = field(default_factory=Listing)
    ingress_classes: Listing[IngressClass] = field(default_factory=Listing)
    storage_classes: Listing[StorageClass] = field(default_factory=Listing)
    serving: ServingFacts = field(default_factory=ServingFacts)
    access: Listing[Access] = field(default_factory=Listing)
    # When the probe ran (UTC): the judge tells an expired client certificate by it, staying pure.
    now: datetime | None = None
    namespace: str = "wandb"  # where the install puts its namespaced objects
