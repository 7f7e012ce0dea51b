"""Does a node meet the reference architecture's per-node sizing? Pure; no kubernetes import.

Used by the `k8s.capacity` check and by the wizard's Sizing screen:

    need = sizing.recommend(workload, environment, cloud)
    fit = fit_node(NodeCapacity.parse("node-a", "3920m", "15896348Ki", "r6i.large"),
                   need.kubernetes_node, need.kubernetes_machine_type)
    fit.fits, fit.verdict, fit.cpu_short, fit.memory_short_gib, fit.describe()

Units. The sizing table's "GB" is read as GiB: the machine types the same table recommends
have exactly 16/32/64/128 GiB (r6i.large = 16 GiB, n2-highmem-2 = 16 GB in GCP's binary GB,
Standard_E2_v5 = 16 GiB), so GiB is what the authors measured. Reading GB as decimal would
quietly lower the bar by 7 %.

Tolerance. A node's *allocatable* memory is its RAM minus what the kernel, the kubelet
(kube-reserved / system-reserved) and the eviction threshold keep back, so even the
recommended machine type shows less than the table. Managed clouds reserve memory in tiers
(GKE, and AKS before 1.29: 25 % of the first 4 GiB, 20 % of the next 4, 10 % of the next 8,
6 % of the next 112, 2 % above 128 GiB) plus an eviction threshold of 100-750 MiB; the kernel
keeps a few hundred MiB more. A node passes ("within-reserve") when it falls short of the
table by no more than that reservation plus 1 GiB for kernel and eviction — for a 16 GiB
recommendation that accepts 12.4 GiB allocatable, for 64 GiB 57.5 GiB, for 128 GiB 117.7 GiB —
while a node with materially less RAM than the table still falls short. CPU reservations are
small (70-260 millicores on 2-16 core machines), so 5 % of the recommendation (at least 0.1
core) is allowed. A node whose instance-type label is the recommended machine type meets
the recommendation by definition, whatever the cloud reserves on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from wbinstall.checks.k8s.quantity import GIB, parse_quantity
from wbinstall.requirements import NodeSize

# (size of the tier in GiB, share reserved) — GKE's and AKS's kube-reserved memory tiers.
_MEMORY_TIERS: tuple[tuple[float, float], ...] = ((4, 0.25), (4, 0.20), (8, 0.10), (112, 0.06), (float("inf"), 0.02))
KERNEL_AND_EVICTION_GIB = 1.0
CPU_RESERVE_SHARE = 0.05
CPU_RESERVE_MIN = 0.1
_EPSILON = 1e-9

Verdict = Literal["meets", "within-reserve", "recommended-type", "short"]


def memory_reserve_gib(memory_gib: float) -> float:
    """How much less than `memory_gib` a machine of that size may show as allocatable."""
    reserve, left = 0.0, memory_gib
    for size, share in _MEMORY_TIERS:
        take = min(left, size)
        reserve += take * share
        left -= take
        if left <= 0:
            break
    return reserve + KERNEL_AND_EVICTION_GIB


def cpu_reserve(cores: float) -> float:
    return max(CPU_RESERVE_MIN, cores * CPU_RESERVE_SHARE)


@dataclass(frozen=True)
class NodeCapacity:
    name: str
    cpu: float            # allocatable cores
    memory_bytes: float   # allocatable bytes
    instance_type: str | None = None
    platform: str | None = None   # "linux/amd64"

    @classmethod
    def parse(cls, name: str, cpu: str, memory: str, instance_type: str | None = None,
              platform: str | None = None) -> NodeCapacity:
        """From the node's status.allocatable quantities ("3920m", "15896348Ki")."""
        return cls(name, parse_quantity(cpu), parse_quantity(memory), instance_type, platform)

    @property
    def memory_gib(self) -> float:
        return self.memory_bytes / GIB


@dataclass(frozen=True)
class NodeFit:
    node: NodeCapacity
    need_cpu: float
    need_memory_gib: float
    verdict: Verdict
    # Below the table's figures (0 when at or above), before any tolerance.
    cpu_short: float
    memory_short_gib: float

    @property
    def fits(self) -> bool:
        return self.verdict != "short"

    def describe(self) -> str:
        """"node-a (m5.xlarge): 4 CPU / 15.2 GiB allocatable, needs 8 CPU / 64 GiB: short 4 CPU, 48.8 GiB"."""
        n = self.node
        kind = f" ({n.instance_type})" if n.instance_type else ""
        text = (f"{n.name}{kind}: {cores(n.cpu)} CPU / {gib(n.memory_gib)} GiB allocatable, "
                f"needs {cores(self.need_cpu)} CPU / {gib(self.need_memory_gib)} GiB")
        parts = []
        if self.cpu_short > _EPSILON:
            parts.append(f"{cores(self.cpu_short)} CPU")
        if self.memory_short_gib > _EPSILON:
            parts.append(f"{gib(self.memory_short_gib)} GiB")
        shortfall = ", ".join(parts)
        if self.verdict == "meets":
            return f"{text}: meets it"
        if self.verdict == "within-reserve":
            return f"{text}: meets it (short {shortfall}, within what the system reserves on such a machine)"
        if self.verdict == "recommended-type":
            return f"{text}: meets it (the recommended machine type; short {shortfall} after system reservations)"
        return f"{text}: short {shortfall}"


