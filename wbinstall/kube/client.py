"""A thin, dict-in dict-out layer over the Kubernetes REST API (no model classes, no discovery).

The install applies a fixed set of kinds, so their paths come from a table instead of API
discovery (a DynamicClient would cost one request per API group on every start). Every
object travels as the plain JSON dict the server sends: judges and diffs read what
`kubectl get -o json` shows, and tests can feed them real-world objects.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any, Iterator

Obj = dict[str, Any]
FIELD_MANAGER = "wbinstall"

# kind -> (plural, namespaced)
KINDS: dict[str, tuple[str, bool]] = {
    "Namespace": ("namespaces", False),
    "CustomResourceDefinition": ("customresourcedefinitions", False),
    "ClusterRole": ("clusterroles", False),
    "ClusterRoleBinding": ("clusterrolebindings", False),
    "ServiceAccount": ("serviceaccounts", True),
    "Role": ("roles", True),
    "RoleBinding": ("rolebindings", True),
    "Secret": ("secrets", True),
    "ConfigMap": ("configmaps", True),
    "Deployment": ("deployments", True),
    "StatefulSet": ("statefulsets", True),
    "DaemonSet": ("daemonsets", True),
    "ReplicaSet": ("replicasets", True),
    "Job": ("jobs", True),
    "Pod": ("pods", True),
    "Event": ("events", True),
    "PersistentVolumeClaim": ("persistentvolumeclaims", True),
    "Lease": ("leases", True),
    "WeightsAndBiases": ("weightsandbiases", True),
}


class KubeError(Exception):
    """An API error with the server's status code and message."""

    def __init__(self, status: int, reason: str, message: str, body: Obj | None = None):
        super().__init__(f"{status} {reason}: {message}")
        self.status, self.reason, self.message, self.body = status, reason, message, body or {}


def collection_path(api_version: str, kind: str, namespace: str | None) -> str:
    plural, namespaced = KINDS[kind]
    base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    if namespaced:
        if not namespace:
            raise ValueError(f"{kind} needs a namespace")
        return f"{base}/namespaces/{namespace}/{plural}"
    return f"{base}/{plural}"


def object_path(obj: Obj) -> str:
    meta = obj["metadata"]
    return f"{collection_path(obj['apiVersion'], obj['kind'], meta.get('namespace'))}/{meta['name']}"


def describe(obj: Obj) -> str:
    """`Kind name` or `Kind namespace/name` as people read it."""
    meta = obj["metadata"]
    return f"{obj['kind']} {meta['name']}"


