"""verify.* after a rollout: the last step of both faces (the unattended install, the wizard's
Deploy). Right after "ready" the ingress controller may not have picked W&B's Ingress up yet
(Traefik and ingress-nginx sync every few seconds; a cloud load balancer takes a minute or
more to publish its address), so failed results are tried again, every `every` seconds, until
`settle` seconds have gone by; what still fails then is the answer.

    results = settle(answers, secrets, base_dir, on_round=cb, cancel=event)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dataclasses import dataclass

from wbinstall.checks.result import Result

EVERY = 5.0  # seconds between two rounds


@dataclass(frozen=True)
class VerifyStarted:
    wait: float  # seconds failures will be tried again


@dataclass(frozen=True)
class VerifyRound:
    """A round with failures, tried again in EVERY seconds."""

    results: tuple[Result, ...]
    left: float


@dataclass(frozen=True)
class VerifyDone:
    results: tuple[Result, ...]

    @property
    def ok(self) -> bool:
        return not any(r.status == "fail" for r in self.results)


def settle(answers: Any, secrets: Any, base_dir: Path, *, on_round: Callable[[list[Result], float], None] | None = None,
           cancel: threading.Event | None = None, settle_for: float | None = None, every: float = EVERY,
           only: list[str] | None = None, timeout: float | None = None, started: float | None = None) -> list[Result]:
    """The verify.* results (`only` those), once none fails or `settle_for` is spent (or `cancel`
    is set). on_round(results, seconds left) is called after each round that will be tried
    again. `timeout` and `started` are engine.run's, for the first round."""
    from wbinstall.checks import engine

    cancel = cancel or threading.Event()
    settle_for = answers.checks.verify_wait if settle_for is None else settle_for
    start = time.monotonic()
    results: dict[str, Result] = {}
    pending = only  # None: all of them
    while True:
        for r in engine.run(answers, secrets, base_dir, only=pending, phase="verify", timeout=timeout,
                            at_least=answers.checks.timeout, started=started):
            results[r.id] = r
        started = None
        ordered = [results[i] for i in engine.PHASES["verify"] if i in results]
        pending = [r.id for r in ordered if r.status == "fail"]
        left = settle_for - (time.monotonic() - start)
        if not pending or left < every or cancel.is_set():
            return ordered
        if on_round is not None:
            on_round(ordered, left)
        if cancel.wait(every):
            return ordered


def verify_after(answers: Any, secrets: Any, base_dir: Path, on_event: Callable[[Any], None],
                 cancel: threading.Event | None = None) -> VerifyDone:
    """settle(), told as events (the wizard's Deploy draws them)."""
    on_event(VerifyStarted(answers.checks.verify_wait))
    results = settle(answers, secrets, base_dir, cancel=cancel,
                     on_round=lambda rs, left: on_event(VerifyRound(tuple(rs), left)))
    done = VerifyDone(tuple(results))
    on_event(done)
    return done