def fit_node(node: NodeCapacity, need: NodeSize, recommended_type: str | None = None) -> NodeFit:
    need_cpu, need_gib = float(need.cpu), float(need.memory_gb)  # GB read as GiB: see module doc
    cpu_short = max(0.0, need_cpu - node.cpu)
    memory_short = max(0.0, need_gib - node.memory_gib)
    verdict: Verdict
    if cpu_short <= _EPSILON and memory_short <= _EPSILON:
        verdict = "meets"
    elif (recommended_type and node.instance_type
          and node.instance_type.lower() == recommended_type.lower()):
        verdict = "recommended-type"
    elif cpu_short <= cpu_reserve(need_cpu) + _EPSILON and memory_short <= memory_reserve_gib(need_gib) + _EPSILON:
        verdict = "within-reserve"
    else:
        verdict = "short"
    return NodeFit(node, need_cpu, need_gib, verdict, cpu_short, memory_short)


def fit_nodes(nodes: Iterable[NodeCapacity], need: NodeSize, recommended_type: str | None = None) -> tuple[NodeFit, ...]:
    return tuple(fit_node(n, need, recommended_type) for n in nodes)


@dataclass(frozen=True)
class FitGroup:
    """Nodes that look alike to the sizing: same machine type, platform, allocatable (as
    shown) and verdict. What a person reads instead of one line per node."""

    instance_type: str | None
    platform: str | None
    cpu: str              # as shown: "4", "3.92"
    memory_gib: str       # as shown: "32", "15.2"
    verdict: Verdict
    shortfall: str        # "4 CPU, 48 GiB" ('' when at or above the table)
    names: tuple[str, ...]

    @property
    def fits(self) -> bool:
        return self.verdict != "short"

    @property
    def kind(self) -> str:
        """"r6i.xlarge linux/amd64"."""
        return " ".join(p for p in (self.instance_type, self.platform) if p) or "nodes"

    @property
    def outcome(self) -> str:
        if self.verdict == "meets":
            return "meets it"
        if self.verdict == "within-reserve":
            return f"meets it (short {self.shortfall}, within what the system reserves)"
        if self.verdict == "recommended-type":
            return "meets it (the recommended machine type)"
        return f"short {self.shortfall}"

    def describe(self, names: int = 3) -> str:
        """"4,812 × r6i.xlarge linux/amd64: 4 CPU / 32 GiB, meets it"; offenders named."""
        text = f"{len(self.names):,} × {self.kind}: {self.cpu} CPU / {self.memory_gib} GiB, {self.outcome}"
        return text + (f": {first_names(self.names, names)}" if not self.fits else "")


def group_fits(fits: Iterable[NodeFit]) -> list[FitGroup]:
    """Groups, those short of the table first, then the largest first."""
    groups: dict[tuple[Any, ...], list[str]] = {}
    for f in fits:
        n = f.node
        key = (n.instance_type, n.platform, cores(n.cpu), gib(n.memory_gib), f.verdict, _shortfall(f))
        groups.setdefault(key, []).append(n.name)
    out = [FitGroup(*key, tuple(names)) for key, names in groups.items()]
    return sorted(out, key=lambda g: (g.fits, -len(g.names), g.kind))


def _shortfall(f: NodeFit) -> str:
    parts = []
    if f.cpu_short > _EPSILON:
        parts.append(f"{cores(f.cpu_short)} CPU")
    if f.memory_short_gib > _EPSILON:
        parts.append(f"{gib(f.memory_short_gib)} GiB")
    return ", ".join(parts)


def first_names(names: Iterable[str], limit: int = 3) -> str:
    """"a, b, c and 185 more"."""
    names = list(names)
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit:,} more" if len(names) > limit else "")


def cores(value: float) -> str:
    """4.0 -> "4", 3.92 -> "3.92", 1.9305 -> "1.93"."""
    return f"{round(value, 2):g}"


def gib(value: float) -> str:
    """32.0 -> "32", 15.16 -> "15.2"."""
    return f"{round(value, 1):g}"


NODE_OS = "linux"


def runnable(nodes: Iterable[Any], architectures: Iterable[str]) -> tuple[list[NodeCapacity], list[str]]:
    """The nodes W&B's pods can run on, measured (schedulable, linux/an allowed architecture,
    not NotReady, allocatable reported), and a note for each one left out. One filter for the
    `k8s.capacity` judge and the Sizing screen, so that the two never disagree."""
    allowed = set(architectures)
    candidates = [n for n in nodes if n.schedulable and n.arch in allowed and n.os in (NODE_OS, None)]
    not_ready = [n.name for n in candidates if n.ready is False]
    notes = [f"not Ready, ignored: {first_names(not_ready)}"] if not_ready else []
    measured: list[NodeCapacity] = []
    unmeasured: dict[tuple[str | None, str | None], list[str]] = {}
    for n in candidates:
        if n.ready is False:
            continue
        try:
            measured.append(NodeCapacity.parse(n.name, n.cpu or "", n.memory or "", n.instance_type,
                                               f"{n.os or NODE_OS}/{n.arch}"))
        except ValueError:
            unmeasured.setdefault((n.cpu, n.memory), []).append(n.name)
    notes += [f"no allocatable resources reported, ignored: {first_names(names)} (cpu {cpu!r}, memory {memory!r})"
              for (cpu, memory), names in unmeasured.items()]
    return measured, notes
