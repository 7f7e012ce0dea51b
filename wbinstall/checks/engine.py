"""Run checks: every needed probe once, concurrently, each within its timeout; then judge.

A whole run takes about as long as its slowest probe. Probes run in daemon threads: a probe
that ignores its deadline is abandoned (reported as a timeout), never waited for.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from wbinstall import libraries, redact, requirements
from wbinstall.answers import Answers, Secrets
from wbinstall.checks.context import CheckInputs, ProbeContext
from wbinstall.checks.registry import CHECKS, PHASES, PROBES, Check
from wbinstall.checks.result import Result, failed, skipped

CHECK_IDS: tuple[str, ...] = tuple(CHECKS)  # report order: as declared (preflight, then verify)


@dataclass(frozen=True)
class ProbeTimedOut:
    seconds: float


@dataclass(frozen=True)
class ProbeCrashed:
    error: str
    logged: str  # where its traceback went ("details in <log file>")


def run(
    answers: Answers,
    secrets: Secrets,
    base_dir: Path,
    *,
    only: Iterable[str] | None = None,
    timeout: float | None = None,
    on_result: Callable[[Result], None] | None = None,
    more_time: str = "--timeout SECONDS",
    started: float | None = None,
    phase: str = "preflight",
    at_least: float | None = None,
) -> list[Result]:
    """Results in the stable id order, for the selected checks (all by default).

    A selected check that could not run because a dependency failed brings that dependency's
    own result into the list (so the report shows the cause and a failure decides the exit code).

    `more_time` is how the calling face gives probes more time, in a remedy's words (the
    CLI's flag by default; the wizard names its key). `started` (a time.monotonic() value, default
    now) is when the probes' time began: the CLI passes its process's start, so that
    `check --timeout T` as a whole returns within T and a little. `phase` is "preflight" (the
    checks before anything is applied) or "verify" (verify.*, after the install). Without
    `timeout`, each probe has its declared time, or `at_least` when that is longer."""
    wanted = [i for i in PHASES[phase] if not only or i in set(only)]
    user_skips = {s.id: s.reason for s in answers.checks.skip}
    # Dependencies are judged too (their outcome decides a dependent's skip), shown only if wanted.
    needed = _with_dependencies(wanted)
    probe_names = sorted({p for i in needed if i not in user_skips for p in CHECKS[i].probes})
    facts = _gather(probe_names, answers, secrets, base_dir, timeout, started, at_least)

    inputs = CheckInputs(answers, requirements.load(), base_dir, more_time)
    results: dict[str, Result] = {}
    overridden = set(answers.checks.strict_overrides)
    for check_id in needed:
        result = _judge(CHECKS[check_id], facts, inputs, user_skips, results, secrets)
        if result.status == "fail" and CHECKS[check_id].strict and check_id in overridden:
            result = _let_past(result)
        result = _scrub(result, secrets)
        results[check_id] = result
        if on_result and check_id in wanted:
            on_result(result)
    shown = set(wanted) | _causes(wanted, results, user_skips)
    return [results[i] for i in needed if i in shown]


def _causes(wanted: list[str], results: dict[str, Result], user_skips: dict[str, str]) -> set[str]:
    """Dependencies (direct or not) that failed, or were not run because theirs failed, and so
    kept a selected check from running. A dependency the user skipped is not a cause to show."""
    found: set[str] = set()
    stack = [d for i in wanted if results[i].status == "skip" and i not in user_skips for d in CHECKS[i].after]
    while stack:
        dep = stack.pop()
        r = results[dep]
        if dep in found or dep in user_skips or r.status not in ("fail", "skip"):
            continue
        found.add(dep)
        stack.extend(CHECKS[dep].after)
    return {d for d in found if d not in user_skips}


def _with_dependencies(ids: list[str]) -> list[str]:
    out: set[str] = set()
    stack = list(ids)
    while stack:
        i = stack.pop()
        if i not in out:
            out.add(i)
            stack.extend(CHECKS[i].after)
    return [i for i in CHECK_IDS if i in out]


def _gather(names: list[str], answers: Answers, secrets: Secrets, base_dir: Path, timeout: float | None,
            started: float | None = None, at_least: float | None = None) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    done: dict[str, threading.Event] = {}
    start = started if started is not None else time.monotonic()
    limits = {n: timeout if timeout is not None else max(PROBES[n].timeout, at_least or 0) for n in names}

    def work(name: str) -> None:
        ctx = ProbeContext(answers, secrets, base_dir, deadline=start + limits[name])
        try:
            facts[name] = PROBES[name].gather(ctx)
        except Exception as exc:  # noqa: BLE001 - a probe bug must not take the run down
            facts[name] = ProbeCrashed(f"{type(exc).__name__}: {exc}", _log_crash(f"probe {name}", secrets))
        finally:
            done[name].set()

    # The probes' libraries first, in this thread: a first import from two threads at once can deadlock.
    libraries.load(m for n in names for m in PROBES[n].imports)
    for name in names:
        done[name] = threading.Event()
        threading.Thread(target=work, args=(name,), name=f"probe-{name}", daemon=True).start()
    for name in names:
        # A small grace over the deadline: the probe's own timeouts should fire first.
        if not done[name].wait(max(0.0, start + limits[name] + 0.5 - time.monotonic())):
            facts[name] = ProbeTimedOut(limits[name])
    return dict(facts)


def _let_past(result: Result) -> Result:
    """A strict check's failure under --override-strict: reported, never hidden, not blocking."""
    return replace(result, status="warn",
                   summary=f"FAILED, let past by --override-strict (lab use only): {result.summary}",
                   evidence=(*result.evidence, "strict check: a hard requirement of W&B's reference architecture"))


