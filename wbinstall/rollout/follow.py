"""Follow a rollout by watching (never polling) the namespace, and report progress events.

    outcome = follow(api, "wandb", on_event=print, cancel=threading.Event())

Phases, each with its own time budget (events.Limits), in order:
  operator   the controller Deployment is available
  resource   the WeightsAndBiases resource exists and the operator set phase Completed
  workloads  every Deployment/StatefulSet/DaemonSet/Job labelled
             app.kubernetes.io/instance=<cr> is ready (at least one exists)
Pods and Events in the namespace only explain why something is not ready: reasons are
looked up in what the watches already hold, never fetched (no request per judgement).

Cost to the API server: one list and one long-lived watch per collection (seven), renewed
every 5-10 minutes (watch.py); nothing is polled.

Safe to call at any time, from any thread: on an install already under way it attaches to
its progress; on a finished one it reports ready at once. `cancel.set()` ends it (outcome
`cancelled`) within half a second; nothing in the cluster is changed by following.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from wbinstall.kube import Kube, collection_path
from wbinstall.rollout import judge
from wbinstall.rollout.events import (CANCELLED, FAILED_OUTCOME, OPERATOR, PHASES, READY_OUTCOME, RESOURCE,
                                      TIMEOUT, CustomResourceChanged, Event, Finished, Limits,
                                      Outcome, PhaseDone, PhaseStarted, ResourceChanged)
from wbinstall.rollout.watch import DELETED, SYNCED, Change, Watcher

Obj = dict[str, Any]
INSTANCE_LABEL = "app.kubernetes.io/instance"
CR_GROUP_VERSION = "apps.wandb.com/v1"
FAILURE_GRACE = 3.0    # seconds to wait for the event explaining a failed phase
WORKLOAD_SOURCES = {"deployments": "Deployment", "statefulsets": "StatefulSet", "daemonsets": "DaemonSet",
                    "jobs": "Job"}


def _sources(namespace: str, cr_name: str) -> list[tuple[str, str, str, str | None]]:
    """(source, kind, apiVersion, label selector) for every watch."""
    selector = f"{INSTANCE_LABEL}={cr_name}"
    return [
        ("deployments", "Deployment", "apps/v1", None),   # the controller has no instance label
        ("statefulsets", "StatefulSet", "apps/v1", selector),
        ("daemonsets", "DaemonSet", "apps/v1", selector),
        ("jobs", "Job", "batch/v1", selector),
        ("pods", "Pod", "v1", None),
        ("events", "Event", "v1", None),
        ("customresources", "WeightsAndBiases", CR_GROUP_VERSION, None),
    ]


class Follower:
    def __init__(self, kube: Kube, namespace: str, cr_name: str = "wandb",
                 controller: str = "wandb-controller-manager", limits: Limits | None = None,
                 on_event: Callable[[Event], None] | None = None, cancel: threading.Event | None = None,
                 clock: Callable[[], float] = time.monotonic, watch_timeout: int | None = None):
        self.kube, self.namespace, self.cr_name, self.controller = kube, namespace, cr_name, controller
        self.limits = limits or Limits()
        self.on_event = on_event or (lambda e: None)
        self.cancel = cancel or threading.Event()
        self.clock = clock
        self.queue: "queue.Queue[Change]" = queue.Queue()
        self.store: dict[str, dict[str, Obj]] = {s[0]: {} for s in _sources(namespace, cr_name)}
        self.synced: set[str] = set()
        self.watchers = [
            Watcher(kube, source, kind, api_version, collection_path(api_version, kind, namespace), self.queue,
                    label_selector=selector, timeout_seconds=watch_timeout)
            for source, kind, api_version, selector in _sources(namespace, cr_name)]
        self.shown: dict[tuple[str, str], Any] = {}
        self.events: list[Event] = []

    # ----- observed state -> judged state ---------------------------------------------
    def _pods(self) -> list[Obj]:
        return list(self.store["pods"].values())

    def _events(self) -> list[Obj]:
        return list(self.store["events"].values())

    def controller_state(self) -> judge.ResourceState:
        dep = next((d for d in self.store["deployments"].values() if d["metadata"]["name"] == self.controller), None)
        if dep is None:
            return judge.ResourceState("Deployment", self.controller, 0, 1, judge.MISSING, "not created yet")
        return judge.judge_workload(dep, self._pods(), self._events())

    def cr_state(self) -> judge.CustomResourceState:
        cr = next((c for c in self.store["customresources"].values() if c["metadata"]["name"] == self.cr_name), None)
        return judge.judge_custom_resource(cr, self.cr_name, self._events())

    def workload_states(self) -> list[judge.ResourceState]:
        out = []
        pods, events = self._pods(), self._events()
        for source in WORKLOAD_SOURCES:
            for obj in self.store[source].values():
                labels = obj["metadata"].get("labels") or {}
                if labels.get(INSTANCE_LABEL) != self.cr_name:
                    continue
                out.append(judge.judge_workload(obj, pods, events))
        return sorted(out, key=lambda s: (s.kind, s.name))

    # ----- the loop -------------------------------------------------------------------
    def run(self) -> Outcome:
        for w in self.watchers:
            w.start()
        try:
            return self._loop()
        finally:
            for w in self.watchers:
                w.stop()

    def _emit(self, event: Event) -> None:
        self.events.append(event)
        self.on_event(event)

    def _loop(self) -> Outcome:
        index = 0
        failed_since: float | None = None
        phase = PHASES[index]
        started = self.clock()
        self._emit(PhaseStarted(phase, self.limits.of(phase)))
        while True:
            if self.cancel.is_set():
                return self._finish(CANCELLED, phase, started, "cancelled; the install continues in the cluster")
            try:
                self._take(self.queue.get(timeout=0.5))
                for _ in range(2000):  # drain what arrived together, judge once
                    self._take(self.queue.get_nowait())
            except queue.Empty:
                pass
            elapsed = self.clock() - started
            limit = self.limits.of(phase)
            if len(self.synced) < len(self.watchers):
                if elapsed > limit:
                    return self._finish(TIMEOUT, phase, started, "could not list the namespace's resources in time")
                continue
            self._report(phase, elapsed, limit)
            cr = self.cr_state()
            if cr.status != judge.FAILED:
                failed_since = None
            elif failed_since is None:
                # The operator sets the phase, then records the Warning event that says why:
                # give the event a moment to arrive so that the failure names its reason.
                failed_since = self.clock()
            if failed_since is not None and (cr.reason != judge.INVALID_DEFAULT_REASON
                                             or self.clock() - failed_since > FAILURE_GRACE):
                return self._finish(FAILED_OUTCOME, phase, started,
                                    f"the operator reports {cr.phase!r} for WeightsAndBiases {self.cr_name}: {cr.reason}")
            while self._phase_done(phase):
                self._emit(PhaseDone(phase, self.clock() - started, limit))
                index += 1
                if index == len(PHASES):
                    return self._finish(READY_OUTCOME, None, started, "everything is ready")
                phase = PHASES[index]
                started = self.clock()
                limit = self.limits.of(phase)
                self._emit(PhaseStarted(phase, limit))
            if self.clock() - started > limit:
                return self._finish(TIMEOUT, phase, started,
                                    f"not ready within {limit:g} s ({PHASES.index(phase) + 1}/{len(PHASES)}: {phase})")

    def _take(self, change: Change) -> None:
        if change.type == SYNCED:
            self.synced.add(change.source)
            return
        assert change.obj is not None
        uid = change.obj["metadata"]["uid"]
        if change.type == DELETED:
            self.store[change.source].pop(uid, None)
        else:
            self.store[change.source][uid] = change.obj

    def _phase_done(self, phase: str) -> bool:
        if phase == OPERATOR:
            return self.controller_state().is_ready
        if phase == RESOURCE:
            return self.cr_state().status == judge.READY
        states = self.workload_states()
        return bool(states) and all(s.is_ready for s in states)

    def _report(self, phase: str, elapsed: float, limit: float) -> None:
        """One event per change of a judged state (not per API event: a pod's heartbeat that
        changes nothing we show is not news)."""
        states: list[Any] = [self.controller_state(), *self.workload_states()]
        for s in states:
            if self.shown.get(s.key()) != s:
                self.shown[s.key()] = s
                self._emit(ResourceChanged(s, phase, elapsed, limit))
        cr = self.cr_state()
        if self.shown.get(("WeightsAndBiases", cr.name)) != cr:
            self.shown[("WeightsAndBiases", cr.name)] = cr
            self._emit(CustomResourceChanged(cr, phase, elapsed, limit))

    def _finish(self, status: str, phase: str | None, started: float, message: str) -> Outcome:
        elapsed = self.clock() - started
        limit = self.limits.of(phase) if phase else 0.0
        not_ready: tuple[judge.ResourceState, ...] = ()
        cr = None
        commands: list[str] = []
        if status != READY_OUTCOME and len(self.synced) == len(self.watchers):
            states = [self.controller_state(), *self.workload_states()]
            not_ready = tuple(s for s in states if not s.is_ready)
            cr = self.cr_state()
            commands = next_commands(self.namespace, not_ready, cr, self.controller)
        outcome = Outcome(status, phase, elapsed, limit, not_ready, cr, message, tuple(commands))
        self._emit(Finished(outcome))
        return outcome


def next_commands(namespace: str, not_ready: tuple[judge.ResourceState, ...] | list[judge.ResourceState],
                  cr: judge.CustomResourceState | None, controller: str) -> list[str]:
    out = [f"kubectl -n {namespace} describe {s.kind.lower()} {s.name}" for s in not_ready if s.status != judge.MISSING]
    if cr is not None and cr.status != judge.READY:
        out.append(f"kubectl -n {namespace} describe weightsandbiases {cr.name}")
        out.append(f"kubectl -n {namespace} logs deployment/{controller}")
    out.append(f"kubectl -n {namespace} get events --sort-by=.lastTimestamp")
    return out


def follow(api_or_kube: Any, namespace: str, *, cr_name: str = "wandb",
           controller: str = "wandb-controller-manager", limits: Limits | None = None,
           on_event: Callable[[Event], None] | None = None, cancel: threading.Event | None = None,
           watch_timeout: int | None = None) -> Outcome:
    """Watch until ready, failed, timed out or cancelled; call on_event (in this thread) for
    every progress event. Blocking: run it in a thread worker from a UI."""
    kube = api_or_kube if isinstance(api_or_kube, Kube) else Kube(api_or_kube)
    return Follower(kube, namespace, cr_name, controller, limits, on_event, cancel,
                    watch_timeout=watch_timeout).run()
