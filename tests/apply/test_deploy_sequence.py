"""The shared install sequence (lock -> apply -> follow) as the wizard calls it: its events, and
a cancel between two objects that leaves whole objects and a released lock."""

from __future__ import annotations

import threading

import pytest

from tests.apply.support import kube_for, objects_for
from wbinstall.session.install import (STOPPED, ApplyStarted, ApplyStopped, Attached, LockTaken, ObjectApplied,
                                     attach, deploy, line)
from wbinstall.apply.lock import LEASE_NAME, InstallLock
from wbinstall.apply.run import apply
from wbinstall.rollout import Limits
from wbinstall.rollout.events import Finished

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


def test_attach_to_an_empty_namespace_follows_nothing_and_says_nothing(sandbox_kube, sandbox_kube_namespace):
    events = []
    assert attach(kube_for(sandbox_kube), sandbox_kube_namespace, on_event=events.append) is None
    assert events == []


def test_attach_follows_an_install_under_way_and_applies_nothing(sandbox_kube, sandbox_kube_namespace):
    ns = sandbox_kube_namespace
    kube = kube_for(sandbox_kube)
    objects = objects_for(sandbox_kube, ns)
    apply(kube, objects[:-1])           # an install that has not applied its resource yet
    events = []
    with InstallLock(kube, ns, who="jump-host/4242/alice"):
        result = attach(kube, ns, on_event=events.append, limits=Limits(operator=1, resource=1, workloads=1))
    assert isinstance(events[0], Attached) and events[0].holder.identity == "jump-host/4242/alice"
    assert line(events[0]).startswith("attach: an install is under way (jump-host/4242/alice since ")
    assert result.reattached and not result.applied and isinstance(events[-1], Finished)
    assert not any(isinstance(e, (ApplyStarted, ObjectApplied, LockTaken)) for e in events)
    assert kube.get(f"/apis/apps.wandb.com/v1/namespaces/{ns}/weightsandbiases/wandb") is None   # still not applied


def test_a_refused_install_takes_over_when_the_holder_stops_renewing(sandbox_kube, sandbox_kube_namespace):
    """The holder on another machine died between taking the lock and applying its resource:
    the install it refused follows, sees the lease run out, says so, takes over and applies."""
    from datetime import datetime, timezone

    from wbinstall.session.install import LockFreed, LockRefused

    ns = sandbox_kube_namespace
    kube = kube_for(sandbox_kube)
    objects = objects_for(sandbox_kube, ns)
    apply(kube, objects[:1])                          # the namespace, where the Lease lives
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    kube.create({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                 "metadata": {"name": LEASE_NAME, "namespace": ns},
                 "spec": {"holderIdentity": "jump-host/4242/alice", "leaseDurationSeconds": 2,
                          "acquireTime": now, "renewTime": now}})   # and nobody renews it
    events = []
    result = deploy(kube, objects, ns, on_event=events.append, skip_rollout=True,
                    limits=Limits(operator=60, resource=60, workloads=60))

    kinds = [type(e) for e in events]
    assert kinds.index(LockRefused) < kinds.index(LockFreed) < kinds.index(LockTaken)
    assert not any(isinstance(e, Finished) for e in events)   # the stopped follow is not news
    assert line(events[kinds.index(LockFreed)]) == (
        f"lock: jump-host/4242/alice stopped renewing Lease {ns}/{LEASE_NAME}: taking over and applying")
    assert result.status == "applied" and len(result.applied) == len(objects)
    assert kube.get(f"/apis/apps.wandb.com/v1/namespaces/{ns}/weightsandbiases/wandb") is not None
