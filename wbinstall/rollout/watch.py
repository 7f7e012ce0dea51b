"""One resilient list+watch per resource collection, feeding a queue.

A watch request breaks when the API server restarts, a load balancer drops the connection,
or the server answers 410 Gone (the resourceVersion was compacted away). The watcher then:
* on a broken connection: waits (backoff up to 5 s) and watches again from the last
  resourceVersion it saw, so nothing in between is lost;
* on 410 Gone: lists again and compares with what it had, sending only objects whose
  resourceVersion changed and deletions of those gone, so nothing is repeated.
Objects it already passed on with the same resourceVersion are never sent twice.

What it costs the API server: one list, then one long-lived watch request that the server
ends after 5 to 10 minutes (a random `timeoutSeconds`, as client-go's reflectors choose, so
that many watchers do not reconnect in step), resumed from the last resourceVersion without
a list; bookmarks keep that resourceVersion fresh while nothing changes. It lists again only
on 410 Gone. While the kind is not served yet (404: the CRD is still to come) it looks again
every few seconds.
"""

from __future__ import annotations

import queue
import random
import threading
from dataclasses import dataclass
from typing import Any

from wbinstall.kube import Kube, KubeError

Obj = dict[str, Any]
ADDED, MODIFIED, DELETED, SYNCED = "ADDED", "MODIFIED", "DELETED", "SYNCED"
WATCH_SECONDS = (300, 600)   # client-go: minWatchTimeout 5 min, times 1 + rand
MISSING_KIND_RETRY = 5.0     # seconds between looks for a kind not served yet


@dataclass(frozen=True)
class Change:
    source: str          # the watcher's name, e.g. "deployments"
    type: str            # ADDED | MODIFIED | DELETED | SYNCED (the first list is complete)
    obj: Obj | None


class Watcher:
    def __init__(self, kube: Kube, source: str, kind: str, api_version: str, path: str,
                 out: "queue.Queue[Change]", *, label_selector: str | None = None,
                 field_selector: str | None = None, timeout_seconds: int | None = None):
        self.kube, self.source, self.kind, self.api_version = kube, source, kind, api_version
        self.path, self.out = path, out
        self.query: dict[str, str] = {}
        if label_selector:
            self.query["labelSelector"] = label_selector
        if field_selector:
            self.query["fieldSelector"] = field_selector
        # None: a random 5-10 minutes per watch request (WATCH_SECONDS).
        self.timeout_seconds = timeout_seconds
        self.known: dict[str, Obj] = {}       # uid -> last object sent
        self.resource_version: str | None = None
        self.relists = 0                      # for tests and the benchmark
        self.reconnects = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"watch-{source}", daemon=True)
        self._response: Any = None
        self._synced = False

    def start(self) -> "Watcher":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        resp = self._response
        if resp is not None:
            try:  # unblock a read in progress
                resp.shutdown()
            except Exception:  # noqa: BLE001
                pass

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    # ----------------------------------------------------------------------------------
    def _send(self, type_: str, obj: Obj | None) -> None:
        if obj is not None:
            obj.setdefault("kind", self.kind)
            obj.setdefault("apiVersion", self.api_version)
        self.out.put(Change(self.source, type_, obj))

    def _relist(self) -> None:
        listing = self.kube.list(self.path, **self.query)
        self.relists += 1
        seen: dict[str, Obj] = {}
        for obj in listing.get("items") or []:
            uid = obj["metadata"]["uid"]
            seen[uid] = obj
            old = self.known.get(uid)
            if old is None or old["metadata"].get("resourceVersion") != obj["metadata"].get("resourceVersion"):
                self._send(ADDED if old is None else MODIFIED, obj)
        for uid, old in self.known.items():
            if uid not in seen:
                self._send(DELETED, old)
        self.known = seen
        self.resource_version = listing["metadata"]["resourceVersion"]
        self._mark_synced()

    def _mark_synced(self) -> None:
        if not self._synced:
            self._synced = True
            self._send(SYNCED, None)

    def _run(self) -> None:
        backoff = 0.2
        while not self._stop.is_set():
            try:
                if self.resource_version is None:
                    self._relist()
                seconds = self.timeout_seconds or random.randint(*WATCH_SECONDS)
                for event in self.kube.watch(self.path, self.resource_version, seconds,
                                             on_response=self._hold, **self.query):
                    backoff = 0.2
                    if self._stop.is_set():
                        return
                    if not self._handle(event):
                        break
            except KubeError as e:
                if e.status == 410:
                    self.resource_version = None
                    continue
                if e.status == 404 and self.resource_version is None:
                    # The kind is not served (yet): the CRD is still to be installed. Nothing
                    # to list is an answer too; look again shortly.
                    self._mark_synced()
                    self._pause(min(backoff, MISSING_KIND_RETRY))
                    backoff = min(backoff * 2, MISSING_KIND_RETRY)
                    continue
                self._pause(backoff)
                backoff = min(backoff * 2, 5.0)
            except Exception:  # noqa: BLE001 - connection refused/reset while the server restarts
                if self._stop.is_set():
                    return
                self.reconnects += 1
                self._pause(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                self._response = None

    def _hold(self, resp: Any) -> None:
        self._response = resp
        if self._stop.is_set():
            self.stop()

    def _pause(self, seconds: float) -> None:
        self._stop.wait(seconds)

    def _handle(self, event: Obj) -> bool:
        """False: the watch must restart (after a relist)."""
        kind, obj = event.get("type"), event.get("object") or {}
        if kind == "ERROR":
            if obj.get("code") == 410:
                self.resource_version = None
            return False
        rv = (obj.get("metadata") or {}).get("resourceVersion")
        if rv:
            self.resource_version = rv
        if kind == "BOOKMARK":
            return True
        uid = obj["metadata"]["uid"]
        if kind == DELETED:
            if self.known.pop(uid, None) is not None:
                self._send(DELETED, obj)
            return True
        old = self.known.get(uid)
        if old is not None and old["metadata"].get("resourceVersion") == rv:
            return True  # already sent (a resumed watch may repeat the last event)
        self.known[uid] = obj
        self._send(ADDED if old is None else MODIFIED, obj)
        return True
