"""The install: checks -> lock -> apply -> rollout, one sequence for both faces. `run` reports
it as plain lines (the unattended CLI); the wizard's Deploy step calls `install` and
`follow_existing` and draws their events.

    code = run(loaded, resolved, options)             # an exit code (wbinstall.exitcodes)
    result = install(answers, secrets, base_dir, on_event=cb, cancel=threading.Event())
    result = follow_existing(answers, base_dir, on_event=cb)   # another's install, or None
    result = deploy(kube, objects, namespace, ...)    # the sequence on a given client and objects

One line per change, never an animation, so that a pipeline's log reads like a story.
Exit codes: 1 a check failed (before anything is applied), 3 apply/rollout failed or timed
out, 5 ready but a verify.* check failed (run last), 130 interrupted (every applied object is
whole; a rerun continues), 0 ready and verified.
Re-attach: when another live install holds the install lock, nothing is applied; this run
says who holds it since when and follows that install's rollout instead.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from wbinstall import exitcodes
from wbinstall.apply.lock import LEASE_NAME, Holder
from wbinstall.apply.run import Applied
from wbinstall.rollout.events import Limits, Outcome


@dataclass
class InstallOptions:
    dry_run: bool = False
    force_conflicts: bool = False
    timeout_rollout: float | None = None     # caps every rollout phase (seconds)
    skip_rollout: bool = False


# ----- the sequence's own events (the rollout's come from wbinstall.rollout.events) -------
@dataclass(frozen=True)
class ApplyStarted:
    namespace: str
    count: int


@dataclass(frozen=True)
class LockTaken:
    namespace: str
    who: str
    took_over: str | None = None  # a stale holder's Lease was taken over: whose, and why it was free


@dataclass(frozen=True)
class LockRefused:
    """Another live install holds the lock: nothing is applied; its rollout is followed."""
    namespace: str
    holder: Holder
    message: str


@dataclass(frozen=True)
class LockFreed:
    """The install whose lock refused this one stopped renewing it: this one takes over."""
    namespace: str
    holder: Holder


@dataclass(frozen=True)
class Attached:
    """Following an install already in the cluster; this run applies nothing. `holder`: the
    live install that holds the lock, or None when a past install left its resource behind."""
    namespace: str
    holder: Holder | None


@dataclass(frozen=True)
class ObjectApplied:
    applied: Applied
    index: int          # 1-based
    count: int


@dataclass(frozen=True)
class ApplyError:
    message: str


@dataclass(frozen=True)
class ApplyStopped:
    """Cancelled between two objects: those applied are whole; a rerun continues."""
    applied: int
    count: int


InstallEvent = ApplyStarted | LockTaken | LockRefused | LockFreed | Attached | ObjectApplied | ApplyError | ApplyStopped

APPLIED, APPLY_FAILED, STOPPED = "applied", "apply failed", "stopped"


@dataclass(frozen=True)
class Deployed:
    """status: the rollout's (ready | timeout | failed | cancelled), or `apply failed`,
    `stopped` (cancelled while applying) or `applied` (rollout not followed)."""
    status: str
    outcome: Outcome | None = None
    reattached: bool = False
    applied: tuple[Applied, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status in ("ready", APPLIED)


def line(event: Any) -> str | None:
    """The plain line for an event of the sequence (None: nothing to print)."""
    from wbinstall.rollout.text import line as rollout_line

    if isinstance(event, ApplyStarted):
        return (f"apply: {event.count} objects into namespace {event.namespace} "
                "(server-side apply, field manager wbinstall)")
    if isinstance(event, LockTaken):
        taken = f" (taken over from {event.took_over})" if event.took_over else ""
        return f"lock: holding Lease {event.namespace}/{LEASE_NAME} as {event.who}{taken}"
    if isinstance(event, LockRefused):
        return (f"apply refused: {event.message}\n"
                "attaching to that install's rollout instead (this run applied nothing)")
    if isinstance(event, LockFreed):
        return (f"lock: {event.holder.identity} stopped renewing Lease {event.namespace}/{LEASE_NAME}: "
                "taking over and applying")
    if isinstance(event, Attached):
        what = (f"an install is under way ({event.holder.describe()})" if event.holder
                else f"W&B is installed in namespace {event.namespace}")
        return f"attach: {what}: following its rollout (this run applies nothing)"
    if isinstance(event, ObjectApplied):
        return f"apply: {event.applied.line()}"
    if isinstance(event, ApplyError):
        return f"apply failed: {event.message}"
    if isinstance(event, ApplyStopped):
        return (f"apply stopped after {event.applied} of {event.count} objects "
                "(each applied object is whole; a rerun continues)")
    return rollout_line(event)


class _Stop(Exception):
    pass


def deploy(kube: Any, objects: list[dict], namespace: str, *, force_conflicts: bool = False,
           limits: Limits | None = None, skip_rollout: bool = False,
           on_event: Callable[[Any], None] | None = None, cancel: threading.Event | None = None,
           cr_name: str | None = None, controller: str | None = None) -> Deployed:
    """Lock -> apply -> follow, every step reported to `on_event` (in this thread).

    Blocking; run it in a thread from a UI. `cancel.set()` stops between two objects while
    applying, and ends following within half a second; the lock is released either way."""
    from urllib3.exceptions import HTTPError

    from wbinstall.apply.lock import InstallLock, LockHeld
    from wbinstall.kube import KubeError
    from wbinstall.apply.run import ApplyFailed, apply

    emit = on_event or (lambda e: None)
    cancel = cancel or threading.Event()
    lock = InstallLock(kube, namespace)
    applied: list[Applied] = []
    try:
        namespace_exists = kube.get(f"/api/v1/namespaces/{namespace}") is not None

        def before(obj: dict) -> None:
            if cancel.is_set():
                raise _Stop
            # The Lease lives in the namespace: take it first thing, or right after creating it.
            if not lock.held and (namespace_exists or obj["kind"] != "Namespace"):
                lock.acquire()
                emit(LockTaken(namespace, lock.who, lock.took_over))

        def done(a: Applied) -> None:
            applied.append(a)
            emit(ObjectApplied(a, len(applied), len(objects)))

        emit(ApplyStarted(namespace, len(objects)))
        try:
            apply(kube, objects, force_conflicts=force_conflicts, on_applied=done, before=before)
        except LockHeld as held:
            emit(LockRefused(namespace, held.holder, str(held)))
            freed = _until_freed(lock, held.holder, cancel)
            followed = _follow(kube, namespace, freed.emit(emit), freed.stop, limits, cr_name, controller,
                               reattached=True)
            freed.done.set()
            if not freed.is_set() or cancel.is_set():
                return followed
            # The holder died or stopped renewing while we followed: nobody else will finish it.
            emit(LockFreed(namespace, held.holder))
            return deploy(kube, objects, namespace, force_conflicts=force_conflicts, limits=limits,
                          skip_rollout=skip_rollout, on_event=on_event, cancel=cancel, cr_name=cr_name,
                          controller=controller)
        except _Stop:
            emit(ApplyStopped(len(applied), len(objects)))
            return Deployed(STOPPED, applied=tuple(applied))
        except (ApplyFailed, KubeError, OSError, HTTPError) as e:
            emit(ApplyError(str(e)))
            return Deployed(APPLY_FAILED, applied=tuple(applied))
        if skip_rollout:
            return Deployed(APPLIED, applied=tuple(applied))
        return _follow(kube, namespace, emit, cancel, limits, cr_name, controller, applied=tuple(applied))
    finally:
        if lock.held:
            lock.release()


def attach(kube: Any, namespace: str, *, limits: Limits | None = None,
           on_event: Callable[[Any], None] | None = None, cancel: threading.Event | None = None,
           cr_name: str | None = None, controller: str | None = None) -> Deployed | None:
    """Follow an install already in the cluster: one that another process holds the lock for
    (a colleague's run, a wizard whose SSH session dropped), or the resource a past install
    left. Applies nothing, ever; None, with nothing emitted, when there is nothing to follow."""
    from wbinstall.apply.lock import InstallLock
    from wbinstall.kube import collection_path
    from wbinstall.manifests.custom_resource import name as default_cr_name
    from wbinstall.rollout.follow import CR_GROUP_VERSION

    cr_name = cr_name or default_cr_name()
    holder = InstallLock(kube, namespace).current()
    resource = f"{collection_path(CR_GROUP_VERSION, 'WeightsAndBiases', namespace)}/{cr_name}"
    if holder is None and kube.get(resource) is None:
        return None
    emit = on_event or (lambda e: None)
    emit(Attached(namespace, holder))
    return _follow(kube, namespace, emit, cancel or threading.Event(), limits, cr_name, controller,
                   reattached=True)


class _Freed(threading.Event):
    """Set when the lease that refused us frees while we follow its holder's rollout."""

    def __init__(self) -> None:
        super().__init__()
        self.stop, self.done = threading.Event(), threading.Event()

    def emit(self, emit: Callable[[Any], None]) -> Callable[[Any], None]:
        from wbinstall.rollout.events import Finished

        # The follow's own ending ("cancelled") is not news when we stop it to take over.
        return lambda event: None if self.is_set() and isinstance(event, Finished) else emit(event)


def _until_freed(lock: Any, holder: Holder, cancel: threading.Event) -> _Freed:
    """Look at the lease every third of its duration until it frees, `cancel` is set, or
    following ends (`done`); `stop` ends the follow in the first two cases."""
    freed = _Freed()

    def watch() -> None:
        while not freed.done.is_set():
            if cancel.wait(max(1.0, holder.seconds / 3)):
                break
            try:
                if lock.current() is None:
                    freed.set()
                    break
            except Exception:  # noqa: BLE001 - cannot look: keep following; the next look may work
                continue
        freed.stop.set()

    threading.Thread(target=watch, name="wbinstall-lease-watch", daemon=True).start()
    return freed


def _follow(kube: Any, namespace: str, emit: Callable[[Any], None], cancel: threading.Event,
            limits: Limits | None, cr_name: str | None, controller: str | None, *,
            reattached: bool = False, applied: tuple[Applied, ...] = ()) -> Deployed:
    from wbinstall.manifests.custom_resource import name as default_cr_name
    from wbinstall.manifests.operator import defaults
    from wbinstall.rollout import follow

    outcome = follow(kube, namespace, cr_name=cr_name or default_cr_name(),
                     controller=controller or defaults()["controller"]["deployment"],
                     limits=limits or Limits(), on_event=emit, cancel=cancel)
    return Deployed(outcome.status, outcome, reattached, applied)


def install(answers: Any, secrets: Any, base_dir: Any, *, on_event: Callable[[Any], None],
            cancel: threading.Event | None = None, force_conflicts: bool = False,
            limits: Limits | None = None, skip_rollout: bool = False) -> Deployed:
    """Render, connect, then deploy(); a missing secret, a file that cannot be read or a
    kubeconfig that names no cluster is reported as an ApplyError event, never raised."""
    from wbinstall.kube import Kube

    try:
        objects, api = _open(answers, secrets, base_dir)
    except _CannotStart as exc:
        on_event(ApplyError(str(exc)))
        return Deployed(APPLY_FAILED)
    try:
        return deploy(Kube(api), objects, answers.kubernetes.namespace, force_conflicts=force_conflicts,
                      limits=limits, skip_rollout=skip_rollout, on_event=on_event, cancel=cancel)
    finally:
        api.close()


class _CannotStart(Exception):
    pass


def _open(answers: Any, secrets: Any, base_dir: Any) -> tuple[list[dict], Any]:
    """The objects to apply and an API client for the answers' cluster."""
    from wbinstall import manifests
    from wbinstall.answers.fields import dotted, given_secrets
    from wbinstall.kube import KubeconfigError, connect

    if missing := [dotted(k) for k in given_secrets(answers) if k not in secrets]:
        raise _CannotStart(f"no value for {', '.join(missing)}: set the environment variable or file its reference "
                           "names (or type the value on its step), then deploy again")
    try:
        return manifests.render(answers, secrets, base_dir), connect(answers, base_dir, answers.checks.timeout)
    except (KubeconfigError, OSError, ValueError) as exc:
        raise _CannotStart(f"cannot start: {exc}") from None


def follow_existing(answers: Any, base_dir: Any, *, on_event: Callable[[Any], None],
                    cancel: threading.Event | None = None) -> Deployed | None:
    """attach() on a client for the answers' cluster. None when there is nothing to follow or
    the cluster cannot be asked: attaching is an offer; Deploy reports such problems itself."""
    from wbinstall.kube import Kube, KubeconfigError, KubeError, connect

    try:
        api = connect(answers, base_dir, answers.checks.timeout)
    except KubeconfigError:
        return None
    try:
        return attach(Kube(api, timeout=answers.checks.timeout), answers.kubernetes.namespace,
                      on_event=on_event, cancel=cancel)
    except (KubeError, OSError, ValueError):
        return None
    finally:
        api.close()


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

    from wbinstall.rollout.text import summary

    if options.dry_run:
        return _dry_run(answers, resolved, base_dir, options, say)

    def show(event: Any) -> None:
        text = line(event)
        if text:
            say(text)

    result = install(answers, resolved, base_dir, force_conflicts=options.force_conflicts,
                     limits=Limits.capped(options.timeout_rollout), skip_rollout=options.skip_rollout,
                     on_event=show, cancel=cancel)
    if result.outcome is not None:
        say(summary(result.outcome, namespace))
    if result.ok and result.status == "ready":
        return _verify(answers, resolved, base_dir, say, cancel)
    if result.ok:
        return exitcodes.OK
    if result.status in ("cancelled", STOPPED):
        return exitcodes.INTERRUPTED
    return exitcodes.APPLY_FAILED


def _verify(answers: Any, resolved: Any, base_dir: Any, say: Callable[[str], None],
            cancel: threading.Event | None) -> int:
    """The last step: W&B as its users reach it (verify.*), once the ingress has caught up."""
    from wbinstall.checks.report import text as report_text
    from wbinstall.session.verify import settle

    def again(results: list, left: float) -> None:
        failing = ", ".join(r.id for r in results if r.status == "fail")
        say(f"verify: {failing} not yet; trying again (for {left:.0f} s more)")

    say("verify: W&B as its users reach it")
    results = settle(answers, resolved, base_dir, on_round=again, cancel=cancel)
    say(report_text(results))
    if any(r.status == "fail" for r in results):
        say("verify failed: W&B is installed, but not reachable as its users would reach it")
        return exitcodes.VERIFY_FAILED
    return exitcodes.OK


def _dry_run(answers: Any, resolved: Any, base_dir: Any, options: InstallOptions, say: Any) -> int:
    from urllib3.exceptions import HTTPError

    from wbinstall.apply.lock import InstallLock
    from wbinstall.apply.run import UNCHANGED, ApplyFailed, apply
    from wbinstall.kube import Kube, KubeError

    namespace = answers.kubernetes.namespace
    say(f"dry run: server-side apply with dryRun=All into namespace {namespace}; nothing is changed")
    try:
        objects, api = _open(answers, resolved, base_dir)
    except _CannotStart as e:
        say(f"dry run failed: {e}")
        return exitcodes.APPLY_FAILED
    kube = Kube(api)
    try:
        holder = InstallLock(kube, namespace).current()
        if holder:
            say(f"note: an install is under way: {holder.describe()}")
        applied = apply(kube, objects, dry_run=True, force_conflicts=options.force_conflicts)
    except (ApplyFailed, KubeError, OSError, HTTPError) as e:
        say(f"dry run failed: {e}")
        return exitcodes.APPLY_FAILED
    finally:
        api.close()
    for a in applied:
        say(f"dry run: {a.line()}")
        if a.diff:
            say(a.diff.rstrip("\n"))
    changes = sum(a.action != UNCHANGED for a in applied)
    say(f"dry run: {changes} of {len(applied)} objects would change")
    return exitcodes.OK
