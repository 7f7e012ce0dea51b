"""Progress events as plain lines (unattended installs; stdout not a terminal)."""

from __future__ import annotations

from wbinstall.rollout.events import (PHASE_TITLES, PHASES, CustomResourceChanged, Event, Finished, Outcome,
                                      PhaseDone, PhaseStarted, ResourceChanged)
from wbinstall.rollout.judge import READY


def _clock(elapsed: float, limit: float) -> str:
    return f"{elapsed:4.0f}s/{limit:.0f}s"


def line(event: Event) -> str | None:
    if isinstance(event, PhaseStarted):
        n = PHASES.index(event.phase) + 1
        return f"rollout {n}/{len(PHASES)}: waiting for {PHASE_TITLES[event.phase]} (limit {event.limit:.0f} s)"
    if isinstance(event, PhaseDone):
        return f"rollout: {PHASE_TITLES[event.phase]} after {event.elapsed:.0f} s"
    if isinstance(event, ResourceChanged):
        s = event.state
        text = f"[{_clock(event.elapsed, event.limit)} {event.phase}] {s.kind} {s.name} {s.ready}/{s.desired} {s.status}"
        return text + (f": {s.reason}" if s.reason and s.status != READY else "")
    if isinstance(event, CustomResourceChanged):
        s = event.state
        phase = s.phase or "-"
        text = f"[{_clock(event.elapsed, event.limit)} {event.phase}] WeightsAndBiases {s.name} phase {phase} {s.status}"
        return text + (f": {s.reason}" if s.reason and s.status != READY else "")
    if isinstance(event, Finished):
        return None  # summary() prints the outcome
    return None


def summary(outcome: Outcome, namespace: str) -> str:
    if outcome.ok:
        return "rollout: everything is ready"
    lines = [f"rollout {outcome.status}: {outcome.message}"]
    if outcome.phase:
        lines[0] += f" [{outcome.elapsed:.0f}s/{outcome.limit:.0f}s {outcome.phase}]"
    if outcome.not_ready or (outcome.custom_resource and outcome.custom_resource.status != READY):
        lines.append("not ready:")
        for s in outcome.not_ready:
            lines.append(f"  {s.kind} {s.name} {s.ready}/{s.desired}" + (f": {s.reason}" if s.reason else ""))
        cr = outcome.custom_resource
        if cr and cr.status != READY:
            lines.append(f"  WeightsAndBiases {cr.name} phase {cr.phase or '-'}" + (f": {cr.reason}" if cr.reason else ""))
    if outcome.next_commands:
        lines.append("next:")
        lines.extend(f"  {c}" for c in outcome.next_commands)
    return "\n".join(lines)
