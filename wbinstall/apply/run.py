"""Apply the rendered install, in order, by server-side apply.

    apply(kube, objects, on_applied=print)          # -> [Applied]
    apply(kube, objects, dry_run=True)              # dryRun=All; Applied.diff holds the change

Decisions:
* Field manager `wbinstall`; conflicts are NOT forced by default: a field another manager
  (kubectl edit, Helm, an admission controller's owner) set to a different value stops the
  apply with a message naming it, and `--force-conflicts` takes the field over. Silently
  overwriting someone's deliberate change is worse than asking once.
* Never deletes anything. An object dropped from the rendering stays in the cluster; user
  data (PVCs, databases, buckets) is never touched.
* Every object is one atomic request, applied in render order (CRD waited until Established
  before anything that needs it), so a run killed at any point leaves a prefix applied and a
  rerun converges on the same objects: nothing is created twice.
* "unchanged" = wbinstall's write moved nothing: the same generation and managed fields (the
  server found nothing to write; a controller's status update meanwhile does not count).
* Secrets are sent as `data` (base64), not `stringData`, so that applying the same values
  twice is a no-op for the server too.
"""

from __future__ import annotations

import base64
import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wbinstall.apply import diff as diffs
from wbinstall.kube import Kube, KubeError, describe, object_path
from wbinstall.kube.client import FIELD_MANAGER

Obj = dict[str, Any]

CREATED, CONFIGURED, UNCHANGED = "created", "configured", "unchanged"
WOULD_CREATE, WOULD_CHANGE = "would create", "would change"


@dataclass(frozen=True)
class Applied:
    kind: str
    name: str
    namespace: str | None
    action: str                     # created | configured | unchanged | would create | would change
    resource_version: str | None = None
    diff: str = ""                  # dry run only: unified diff live -> applied (Secrets redacted)

    def line(self) -> str:
        return f"{self.kind} {self.name}: {self.action}"


class ApplyFailed(Exception):
    def __init__(self, obj: Obj, message: str, hint: str = ""):
        self.kind, self.name = obj["kind"], obj["metadata"]["name"]
        self.hint = hint
        super().__init__(f"{describe(obj)}: {message}" + (f"\n  {hint}" if hint else ""))


def prepare(obj: Obj) -> Obj:
    """The body sent: Secrets' stringData moved to data (see module docstring)."""
    obj = copy.deepcopy(obj)
    if obj.get("kind") == "Secret" and obj.get("stringData"):
        data = obj.setdefault("data", {})
        for key, value in obj.pop("stringData").items():
            data[key] = base64.b64encode(value.encode()).decode()
    return obj


def apply(kube: Kube, objects: list[Obj], *, dry_run: bool = False, force_conflicts: bool = False,
          on_applied: Callable[[Applied], None] | None = None, crd_timeout: float = 60,
          before: Callable[[Obj], None] | None = None) -> list[Applied]:
    """Apply `objects` in order; `before(obj)` is called before each (the CLI uses it to take
    the install lock once the namespace exists)."""
    out: list[Applied] = []
    created_namespace = False
    missing_kinds: set[str] = set()
    for raw in objects:
        if before:
            before(raw)
        obj = prepare(raw)
        if dry_run:
            done = _dry_run_one(kube, obj, force_conflicts, created_namespace, missing_kinds)
            if obj["kind"] == "Namespace" and done.action == WOULD_CREATE:
                created_namespace = True
            if obj["kind"] == "CustomResourceDefinition" and done.action == WOULD_CREATE:
                missing_kinds.add(obj["spec"]["names"]["kind"])
        else:
            done = _apply_one(kube, obj, force_conflicts)
            if obj["kind"] == "CustomResourceDefinition":
                wait_established(kube, obj, crd_timeout)
        out.append(done)
        if on_applied:
            on_applied(done)
    return out


def _applied(obj: Obj, action: str, rv: str | None = None, diff: str = "") -> Applied:
    meta = obj["metadata"]
    return Applied(obj["kind"], meta["name"], meta.get("namespace"), action, rv, diff)


def _apply_one(kube: Kube, obj: Obj, force: bool) -> Applied:
    live = kube.get(object_path(obj))
    try:
        result = kube.apply(obj, force=force)
    except KubeError as e:
        raise _failure(obj, e) from None
    if not result["metadata"].get("managedFields"):
        # A Namespace created by apply comes back without managedFields; the server records
        # them on the next write. Apply once more now, so that the next run is a no-op.
        result = kube.apply(obj, force=force)
    rv = result["metadata"].get("resourceVersion")
    if live is None:
        return _applied(obj, CREATED, rv)
    return _applied(obj, UNCHANGED if _footprint(result) == _footprint(live) else CONFIGURED, rv)


def _footprint(live: Obj) -> tuple[object, list]:
    """What an apply by wbinstall moves: the spec's generation (or the resourceVersion, for kinds
    without one) and wbinstall's managed-fields entry. Not the resourceVersion alone: a
    controller's status write between our read and our apply moves it too."""
    meta = live["metadata"]
    mine = [m for m in meta.get("managedFields") or [] if m.get("manager") == FIELD_MANAGER]
    return meta.get("generation") or meta.get("resourceVersion"), mine


def _dry_run_one(kube: Kube, obj: Obj, force: bool, namespace_missing: bool, missing_kinds: set[str]) -> Applied:
    label = f"{obj['kind']}/{obj['metadata']['name']}"
    if (namespace_missing and obj["metadata"].get("namespace")) or obj["kind"] in missing_kinds:
        # The server cannot dry-run into a namespace or kind that does not exist yet.
        return _applied(obj, WOULD_CREATE, diff=diffs.unified(label, None, obj))
    live = kube.get(object_path(obj))
    try:
        result = kube.apply(obj, dry_run=True, force=force)
    except KubeError as e:
        raise _failure(obj, e) from None
    if live is not None and diffs.clean(live) == diffs.clean(result):
        return _applied(obj, UNCHANGED, live["metadata"].get("resourceVersion"))
    text = diffs.unified(label, live, result)
    if live is not None and not text:
        return _applied(obj, UNCHANGED, live["metadata"].get("resourceVersion"))
    return _applied(obj, WOULD_CREATE if live is None else WOULD_CHANGE, diff=text)


def _failure(obj: Obj, e: KubeError) -> ApplyFailed:
    if e.status == 409:
        return ApplyFailed(obj, f"conflict with another field manager: {e.message}",
                           "another tool changed these fields since; rerun with --force-conflicts to take them over")
    if e.status == 403:
        return ApplyFailed(obj, f"forbidden: {e.message}",
                           "the kubeconfig's identity needs the rights `wbinstall check` lists under k8s.rbac")
    if e.status == 422:
        return ApplyFailed(obj, f"rejected as invalid: {e.message}")
    return ApplyFailed(obj, f"{e.status} {e.reason}: {e.message}")


def wait_established(kube: Kube, crd: Obj, timeout: float) -> None:
    """Until the CRD is Established (its kind can be served); a CRD turns Established within
    a second or two, so a short poll is simpler than a watch here."""
    deadline = time.monotonic() + timeout
    path = object_path(crd)
    while True:
        live = kube.get(path) or {}
        conditions = (live.get("status") or {}).get("conditions") or []
        if any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions):
            return
        if time.monotonic() > deadline:
            raise ApplyFailed(crd, f"not Established after {timeout:g} s",
                              f"kubectl describe crd {crd['metadata']['name']}")
        time.sleep(0.2)
