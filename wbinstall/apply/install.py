"""The unattended install: checks -> apply -> rollout, reported as plain lines.

    code = install.run(loaded, resolved, options)      # an exit code (wbinstall.exitcodes)

One line per change, never an animation, so that a pipeline's log reads like a story.
Exit codes: 1 a check failed (before anything is applied), 3 apply/rollout failed or timed
out, 130 interrupted (every applied object is whole; a rerun continues), 0 ready.
Re-attach: when another live install holds the install lock, nothing is applied; this run
says who holds it since when and follows that install's rollout instead.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from typing import Any, TextIO

from wbinstall import exitcodes


@dataclass
class InstallOptions:
    dry_run: bool = False
    force_conflicts: bool = False
    timeout_rollout: float | None = None     # caps every rollout phase (seconds)
    skip_rollout: bool = False


def run(loaded: Any, resolved: Any, options: InstallOptions, out: TextIO | None = None,
        cancel: threading.Event | None = None) -> int:
    out = out or sys.stdout

    def say(text: str) -> None:
        print(text, file=out, flush=True)

    answers, base_dir = loaded.answers, loaded.base_dir
    namespace = answers.kubernetes.namespace

    # 1. Checks: a failed check stops everything before the cluster is touched.
    from wbinstall.checks import engine
    from wbinstall.checks.report import text as report_text

    say("checks: running")
    results = engine.run(answers, resolved, base_dir, timeout=answers.checks.timeout)
    say(report_text(results))
    if any(r.status == "fail" for r in results):
        say("checks failed: nothing was applied")
        return exitcodes.CHECK_FAILED

    from wbinstall import manifests
    from wbinstall.apply.kube import Kube, KubeError, connect_answers
    from wbinstall.apply.lock import InstallLock, LockHeld
    from wbinstall.apply.run import ApplyFailed, apply
    from wbinstall.manifests.custom_resource import name as cr_name
    from wbinstall.manifests.operator import defaults
    from urllib3.exceptions import HTTPError

    objects = manifests.render(answers, resolved, base_dir)
    api = connect_answers(answers, base_dir)
    kube = Kube(api)
    try:
        if options.dry_run:
            return _dry_run(kube, objects, namespace, options, say)

        lock = InstallLock(kube, namespace)
        namespace_exists = kube.get(f"/api/v1/namespaces/{namespace}") is not None

        def take_lock(obj: dict) -> None:
            # The Lease lives in the namespace: take it first thing, or right after creating it.
            if not lock.held and (namespace_exists or obj["kind"] != "Namespace"):
                lock.acquire()
                say(f"lock: holding Lease {namespace}/wbinstall-install as {lock.who}")

        try:
            say(f"apply: {len(objects)} objects into namespace {namespace} "
                "(server-side apply, field manager wbinstall)")
            try:
                apply(kube, objects, force_conflicts=options.force_conflicts,
                      on_applied=lambda a: say(f"apply: {a.line()}"), before=take_lock)
            except LockHeld as held:
                say(f"apply refused: {held}")
                say("attaching to that install's rollout instead (this run applied nothing)")
            except (ApplyFailed, KubeError, OSError, HTTPError) as e:
                say(f"apply failed: {e}")
                return exitcodes.APPLY_FAILED
            if options.skip_rollout:
                return exitcodes.OK
            return _follow(kube, namespace, cr_name(), defaults()["controller"]["deployment"], options, say,
                           cancel)
        finally:
            if lock.held:
                lock.release()
    finally:
        api.close()


def _dry_run(kube: Any, objects: list, namespace: str, options: InstallOptions, say: Any) -> int:
    from wbinstall.apply.kube import KubeError
    from wbinstall.apply.lock import InstallLock
    from wbinstall.apply.run import UNCHANGED, ApplyFailed, apply

    say(f"dry run: server-side apply with dryRun=All into namespace {namespace}; nothing is changed")
    try:
        holder = InstallLock(kube, namespace).current()
        if holder:
            say(f"note: an install is under way: {holder.describe()}")
        applied = apply(kube, objects, dry_run=True, force_conflicts=options.force_conflicts)
    except (ApplyFailed, KubeError) as e:
        say(f"dry run failed: {e}")
        return exitcodes.APPLY_FAILED
    for a in applied:
        say(f"dry run: {a.line()}")
        if a.diff:
            say(a.diff.rstrip("\n"))
    changes = sum(a.action != UNCHANGED for a in applied)
    say(f"dry run: {changes} of {len(applied)} objects would change")
    return exitcodes.OK


def _follow(kube: Any, namespace: str, cr: str, controller: str, options: InstallOptions, say: Any,
            cancel: threading.Event | None) -> int:
    from wbinstall.rollout import Limits, follow
    from wbinstall.rollout.text import line, summary

    def show(event: Any) -> None:
        text = line(event)
        if text:
            say(text)

    outcome = follow(kube, namespace, cr_name=cr, controller=controller,
                     limits=Limits.capped(options.timeout_rollout), on_event=show, cancel=cancel)
    say(summary(outcome, namespace))
    if outcome.ok:
        return exitcodes.OK
    if outcome.status == "cancelled":
        return exitcodes.INTERRUPTED
    return exitcodes.APPLY_FAILED
