"""The install lock: a coordination.k8s.io/v1 Lease `wbinstall-install` in the namespace.

Two installs into one namespace at once would interleave their applies and confuse each
other's rollout view, so an install takes the Lease first. It names its holder
(`host/pid/user`) and since when, so a refused user knows whom to ask. The holder renews it
every LEASE_SECONDS/3 while it runs; a holder that dies (kill -9, lost SSH session) stops
renewing and the Lease is free again LEASE_SECONDS after its last renewal; a holder on this
machine whose process has ended is taken over at once (kill -9, a wizard whose SSH session
dropped, rerun on the same host). Expiry is judged
with this machine's clock against the renew time written by the holder's; a skew of a few
seconds only shifts when a stale lease is taken over.
"""

from __future__ import annotations

import getpass
import os
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from wbinstall.kube import Kube, KubeError, collection_path

LEASE_NAME = "wbinstall-install"
LEASE_SECONDS = 30
_HELD: set["InstallLock"] = set()  # the Leases this process holds now (release_all on a hang-up)
_HELD_LOCK = threading.Lock()
_CLOSING = threading.Event()       # set by release_all: this process takes no Lease any more


class Closing(Exception):
    """This process is ending (a hang-up): it takes no install lock any more."""


def release_all() -> None:
    """Release every Lease this process holds, and take none after (a hang-up: the process
    ends right after, and an install thread still applying must not take the Lease back)."""
    with _HELD_LOCK:
        _CLOSING.set()
        held = list(_HELD)
    for lock in held:
        lock.release()


@dataclass(frozen=True)
class Holder:
    identity: str
    since: datetime | None
    renewed: datetime | None
    seconds: int

    def describe(self, now: datetime | None = None) -> str:
        since = self.since.strftime("%Y-%m-%d %H:%M:%S UTC") if self.since else "an unknown time"
        return f"{self.identity} since {since}"

    @property
    def frees_at(self) -> datetime | None:
        """When the Lease is free if its holder stops renewing it."""
        return self.renewed + timedelta(seconds=self.seconds) if self.renewed else None

    def mine(self) -> bool:
        """Held by this user on this machine (another process: e.g. an earlier wizard of theirs)."""
        host, _, rest = self.identity.partition("/")
        return host == socket.gethostname() and rest.rpartition("/")[2] == _user()


class LockHeld(Exception):
    """Another install holds the Lease."""

    def __init__(self, namespace: str, holder: Holder):
        self.namespace, self.holder = namespace, holder
        super().__init__(
            f"another install into namespace {namespace} is under way: held by {holder.describe()} "
            f"(Lease {LEASE_NAME}; it expires {holder.seconds} s after its holder stops renewing it)")


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in a bare container
        return str(os.getuid())


def identity() -> str:
    return f"{socket.gethostname()}/{os.getpid()}/{_user()}"


