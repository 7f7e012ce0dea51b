"""The shared install sequence (lock -> apply -> follow) as the wizard calls it: its events, and
a cancel between two objects that leaves whole objects and a released lock."""

from __future__ import annotations

import threading

import pytest

from tests.apply.support import kube_for, objects_for
from wbinstall.apply.install import (STOPPED, ApplyStarted, ApplyStopped, LockTaken, ObjectApplied, deploy,
                                     line)
from wbinstall.apply.lock import LEASE_NAME

pytestmark = pytest.mark.usefixtures("cleanup_cluster_scoped")


def test_cancel_while_applying_stops_between_objects_and_releases_the_lock(sandbox_kube, sandbox_kube_namespace):
    ns = sandbox_kube_namespace
    kube = kube_for(sandbox_kube)
    objects = objects_for(sandbox_kube, ns)
    cancel = threading.Event()
    events = []

    def on_event(event) -> None:
        events.append(event)
        if isinstance(event, ObjectApplied) and event.index == 3:
            cancel.set()

    result = deploy(kube, objects, ns, on_event=on_event, cancel=cancel)

    assert result.status == STOPPED and not result.ok and result.outcome is None
    assert [type(e) for e in events] == [ApplyStarted, LockTaken, ObjectApplied, ObjectApplied, ObjectApplied,
                                        ApplyStopped]
    assert events[-1] == ApplyStopped(3, len(objects))
    assert line(events[-1]) == (f"apply stopped after 3 of {len(objects)} objects "
                                "(each applied object is whole; a rerun continues)")
    assert [a.kind for a in result.applied] == [o["kind"] for o in objects[:3]]
    assert kube.get(f"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/{LEASE_NAME}") is None
