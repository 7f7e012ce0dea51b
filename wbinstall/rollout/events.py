"""Progress events of a rollout (plain data; the wizard and the line printer show them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from wbinstall.rollout.judge import CustomResourceState, ResourceState

OPERATOR, RESOURCE, WORKLOADS = "operator", "resource", "workloads"
PHASES = (OPERATOR, RESOURCE, WORKLOADS)
PHASE_TITLES = {OPERATOR: "operator ready", RESOURCE: "W&B resource applied by the operator",
                WORKLOADS: "W&B workloads ready"}


@dataclass(frozen=True)
class Limits:
    """Seconds each phase may take. The operator is one small pod; the operator's Helm apply
    takes a minute or two; the workloads include image pulls of several GB on fresh nodes."""
    operator: float = 300
    resource: float = 600
    workloads: float = 1200

    def of(self, phase: str) -> float:
        return float(getattr(self, phase))

    @classmethod
    def capped(cls, seconds: float | None) -> "Limits":
        """Every phase limited to at most `seconds` (--timeout-rollout)."""
        d = cls()
        if seconds is None:
            return d
        return cls(*(min(d.of(p), seconds) for p in PHASES))


@dataclass(frozen=True)
class PhaseStarted:
    phase: str
    limit: float


@dataclass(frozen=True)
class PhaseDone:
    phase: str
    elapsed: float
    limit: float


@dataclass(frozen=True)
class ResourceChanged:
    state: ResourceState
    phase: str
    elapsed: float
    limit: float


@dataclass(frozen=True)
class CustomResourceChanged:
    state: CustomResourceState
    phase: str
    elapsed: float
    limit: float


READY_OUTCOME, TIMEOUT, FAILED_OUTCOME, CANCELLED = "ready", "timeout", "failed", "cancelled"


@dataclass(frozen=True)
class Outcome:
    status: str                      # ready | timeout | failed | cancelled
    phase: str | None                # the phase it ended in (None when ready)
    elapsed: float = 0.0
    limit: float = 0.0
    not_ready: tuple[ResourceState, ...] = ()
    custom_resource: CustomResourceState | None = None
    message: str = ""
    next_commands: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return self.status == READY_OUTCOME


@dataclass(frozen=True)
class Finished:
    outcome: Outcome


Event = PhaseStarted | PhaseDone | ResourceChanged | CustomResourceChanged | Finished
