"""The watcher behind the rollout view: resumes after 410 Gone by relisting, sending only
what changed meanwhile and nothing twice."""

from __future__ import annotations

import queue

from tests.apply.support import kube_for
from wbinstall.kube import Kube, collection_path
from wbinstall.rollout.watch import ADDED, DELETED, MODIFIED, SYNCED, Watcher


def configmap(ns: str, name: str, value: str = "1") -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns},
            "data": {"v": value}}


class ExpiringKube(Kube):
    """The first watch request: the world changes, then the server answers 410 Gone (its
    resourceVersion was compacted while we were away)."""

    def __init__(self, api, ns: str):
        super().__init__(api)
        self.ns, self.expired = ns, False

    def watch(self, path, resource_version, timeout_seconds=60, on_response=None, **query):
        if not self.expired:
            self.expired = True
            a = self.get(f"/api/v1/namespaces/{self.ns}/configmaps/a")
            a["data"] = {"v": "2"}
            self.replace(a)
            self.delete(f"/api/v1/namespaces/{self.ns}/configmaps/b")
            self.create(configmap(self.ns, "c"))
            yield {"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                               "code": 410, "reason": "Expired",
                                               "message": "too old resource version: 1 (2)"}}
            return
        yield from super().watch(path, resource_version, timeout_seconds, on_response, **query)


def drain(q: "queue.Queue", until, timeout: float = 30) -> list:
    got = []
    while not until(got):
        got.append(q.get(timeout=timeout))
    return got


def test_after_410_gone_a_relist_sends_only_what_changed_and_nothing_twice(sandbox_kube, sandbox_kube_namespace):
    ns = sandbox_kube_namespace
    kube = ExpiringKube(kube_for(sandbox_kube).api, ns)
    kube.create(configmap(ns, "a"))
    kube.create(configmap(ns, "b"))
    q: "queue.Queue" = queue.Queue()
    w = Watcher(kube, "configmaps", "ConfigMap", "v1", collection_path("v1", "ConfigMap", ns), q,
                field_selector="metadata.name!=kube-root-ca.crt", timeout_seconds=5).start()
    try:
        got = drain(q, lambda g: sum(c.type != SYNCED for c in g) >= 5)
        kube.create(configmap(ns, "d"))           # and the resumed watch still works
        got += drain(q, lambda g: any(c.obj and c.obj["metadata"]["name"] == "d" for c in g))
    finally:
        w.stop()
    seen = [(c.type, c.obj["metadata"]["name"]) if c.obj else (c.type, None) for c in got]
    assert seen == [(ADDED, "a"), (ADDED, "b"), (SYNCED, None),
                    (MODIFIED, "a"), (ADDED, "c"), (DELETED, "b"), (ADDED, "d")]
    assert w.relists == 2
    assert [c.obj["data"]["v"] for c in got if c.obj and c.obj["metadata"]["name"] == "a"] == ["1", "2"]