def _judge(check: Check, facts: dict[str, Any], inputs: CheckInputs, user_skips: dict[str, str],
           results: dict[str, Result], secrets: Secrets) -> Result:
    if check.id in user_skips:
        return skipped(check.id, f"skipped: {user_skips[check.id]}", "skipped by checks.skip in the answers")
    for dep in check.after:
        if results[dep].status in ("fail", "skip"):
            return skipped(check.id, f"not run: {dep} {'failed' if results[dep].status == 'fail' else 'was skipped'}")
    for name in check.probes:
        seen = facts.get(name)
        if isinstance(seen, ProbeTimedOut):
            return failed(check.id, f"no answer within {seen.seconds:g} s",
                          remedy="Check that this machine can reach the service (firewall, VPN, address), "
                                 f"or allow more time with {inputs.more_time}.")
        if isinstance(seen, ProbeCrashed):
            return failed(check.id, "the check itself failed: please report this", f"probe {name}: {seen.error}",
                          seen.logged)
    try:
        return check.judge({n: facts[n] for n in check.probes}, inputs)
    except Exception as exc:  # noqa: BLE001 - a judge bug must not hide the other results
        return failed(check.id, "the check itself failed: please report this", f"{type(exc).__name__}: {exc}",
                      _log_crash(f"judge of {check.id}", secrets))


def _log_crash(what: str, secrets: Secrets) -> str:
    """The traceback being handled, secrets taken out, into the log file, so that a report of
    "the check itself failed" can say where it broke."""
    from wbinstall.paths import append_to_log

    return append_to_log(_without_secrets(f"wbinstall: {what} crashed\n{traceback.format_exc()}", secrets))


def _scrub(result: Result, secrets: Secrets) -> Result:
    """Defence in depth: no secret value survives into a result, whatever a server echoed."""
    if not any(len(v) >= redact.SHORTEST for v in secrets.values()):
        return result

    def clean(text: str | None) -> str | None:
        return None if text is None else _without_secrets(text, secrets)

    return Result(result.id, result.status, clean(result.summary) or "", tuple(clean(e) or "" for e in result.evidence),
                  clean(result.remedy), result.data)


def _without_secrets(text: str, secrets: Secrets) -> str:
    return redact.without(text, secrets.values())
