"""Pure judges: observed objects (plain JSON dicts, as `kubectl get -o json` shows them) ->
the state of a resource and, when it is not ready, why.

Ready (wandb-operator.md §2.1): Deployment availableReplicas == updatedReplicas == replicas
with observedGeneration current; StatefulSet readyReplicas == replicas; DaemonSet
numberReady == desiredNumberScheduled; Job succeeded >= completions. The v1 CR's
status.phase `Completed` means "applied", not "pods ready" (§2.2).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable

Obj = dict[str, Any]

READY, PROGRESSING, FAILED, MISSING = "ready", "progressing", "failed", "missing"
CR_COMPLETED, CR_LOADING, CR_INVALID = "Completed", "Loading", "Invalid Config"
INVALID_DEFAULT_REASON = "the operator could not apply the chart"

# Container waiting reasons that will not fix themselves by waiting, worst first.
_WAITING_BAD = ("InvalidImageName", "ErrImageNeverPull", "ImagePullBackOff", "ErrImagePull",
                "CreateContainerConfigError", "CreateContainerError", "CrashLoopBackOff",
                "RunContainerError")
_SCHEDULING_CAUSES = (
    (re.compile(r"Insufficient cpu", re.I), "insufficient CPU"),
    (re.compile(r"Insufficient memory", re.I), "insufficient memory"),
    (re.compile(r"Insufficient (?!cpu|memory)([\w./-]*\w)", re.I), "insufficient {0}"),
    (re.compile(r"unbound immediate PersistentVolumeClaims|persistentvolumeclaim \S+ not found|"
                r"waiting for first consumer|unbound PersistentVolumeClaims", re.I), "volume claim not bound"),
    (re.compile(r"didn't match Pod's node affinity/selector|node\(s\) didn't match node selector", re.I),
     "no node matches the node selector/affinity"),
    (re.compile(r"untolerated taint|had taint", re.I), "node taints not tolerated"),
    (re.compile(r"no nodes available|0/0 nodes", re.I), "no nodes"),
    (re.compile(r"Too many pods", re.I), "node pod limit reached"),
    (re.compile(r"didn't have free ports", re.I), "host port in use"),
    (re.compile(r"volume node affinity conflict", re.I), "volume in another zone"),
)


@dataclass(frozen=True)
class ResourceState:
    kind: str
    name: str
    ready: int
    desired: int
    status: str           # ready | progressing | failed | missing
    reason: str = ""      # why not ready yet ('' when ready or nothing is known)

    @property
    def is_ready(self) -> bool:
        return self.status == READY

    def key(self) -> tuple[str, str]:
        return (self.kind, self.name)


@dataclass(frozen=True)
class CustomResourceState:
    name: str
    phase: str | None     # the operator's status.phase; None when not set yet
    status: str           # ready (Completed) | progressing | failed (Invalid Config) | missing
    reason: str = ""


# ----- helpers ---------------------------------------------------------------------------

def _meta(obj: Obj) -> Obj:
    return obj.get("metadata") or {}


def _spec(obj: Obj) -> Obj:
    return obj.get("spec") or {}


def _status(obj: Obj) -> Obj:
    return obj.get("status") or {}


def _generation_current(obj: Obj) -> bool:
    return int(_status(obj).get("observedGeneration") or 0) >= int(_meta(obj).get("generation") or 0)


def _condition(obj: Obj, kind: str) -> Obj | None:
    return next((c for c in _status(obj).get("conditions") or [] if c.get("type") == kind), None)


def selects(selector: Obj | None, labels: Obj | None) -> bool:
    """A label selector (matchLabels + matchExpressions) against labels; empty selects nothing."""
    if not selector:
        return False
    labels = labels or {}
    match = selector.get("matchLabels") or {}
    if any(labels.get(k) != v for k, v in match.items()):
        return False
    for e in selector.get("matchExpressions") or []:
        key, op, values = e.get("key"), e.get("operator"), e.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return bool(match or selector.get("matchExpressions"))


def scheduler_message(message: str) -> str:
    """The scheduler's message without its preemption postscript:
    '0/1 nodes are available: 1 Insufficient memory. no new claims to deallocate, preemption: 0/1
    nodes are available: 1 No preemption victims found for incoming pod.'
    -> '0/1 nodes are available: 1 Insufficient memory.'"""
    text = re.split(r"\s*preemption:", message or "", maxsplit=1)[0]
    text = re.sub(r"\s*no new claims to deallocate,?\s*$", "", text)
    return text.strip().rstrip(",")


def scheduling_causes(message: str) -> list[str]:
    """FailedScheduling / Unschedulable message -> short causes, e.g.
    '0/3 nodes are available: 3 Insufficient cpu.' -> ['insufficient CPU']."""
    out: list[str] = []
    for pattern, text in _SCHEDULING_CAUSES:
        m = pattern.search(message or "")
        if m:
            cause = text.format(*m.groups()) if m.groups() else text
            if cause not in out:
                out.append(cause)
    return out


def _event_time(e: Obj) -> str:
    return e.get("lastTimestamp") or e.get("eventTime") or _meta(e).get("creationTimestamp") or ""


def events_about(events: Iterable[Obj], kind: str, name: str) -> list[Obj]:
    """Events whose involvedObject (or regarding, events.k8s.io) is kind/name, newest last."""
    out = []
    for e in events:
        ref = e.get("involvedObject") or e.get("regarding") or {}
        if ref.get("kind") == kind and ref.get("name") == name:
            out.append(e)
    return sorted(out, key=_event_time)


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ----- pods ------------------------------------------------------------------------------

def pod_ready(pod: Obj) -> bool:
    c = _condition(pod, "Ready")
    return bool(c and c.get("status") == "True") or _status(pod).get("phase") == "Succeeded"


def pod_reason(pod: Obj, events: Iterable[Obj] = ()) -> str:
    """Why one pod is not ready, from its status and the events about it ('' if unknown)."""
    status = _status(pod)
    name = _meta(pod).get("name", "")
    statuses = [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]
    # 1. A container stuck in a bad waiting state: image pulls, crash loops, config errors.
    waiting = [(s, (s.get("state") or {}).get("waiting") or {}) for s in statuses]
    bad = [(s, w) for s, w in waiting if w.get("reason") in _WAITING_BAD]
    if bad:
        s, w = min(bad, key=lambda sw: _WAITING_BAD.index(sw[1]["reason"]))
        reason = w["reason"]
        if reason == "CrashLoopBackOff":
            last = (s.get("lastState") or {}).get("terminated") or {}
            detail = f"container {s.get('name')} restarted {s.get('restartCount', 0)} times"
            if last:
                detail += f", last exit code {last.get('exitCode')}" + (f" ({last['reason']})" if last.get("reason") else "")
            return f"CrashLoopBackOff: {detail}"
        return f"{reason}: {_one_line(w.get('message') or s.get('image') or '')}".rstrip(": ")
    if status.get("phase") == "Failed":
        return f"Failed: {_one_line(status.get('message') or status.get('reason') or 'pod failed')}"
    mine = events_about(events, "Pod", name)
    warnings = [e for e in mine if e.get("type") == "Warning"]
    # 2. Not scheduled: the scheduler's message says why.
    scheduled = _condition(pod, "PodScheduled")
    if scheduled and scheduled.get("status") == "False" or (status.get("phase") == "Pending" and not pod.get("spec", {}).get("nodeName")):
        message = (scheduled or {}).get("message") or ""
        if not message:
            failed = [e for e in warnings if e.get("reason") == "FailedScheduling"]
            message = failed[-1].get("message", "") if failed else ""
        if message:
            causes = scheduling_causes(message)
            prefix = f"Pending ({', '.join(causes)})" if causes else "Pending"
            return f"{prefix}: {_one_line(scheduler_message(message))}"
        return ""  # not looked at by the scheduler yet: nothing to say
    # 3. Scheduled but not ready: failing probes, volumes, or still starting.
    for reason in ("Unhealthy", "FailedMount", "FailedAttachVolume", "BackOff", "Failed"):
        hits = [e for e in warnings if e.get("reason") == reason]
        if hits:
            message = _one_line(hits[-1].get("message", ""))
            if reason == "Unhealthy":
                kind = "readiness" if "Readiness" in message else "liveness" if "Liveness" in message else "startup" if "Startup" in message else ""
                return f"{kind + ' ' if kind else ''}probe failing: {message}"
            return f"{reason}: {message}"
    starting = [w.get("reason") for _, w in waiting if w.get("reason")]
    if starting:
        return f"starting ({starting[0]})"
    running_unready = [s.get("name") for s in statuses if (s.get("state") or {}).get("running") and not s.get("ready")]
    if running_unready:
        return f"running, not ready yet: container {', '.join(running_unready)}"
    return ""  # scheduled, nothing reported yet: the workload says "pods starting"


def _pods_reason(pods: list[Obj], events: list[Obj]) -> str:
    """The most common reason among the not-ready pods, with how many share it."""
    reasons = [pod_reason(p, events) for p in pods if not pod_ready(p)]
    reasons = [r for r in reasons if r]
    if not reasons:
        return ""
    reason, count = Counter(reasons).most_common(1)[0]
    return f"{count} pod{'s' if count != 1 else ''} {reason}" if len(reasons) > 1 or count > 1 else reason


# ----- workloads -------------------------------------------------------------------------

def judge_workload(obj: Obj, pods: Iterable[Obj] = (), events: Iterable[Obj] = ()) -> ResourceState:
    """Deployment / StatefulSet / DaemonSet / Job -> state, with the reason it is not ready."""
    kind, name = obj.get("kind", ""), _meta(obj).get("name", "")
    spec, status = _spec(obj), _status(obj)
    events = list(events)
    if kind == "Deployment":
        desired = int(spec.get("replicas", 1))
        ready = int(status.get("availableReplicas") or 0)
        ok = _generation_current(obj) and ready >= desired and int(status.get("updatedReplicas") or 0) >= desired \
            and int(status.get("replicas") or 0) <= desired
    elif kind == "StatefulSet":
        desired = int(spec.get("replicas", 1))
        ready = int(status.get("readyReplicas") or 0)
        ok = _generation_current(obj) and ready >= desired
    elif kind == "DaemonSet":
        desired = int(status.get("desiredNumberScheduled") or 0)
        ready = int(status.get("numberReady") or 0)
        ok = _generation_current(obj) and ready >= desired
    elif kind == "Job":
        desired = int(spec.get("completions") or 1)
        ready = int(status.get("succeeded") or 0)
        failed = _condition(obj, "Failed")
        if failed and failed.get("status") == "True":
            return ResourceState(kind, name, ready, desired, FAILED,
                                 f"Job failed: {_one_line(failed.get('message') or failed.get('reason') or '')}")
        ok = ready >= desired
    else:
        raise ValueError(f"not a workload kind: {kind}")
    if ok:
        return ResourceState(kind, name, ready, desired, READY)
    return ResourceState(kind, name, ready, desired, PROGRESSING, workload_reason(obj, pods, events))


def workload_reason(obj: Obj, pods: Iterable[Obj], events: list[Obj]) -> str:
    kind, name = obj.get("kind", ""), _meta(obj).get("name", "")
    selector = _spec(obj).get("selector")
    mine = [p for p in pods if selects(selector, _meta(p).get("labels"))]
    if reason := _pods_reason(mine, events):
        return reason
    # No pod explains it: the controller could not create pods (quota, admission, missing
    # ServiceAccount) or the rollout is stuck. Deployments report that in conditions;
    # ReplicaSets and the workload itself in events.
    for cond_type in ("ReplicaFailure", "Progressing"):
        c = _condition(obj, cond_type)
        if c and (cond_type == "ReplicaFailure" and c.get("status") == "True"
                  or cond_type == "Progressing" and c.get("status") == "False"):
            return f"{c.get('reason')}: {_one_line(c.get('message') or '')}"
    owned_events = [e for e in events if e.get("type") == "Warning"
                    and (((e.get("involvedObject") or {}).get("kind"), (e.get("involvedObject") or {}).get("name")) == (kind, name)
                         or ((e.get("involvedObject") or {}).get("kind") == "ReplicaSet"
                             and (e.get("involvedObject") or {}).get("name", "").startswith(f"{name}-")))]
    if owned_events:
        e = sorted(owned_events, key=_event_time)[-1]
        return f"{e.get('reason')}: {_one_line(e.get('message', ''))}"
    if not _generation_current(obj):
        return "rollout starting"
    return "pods starting"


def judge_custom_resource(cr: Obj | None, name: str, events: Iterable[Obj] = ()) -> CustomResourceState:
    """The WeightsAndBiases resource (operator v1): Completed = applied; Invalid Config = failed."""
    if cr is None:
        return CustomResourceState(name, None, MISSING, "not created yet")
    phase = _status(cr).get("phase")
    if phase == CR_COMPLETED:
        return CustomResourceState(name, phase, READY)
    warnings = [e for e in events_about(events, "WeightsAndBiases", name) if e.get("type") == "Warning"]
    detail = f"{warnings[-1].get('reason')}: {_one_line(warnings[-1].get('message', ''))}" if warnings else ""
    if phase == CR_INVALID:
        return CustomResourceState(name, phase, FAILED, detail or INVALID_DEFAULT_REASON)
    if phase is None:
        return CustomResourceState(name, None, PROGRESSING, detail or "waiting for the operator to pick it up")
    return CustomResourceState(name, phase, PROGRESSING, detail or f"operator: {phase}")