class Kube:
    """Requests on one ApiClient. Thread-safe as the ApiClient is (urllib3 pool)."""

    def __init__(self, api: Any, timeout: float = 30):
        self.api = api
        self.timeout = timeout

    def request(self, method: str, path: str, *, query: list[tuple[str, Any]] | None = None,
                body: Any = None, content_type: str = "application/json",
                timeout: float | tuple | None = None, stream: bool = False) -> Any:
        from kubernetes.client.rest import ApiException

        try:
            resp = self.api.call_api(
                path, method, query_params=query or [], body=body,
                header_params={"Accept": "application/json", "Content-Type": content_type},
                auth_settings=["BearerToken"], _preload_content=False,
                _return_http_data_only=True, _request_timeout=timeout or self.timeout)
        except ApiException as e:
            raise _kube_error(e) from None
        if stream:
            return resp
        return json.loads(resp.data) if resp.data else {}

    def get(self, path: str, **query: Any) -> Obj | None:
        """The object, or None when it (or its kind) does not exist."""
        try:
            return self.request("GET", path, query=list(query.items()))
        except KubeError as e:
            if e.status == 404:
                return None
            raise

    def apply(self, obj: Obj, *, dry_run: bool = False, force: bool = False) -> Obj:
        """Server-side apply (field manager `wbinstall`)."""
        query: list[tuple[str, Any]] = [("fieldManager", FIELD_MANAGER), ("force", "true" if force else "false")]
        if dry_run:
            query.append(("dryRun", "All"))
        return self.request("PATCH", object_path(obj), query=query, body=obj,
                            content_type="application/apply-patch+yaml")

    def create(self, obj: Obj) -> Obj:
        meta = obj["metadata"]
        return self.request("POST", collection_path(obj["apiVersion"], obj["kind"], meta.get("namespace")),
                            body=obj)

    def replace(self, obj: Obj) -> Obj:
        return self.request("PUT", object_path(obj), body=obj)

    def delete(self, path: str, precondition_rv: str | None = None) -> None:
        body = {"preconditions": {"resourceVersion": precondition_rv}} if precondition_rv else None
        try:
            self.request("DELETE", path, body=body)
        except KubeError as e:
            if e.status not in (404, 409):
                raise

    def list(self, path: str, **query: Any) -> Obj:
        return self.request("GET", path, query=list(query.items()))

    def list_pages(self, path: str, *, limit: int = 500, deadline: float | None = None,
                   **query: Any) -> Iterator[Obj]:
        """A large list in pages, as kubectl reads it (`limit` / `continue`). Yields each page
        (a List object); stops after the last.

        With a `deadline` (time.monotonic()) every page, body included, must arrive before
        it, else TimeoutError: a body that trickles in is cut off too (urllib3's timeouts
        bound each socket read, not the whole response). A 410 (the continue token expired:
        the read took longer than etcd keeps its snapshot) raises KubeError like any other.

        Pages are fetched one ahead, in a thread: the continue token leads each body (the
        List's metadata comes before its items), so page n+1 is requested as soon as page n
        has arrived, and the server prepares it while this thread decodes page n. At most
        two pages' bytes are held; a server that puts the token elsewhere is read one page
        at a time."""
        import queue
        import threading

        end = deadline if deadline is not None else time.monotonic() + self.timeout * 1000
        ahead: "queue.Queue[Any]" = queue.Queue(maxsize=1)
        stop = threading.Event()

        def put(item: Any) -> bool:
            while not stop.is_set():
                try:
                    ahead.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def fetch(token: str | None) -> bytes:
            q = [*query.items(), ("limit", limit)] + ([("continue", token)] if token else [])
            resp = self.request("GET", path, query=q, stream=True,
                                timeout=_left(end) if deadline is not None else None)
            try:
                return _read_before(resp, end)
            finally:
                resp.release_conn()

        def produce() -> None:
            token: str | None = None
            try:
                while not stop.is_set():
                    body = fetch(token)
                    token = _leading_continue(body)
                    if not put(body) or token is None:
                        return
            except BaseException as exc:  # noqa: BLE001 - handed to the reader
                put(exc)

        threading.Thread(target=produce, name="kube-list-pages", daemon=True).start()
        try:
            while True:
                item = ahead.get()
                if isinstance(item, BaseException):
                    raise item
                page = json.loads(item)
                yield page
                token = (page.get("metadata") or {}).get("continue")
                if not token:
                    return
                if _leading_continue(item) != token:  # not where we looked: one at a time
                    stop.set()
                    while token:
                        page = json.loads(fetch(token))
                        yield page
                        token = (page.get("metadata") or {}).get("continue")
                    return
        finally:
            stop.set()

    def watch(self, path: str, resource_version: str | None, timeout_seconds: int = 60,
              on_response: Any = None, **query: Any) -> Iterator[Obj]:
        """Events of one watch request (ends when the server closes it)."""
        from kubernetes.watch.watch import iter_resp_lines

        q = [("watch", "true"), ("resourceVersion", resource_version),
             ("allowWatchBookmarks", "true"), ("timeoutSeconds", timeout_seconds), *query.items()]
        resp = self.request("GET", path, query=q, stream=True,
                            timeout=(self.timeout, timeout_seconds + 15))
        if on_response:
            on_response(resp)
        try:
            for line in iter_resp_lines(resp):
                if line:
                    yield json.loads(line)
        finally:
            resp.release_conn()


_CONTINUE = re.compile(rb'"continue":"([^"]+)"')


def _leading_continue(body: bytes) -> str | None:
    """The continue token in a List body's metadata, which precedes its items."""
    items = body.find(b'"items"', 0, 1 << 16)
    m = _CONTINUE.search(body, 0, items) if items > 0 else None
    return m.group(1).decode() if m else None


def _left(deadline: float) -> float:
    return max(0.05, deadline - time.monotonic())


def _read_before(resp: Any, deadline: float, chunk: int = 1 << 14) -> bytes:
    parts: list[bytes] = []
    while True:
        if time.monotonic() > deadline:
            resp.close()  # the rest of this body is not wanted; the connection cannot be reused
            raise TimeoutError("the deadline passed while the response was still arriving")
        data = resp.read(chunk)
        if not data:
            return b"".join(parts)
        parts.append(data)


def _kube_error(e: Any) -> KubeError:
    body: Obj = {}
    message = str(e.reason or "")
    try:
        body = json.loads(e.body) if e.body else {}
        message = body.get("message") or message
    except (TypeError, ValueError):
        if e.body:
            message = str(e.body)[:300]
    return KubeError(int(e.status or 0), str(e.reason or ""), message, body)


@dataclass(frozen=True)
class Ref:
    kind: str
    name: str
    namespace: str | None = None

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"
