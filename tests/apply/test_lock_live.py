"""The install lock (a Lease in the namespace): one install at a time, naming the holder;
a lease its holder stopped renewing expires."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from tests.apply.support import kube_for
from wbinstall.apply.lock import LEASE_NAME, InstallLock, LockHeld, holder_of


def plant_lease(kube, namespace: str, holder: str, renewed_ago: timedelta = timedelta(0)) -> None:
    """A Lease as another install left it: held by `holder`, last renewed `renewed_ago`."""
    at = (datetime.now(timezone.utc) - renewed_ago).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    kube.create({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                 "metadata": {"name": LEASE_NAME, "namespace": namespace},
                 "spec": {"holderIdentity": holder, "leaseDurationSeconds": 30, "acquireTime": at, "renewTime": at}})


def test_second_install_is_refused_naming_the_holder_and_since_when(sandbox_kube, sandbox_kube_namespace):
    kube = kube_for(sandbox_kube)
    with InstallLock(kube, sandbox_kube_namespace, who="jump-1/4242/alice"):
        with pytest.raises(LockHeld) as refused:
            InstallLock(kube, sandbox_kube_namespace, who="jump-2/77/bob").acquire()
    message = str(refused.value)
    assert "jump-1/4242/alice" in message
    assert "since 20" in message and "UTC" in message
    assert sandbox_kube_namespace in message
    assert refused.value.holder.identity == "jump-1/4242/alice"


def test_the_lock_is_free_again_after_release(sandbox_kube, sandbox_kube_namespace):
    kube = kube_for(sandbox_kube)
    InstallLock(kube, sandbox_kube_namespace, who="a/1/x").acquire().release()
    lock = InstallLock(kube, sandbox_kube_namespace, who="b/2/y").acquire()
    try:
        assert lock.current().identity == "b/2/y"
    finally:
        lock.release()
    assert kube.get(f"/apis/coordination.k8s.io/v1/namespaces/{sandbox_kube_namespace}/leases/{LEASE_NAME}") is None


def test_a_stale_lease_of_a_dead_install_is_taken_over(sandbox_kube, sandbox_kube_namespace):
    kube = kube_for(sandbox_kube)
    plant_lease(kube, sandbox_kube_namespace, "gone/1/carol", timedelta(minutes=5))

    lock = InstallLock(kube, sandbox_kube_namespace, who="new/2/dave").acquire()
    try:
        assert lock.current().identity == "new/2/dave"
    finally:
        lock.release()


def test_the_holder_renews_its_lease_while_it_runs(sandbox_kube, sandbox_kube_namespace):
    from sandbox.kube.waits import wait_for

    kube = kube_for(sandbox_kube)
    path = f"/apis/coordination.k8s.io/v1/namespaces/{sandbox_kube_namespace}/leases/{LEASE_NAME}"
    with InstallLock(kube, sandbox_kube_namespace, who="a/1/x", seconds=3):
        first = kube.get(path)["spec"]["renewTime"]
        renewed = wait_for(lambda: kube.get(path)["spec"]["renewTime"], lambda t: t != first, timeout=20)
        assert renewed != first
        assert holder_of(kube.get(path)).identity == "a/1/x"


@pytest.mark.parametrize("spec, live", [
    ({}, False),
    ({"holderIdentity": ""}, False),
    ({"holderIdentity": "h/1/u", "leaseDurationSeconds": 30, "renewTime": "2020-01-01T00:00:00.000000Z"}, False),
    ({"holderIdentity": "h/1/u", "leaseDurationSeconds": 30,
      "renewTime": "now"}, True),   # stamped when the test runs, not when it is collected
])
def test_holder_of_a_lease(spec, live):
    if spec.get("renewTime") == "now":
        spec = {**spec, "renewTime": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
    assert (holder_of({"spec": spec}) is not None) is live


def _ended_pid() -> int:
    """The pid of a process of this machine that has run and ended."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_fresh_lease_of_an_ended_process_on_this_machine_is_taken_over_at_once(sandbox_kube, sandbox_kube_namespace):
    """kill -9 or a dropped SSH session between taking the lock and finishing: the rerun on the
    same machine must not wait for the lease to expire, nor follow an install that is not happening."""
    import socket

    kube = kube_for(sandbox_kube)
    dead = f"{socket.gethostname()}/{_ended_pid()}/carol"
    plant_lease(kube, sandbox_kube_namespace, dead)
    lock = InstallLock(kube, sandbox_kube_namespace, who="rerun/2/carol")
    assert lock.current() is None
    lock.acquire()
    try:
        assert lock.current().identity == "rerun/2/carol"
        assert lock.took_over == f"{dead}: its process on this machine has ended"  # the rerun says so
    finally:
        lock.release()


def test_a_stale_lease_taken_over_names_its_holder_and_how_long_ago_it_stopped(sandbox_kube, sandbox_kube_namespace):
    kube = kube_for(sandbox_kube)
    plant_lease(kube, sandbox_kube_namespace, "jump-9/31/erin", timedelta(seconds=95))
    lock = InstallLock(kube, sandbox_kube_namespace, who="rerun/2/carol").acquire()
    try:
        assert re.fullmatch(r"jump-9/31/erin: it stopped renewing it 9[5-9] s ago", lock.took_over), lock.took_over
    finally:
        lock.release()
    fresh = InstallLock(kube, sandbox_kube_namespace, who="next/3/dan").acquire()  # a released Lease: no takeover
    try:
        assert fresh.took_over is None
    finally:
        fresh.release()


def test_a_live_process_on_this_machine_keeps_its_lease(sandbox_kube, sandbox_kube_namespace):
    import os
    import socket

    kube = kube_for(sandbox_kube)
    alive = f"{socket.gethostname()}/{os.getpid()}/carol"
    with InstallLock(kube, sandbox_kube_namespace, who=alive):
        with pytest.raises(LockHeld):
            InstallLock(kube, sandbox_kube_namespace, who="rerun/2/carol").acquire()


def test_a_holder_of_this_user_on_this_machine_is_told_apart():
    import getpass
    import socket

    from wbinstall.apply.lock import Holder

    now = datetime.now(timezone.utc)
    mine = Holder(f"{socket.gethostname()}/1/{getpass.getuser()}", now, now, 30)
    theirs = Holder("jump-host/4242/alice", now, now, 30)
    assert mine.mine() and not theirs.mine()
    assert mine.frees_at == now + timedelta(seconds=30)