def _ended_here(who: str) -> bool:
    """The holder names a process on this machine that no longer runs."""
    host, _, rest = who.partition("/")
    pid = rest.partition("/")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, but another user's: not ours to judge
        return False
    return False


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _stamp(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def stale_holder(lease: dict | None) -> str | None:
    """Why a Lease that names a holder is free anyway: 'its process has ended' or 'it stopped
    renewing N s ago'; None when it names none or is live."""
    spec = (lease or {}).get("spec") or {}
    who = spec.get("holderIdentity")
    if not who or holder_of(lease) is not None:
        return None
    if _ended_here(who):
        return f"{who}: its process on this machine has ended"
    renewed = _time(spec.get("renewTime")) or _time(spec.get("acquireTime"))
    if renewed is None:
        return f"{who}: it never renewed it"
    ago = (datetime.now(timezone.utc) - renewed).total_seconds()
    return f"{who}: it stopped renewing it {ago:.0f} s ago"


def holder_of(lease: dict | None) -> Holder | None:
    """The live holder of a Lease object, or None when it is free or expired."""
    spec = (lease or {}).get("spec") or {}
    who = spec.get("holderIdentity")
    if not who:
        return None
    seconds = int(spec.get("leaseDurationSeconds") or LEASE_SECONDS)
    renewed = _time(spec.get("renewTime")) or _time(spec.get("acquireTime"))
    if renewed is None or renewed + timedelta(seconds=seconds) < datetime.now(timezone.utc) or _ended_here(who):
        return None
    return Holder(who, _time(spec.get("acquireTime")), renewed, seconds)


class InstallLock:
    """`with InstallLock(kube, ns): ...` — raises LockHeld when another live install holds it."""

    def __init__(self, kube: Kube, namespace: str, who: str | None = None, seconds: int = LEASE_SECONDS):
        self.kube, self.namespace = kube, namespace
        self.who = who or identity()
        self.seconds = seconds
        self._path = f"{collection_path('coordination.k8s.io/v1', 'Lease', namespace)}/{LEASE_NAME}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._rv: str | None = None
        self.lost = threading.Event()
        self.took_over: str | None = None  # whose stale Lease acquire() took over, and why it was free

    @property
    def held(self) -> bool:
        return self._thread is not None

    def current(self) -> Holder | None:
        return holder_of(self.kube.get(self._path))

    def acquire(self) -> "InstallLock":
        now = datetime.now(timezone.utc)
        body = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": LEASE_NAME, "namespace": self.namespace,
                             "labels": {"app.kubernetes.io/managed-by": "wbinstall"}},
                "spec": {"holderIdentity": self.who, "leaseDurationSeconds": self.seconds,
                         "acquireTime": _stamp(now), "renewTime": _stamp(now)}}
        if _CLOSING.is_set():
            raise Closing("this process is ending: no install lock is taken")
        lease = self.kube.get(self._path)
        try:
            if lease is None:
                created = self.kube.create(body)
            else:
                holder = holder_of(lease)
                if holder and holder.identity != self.who:
                    raise LockHeld(self.namespace, holder)
                mine = (lease.get("spec") or {}).get("holderIdentity") == self.who
                self.took_over = None if mine else stale_holder(lease)
                transitions = int((lease.get("spec") or {}).get("leaseTransitions") or 0)
                body["metadata"]["resourceVersion"] = lease["metadata"]["resourceVersion"]
                body["spec"]["leaseTransitions"] = transitions + 1
                created = self.kube.replace(body)
        except KubeError as e:
            if e.status == 409:  # someone else created or took it between our read and write
                holder = self.current()
                if holder:
                    raise LockHeld(self.namespace, holder) from None
            raise
        self._rv = created["metadata"]["resourceVersion"]
        self._thread = threading.Thread(target=self._renew, name="wbinstall-lease", daemon=True)
        with _HELD_LOCK:
            closing = _CLOSING.is_set()
            if not closing:
                _HELD.add(self)
        self._thread.start()
        if closing:  # release_all ran while this was being written: give it back at once
            self.release()
            raise Closing("this process is ending: the install lock was given back")
        return self

    def _renew(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            try:
                lease = self.kube.get(self._path)
                if lease is None or (lease.get("spec") or {}).get("holderIdentity") != self.who:
                    self.lost.set()
                    return
                lease["spec"]["renewTime"] = _stamp(datetime.now(timezone.utc))
                self._rv = self.kube.replace(lease)["metadata"]["resourceVersion"]
            except Exception:  # noqa: BLE001 - a missed renewal is retried; expiry is the backstop
                continue

    def release(self) -> None:
        with _HELD_LOCK:
            _HELD.discard(self)
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
            self._thread = None
        try:
            lease = self.kube.get(self._path)
            if lease and (lease.get("spec") or {}).get("holderIdentity") == self.who:
                self.kube.delete(self._path, precondition_rv=lease["metadata"]["resourceVersion"])
        except Exception:  # noqa: BLE001 - an unreleased lease simply expires
            pass

    def __enter__(self) -> "InstallLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
