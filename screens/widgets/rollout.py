"""The Deploy screen's picture of an install: events in, Rich text out (no I/O, no clock).

    view = DeployView(host="wandb.example.com", namespace="wandb")
    view.take(event)                      # any event of wbinstall.session.install.deploy
    status, resources, result = view.status(extra_seconds), view.resources(), view.result()
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.text import Text

from wbinstall.session.install import (ApplyError, ApplyStarted, ApplyStopped, Attached, LockFreed, LockRefused,
                                       LockTaken, ObjectApplied, line)
from wbinstall.rollout.events import (PHASE_TITLES, PHASES, CustomResourceChanged, Finished, Outcome, PhaseDone,
                                      PhaseStarted, ResourceChanged)
from wbinstall.checks.result import Result
from wbinstall.session.verify import VerifyDone, VerifyRound, VerifyStarted

MARKS = {"ready": ("✔", "green"), "progressing": ("…", "yellow"), "failed": ("✘", "red"),
         "missing": ("·", "dim")}
CHECK_MARKS = {"pass": ("✔", "green"), "warn": ("!", "yellow"), "fail": ("✘", "red"), "skip": ("·", "dim")}
CREATED, CONFIGURED = "created", "configured"


def _maybe_mine(holder) -> str:
    """Another process of this user on this machine: perhaps their own earlier session."""
    if not holder.mine() or holder.frees_at is None:
        return ""
    return (f"; perhaps your own earlier session: its lock frees at {holder.frees_at:%H:%M:%S} UTC unless "
            "that process still renews it")


@dataclass
class DeployView:
    host: str
    namespace: str
    applied: dict[str, int] = field(default_factory=dict)     # action -> count
    count: int = 0                                            # objects to apply
    done: int = 0
    lock: str = ""                                            # who holds the lock (us or another)
    refused: str = ""                                         # another install's holder, since when
    attached: str = ""                                        # following an install already there
    phase: str | None = None
    phase_done: bool = False
    elapsed: float = 0.0
    limit: float = 0.0
    rows: dict[tuple[str, str], Any] = field(default_factory=dict)   # (kind, name) -> state
    outcome: Outcome | None = None
    error: str = ""
    stopped: str = ""
    # verify.*, once the rollout is ready: None before it starts; `verified` once it is done.
    checks: tuple[Result, ...] | None = None
    verify_wait: float = 0.0
    verify_left: float | None = None  # seconds failures will still be tried again
    verified: bool = False
    # The background run has returned: nothing more will come (a ready rollout that is not
    # followed by verify.*, because Esc came first, then shows as ready without them).
    run_over: bool = False

    @property
    def finished(self) -> bool:
        return bool(self.outcome or self.error or self.stopped)

    @property
    def verifying(self) -> bool:
        """verify.* follows a ready rollout: from the rollout's end (before the lock is given
        back and verify starts) until they are done, W&B is not called ready yet."""
        if self.checks is not None:
            return not self.verified
        return bool(self.outcome and self.outcome.ok) and not self.run_over

    def take(self, event: Any) -> str | None:
        """Record an event; the plain line for the activity log (None: nothing new to log)."""
        if isinstance(event, ApplyStarted):
            self.count = event.count
        elif isinstance(event, LockTaken):
            self.lock = event.who
        elif isinstance(event, LockRefused):
            self.refused = event.holder.describe()
            return (f"lock held by {self.refused}: this deploy applied nothing; following that install's "
                    "rollout instead")
        elif isinstance(event, LockFreed):
            self.refused = ""
        elif isinstance(event, Attached):
            self.attached = (f"an install is under way ({event.holder.describe()}{_maybe_mine(event.holder)})"
                             if event.holder else "W&B is already installed here")
        elif isinstance(event, ObjectApplied):
            self.done = event.index
            self.count = event.count
            self.applied[event.applied.action] = self.applied.get(event.applied.action, 0) + 1
        elif isinstance(event, ApplyError):
            self.error = event.message
        elif isinstance(event, ApplyStopped):
            self.stopped = (f"Stopped after {event.applied} of {event.count} objects. Each applied object is "
                            "whole; Deploy again continues.")
        elif isinstance(event, PhaseStarted):
            self.phase, self.phase_done, self.elapsed, self.limit = event.phase, False, 0.0, event.limit
        elif isinstance(event, PhaseDone):
            self.phase, self.phase_done, self.elapsed, self.limit = event.phase, True, event.elapsed, event.limit
        elif isinstance(event, ResourceChanged):
            self.rows[event.state.key()] = event.state
            self.elapsed, self.limit = event.elapsed, event.limit
        elif isinstance(event, CustomResourceChanged):
            self.rows[("WeightsAndBiases", event.state.name)] = event.state
            self.elapsed, self.limit = event.elapsed, event.limit
        elif isinstance(event, VerifyStarted):
            self.checks, self.verify_wait = (), event.wait
            return "verify: W&B as its users reach it"
        elif isinstance(event, VerifyRound):
            self.checks, self.verify_left = event.results, event.left
            failing = ", ".join(r.id for r in event.results if r.status == "fail")
            return f"verify: {failing} not yet; trying again (for {event.left:.0f} s more)"
        elif isinstance(event, VerifyDone):
            self.checks, self.verified, self.verify_left = event.results, True, None
            return "\n".join(f"verify: {r.status.upper()} {r.id}: {r.summary}" for r in event.results)
        elif isinstance(event, Finished):
            self.outcome = event.outcome
            if event.outcome.phase:
                self.phase, self.elapsed, self.limit = event.outcome.phase, event.outcome.elapsed, event.outcome.limit
            return None
        return line(event)

    # ---- pictures ------------------------------------------------------------------------
    def status(self, since_event: float = 0.0) -> Text:
        """Namespace, apply progress, lock, rollout phase with elapsed / limit."""
        out = Text()
        out.append("Namespace ", style="dim").append(self.namespace)
        out.append(" · host ", style="dim").append(self.host)
        out.append("\nApply     ", style="dim")
        if self.refused:
            out.append(f"refused: another install holds the lock: {self.refused}", style="yellow")
        elif self.attached:
            out.append(f"nothing applied: {self.attached}; following its rollout", style="yellow")
        elif self.count:
            counts = ", ".join(f"{n} {action}" for action, n in self.applied.items())
            out.append(f"{self.done} of {self.count} objects" + (f" ({counts})" if counts else ""))
        else:
            out.append("waiting", style="dim")
        out.append("\nRollout   ", style="dim")
        if self.phase is None:
            out.append("not started", style="dim")
        else:
            n = PHASES.index(self.phase) + 1
            out.append(f"{n}/{len(PHASES)} {PHASE_TITLES[self.phase]}")
            if self.outcome and self.outcome.ok:
                out.append(" · done", style="green")
            else:
                running = not (self.phase_done or self.finished)
                elapsed = self.elapsed + (since_event if running else 0.0)
                out.append(f" · {elapsed:.0f} s of {self.limit:.0f} s", style="dim")
        if self.checks is not None:
            out.append("\nVerify    ", style="dim")
            counts = {s: sum(r.status == s for r in self.checks) for s in ("pass", "warn", "fail")}
            seen = ", ".join(f"{n} {word}" for word, n in zip(("passed", "warned", "failed"), counts.values()) if n)
            if self.verified:
                out.append(seen, style="red" if counts["fail"] else "green")
            elif self.verify_left is not None:
                out.append(f"{seen}; trying the failed again for {self.verify_left:.0f} s more", style="yellow")
            else:
                out.append("through the ingress, as users reach W&B …", style="dim")
        return out

    def resources(self) -> Text:
        """One line per resource (state, ready/desired), its reason below when not ready."""
        out = Text()
        if not self.rows:
            return Text("No resources seen yet.", style="dim")
        for i, ((kind, name), state) in enumerate(self.rows.items()):
            mark, style = MARKS.get(state.status, ("?", ""))
            if i:
                out.append("\n")
            out.append(f"{mark} ", style=style)
            out.append(f"{kind} {name}".ljust(40))
            if kind == "WeightsAndBiases":
                out.append(f" phase {state.phase or '-'}", style="dim")
            else:
                out.append(f" {state.ready}/{state.desired}".ljust(7))
                out.append(f" {state.status}", style=style)
            if state.reason and state.status != "ready":
                out.append(f"\n    {state.reason}", style="dim")
        return out

    def result(self) -> Text:
        """Empty while running; then the URL and next steps, or what is not ready and why."""
        if self.error:
            out = Text("✘ Deploy failed", style="bold red")
            out.append(f"\n{self.error}")
            out.append("\nFix the cause, then press Deploy again: objects already applied are unchanged.",
                       style="dim")
            return out
        if self.stopped:
            return Text(self.stopped, style="yellow")
        o = self.outcome
        if o is None:
            return Text("")
        if o.ok:
            url = f"https://{self.host}"
            if self.verifying:
                return Text("… The rollout is ready; verifying W&B as its users reach it", style="yellow")
            if self.checks and any(r.status == "fail" for r in self.checks):
                return self._unverified(url)
            out = Text("✔ W&B is ready at ", style="bold green")
            out.append(url, style="bold underline")
            self._check_lines(out, self.checks or ())
            out.append("\nNext steps:")
            out.append(f"\n  1. Open {url} and create the first admin user")
            out.append(f"\n  2. wandb login --host={url}")
            out.append("\n  3. wandb verify")
            return out
        if o.status == "cancelled":
            out = Text("Stopped following the rollout; ", style="yellow")
            out.append("the install continues in the cluster. Deploy applies your answers again (a no-op "
                       "when unchanged) and follows it.")
            return out
        title = {"timeout": "Not ready in time", "failed": "The rollout failed"}.get(o.status, o.status)
        out = Text(f"✘ {title}: ", style="bold red")
        out.append(o.message)
        not_ready = list(o.not_ready)
        cr = o.custom_resource
        if not_ready or (cr and cr.status != "ready"):
            out.append("\nNot ready:", style="bold")
            for s in not_ready:
                out.append(f"\n  {s.kind} {s.name} {s.ready}/{s.desired}" + (f": {s.reason}" if s.reason else ""))
            if cr and cr.status != "ready":
                out.append(f"\n  WeightsAndBiases {cr.name} phase {cr.phase or '-'}"
                           + (f": {cr.reason}" if cr.reason else ""))
        if o.next_commands:
            out.append("\nNext:", style="bold")
            for c in o.next_commands:
                out.append(f"\n  {c}")
        return out

    def _unverified(self, url: str) -> Text:
        out = Text("✘ W&B is installed, but not reachable as its users would reach it", style="bold red")
        self._check_lines(out, self.checks or ())
        out.append("\nFix the cause, then run: wbinstall verify --answers FILE (or Deploy again).", style="dim")
        return out

    @staticmethod
    def _check_lines(out: Text, checks: tuple[Result, ...]) -> None:
        """One line per verify.* result; a failure's or warning's remedy below it."""
        for r in checks:
            mark, style = CHECK_MARKS.get(r.status, ("?", ""))
            out.append(f"\n{mark} ", style=style)
            out.append(f"{r.id}: {r.summary}")
            if r.status in ("fail", "warn") and r.remedy:
                out.append(f"\n    {r.remedy.splitlines()[0]}", style="dim")
