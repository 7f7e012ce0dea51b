"""What probes and judges are given: the answers, resolved secrets, requirements, settings."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from wbinstall.answers import Answers, Secrets
from wbinstall.answers.files import resolve
from wbinstall.requirements import Requirements


@dataclass(frozen=True)
class CheckInputs:
    """Everything a judge may read besides facts. Pure data."""

    answers: Answers
    requirements: Requirements
    base_dir: Path
    # How this face lets a user give the probes more time, as a remedy says it: the CLI's
    # flag, or the wizard's key (engine.run's `more_time`).
    more_time: str = "--timeout SECONDS"


@dataclass(frozen=True)
class ProbeContext:
    answers: Answers
    secrets: Secrets
    base_dir: Path
    deadline: float  # time.monotonic() value; no I/O may outlast it

    def remaining(self, cap: float | None = None) -> float:
        """Seconds left before the deadline (at least a sliver, so calls fail fast not hang)."""
        left = max(0.05, self.deadline - time.monotonic())
        return min(left, cap) if cap is not None else left

    def path(self, value: str) -> Path:
        return resolve(value, self.base_dir)
