"""Gather the cluster facts for the k8s.* checks. All I/O lives here.

Four probes, each bounded by its own deadline, so that a slow part of a large cluster is
reported by the checks that need it and never as a failed connection:

    gather          k8s          kubeconfig, /version, who am I (SelfSubjectReview): quick
    gather_nodes    k8s-nodes    every node, in pages of 500 (limit/continue, as kubectl),
                                 decoded into only the fields the judges read
    gather_classes  k8s-classes  IngressClasses and StorageClasses
    gather_access   k8s-access   one SelfSubjectAccessReview per (verb, kind) the install needs

Each builds its client from the chosen kubeconfig and context without touching the kubernetes
library's global configuration. Every request carries a timeout from the deadline and urllib3
retries are off, so an address that accepts and never answers costs one timeout, not four.
Expected failures become `Problem`s in the facts.

Credential plugins (`exec:` in the kubeconfig, e.g. `aws eks get-token`) get what is left of
the deadline (wbinstall.kube.exec_plugin); one that hangs is ended and named in the facts.
"""

from __future__ import annotations

import functools
import json
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from wbinstall.checks.context import ProbeContext
from wbinstall.checks.parallel import run_all
from wbinstall.checks.k8s.facts import (
    Access,
    BalancerService,
    ClassFacts,
    CSINodeSeen,
    IngressClass,
    IngressSeen,
    KubeFacts,
    Kubeconfig,
    Listing,
    Node,
    Problem,
    ServerVersion,
    ServingFacts,
    StorageClass,
    Taint,
)
from wbinstall.checks.k8s.needs import APPLY_VERBS, INSTALL_NEEDS

T = TypeVar("T")

DEFAULT_INGRESS_CLASS = "ingressclass.kubernetes.io/is-default-class"
DEFAULT_STORAGE_CLASS = "storageclass.kubernetes.io/is-default-class"
_PARALLEL = 8  # concurrent access reviews (a remote cluster is ~50-100 ms per request)
NODE_PAGE = 500  # nodes per request, as kubectl pages


class _NoClient(Exception):
    def __init__(self, seen: Kubeconfig, problem: Problem):
        super().__init__(problem.detail)
        self.seen, self.problem = seen, problem


@contextmanager
def _client(ctx: ProbeContext) -> Iterator[tuple[Kubeconfig, Any]]:
    from wbinstall.answers.fields import secret_env_names
    from wbinstall.kube import KubeconfigError, config

    k = ctx.answers.kubernetes
    try:
        # The plugin's bound leaves the probe time to say so before the engine's own deadline.
        kubeconfig, api = config.open_client(k.kubeconfig, k.context, ctx.base_dir, ctx.remaining() - 0.4,
                                             secret_env_names(ctx.answers))
    except KubeconfigError as exc:
        raise _NoClient(exc.seen, Problem(exc.kind, exc.detail)) from None
    try:
        yield kubeconfig, api
    finally:
        api.close()


# ----- k8s: connect ------------------------------------------------------------------------

def gather(ctx: ProbeContext) -> KubeFacts:
    from dataclasses import replace
    from datetime import datetime, timezone

    namespace = ctx.answers.kubernetes.namespace
    now = datetime.now(timezone.utc)
    try:
        with _client(ctx) as (kubeconfig, api):
            return replace(_connect(api, ctx, kubeconfig, namespace), now=now)
    except _NoClient as exc:
        return KubeFacts(exc.seen, exc.problem, namespace=namespace, now=now)


def _connect(api: Any, ctx: ProbeContext, kubeconfig: Kubeconfig, namespace: str) -> KubeFacts:
    from kubernetes import client

    try:
        info = client.VersionApi(api).get_code(_request_timeout=ctx.remaining())
    except Exception as exc:  # noqa: BLE001 - classified into the facts
        return KubeFacts(kubeconfig, classify(exc), namespace=namespace)
    version = ServerVersion(info.git_version or "", info.major or "", info.minor or "", info.platform or "")
    user, groups = _who_am_i(api, ctx)
    return KubeFacts(kubeconfig, None, version, user, groups, namespace=namespace)


# ----- k8s-nodes ---------------------------------------------------------------------------

def gather_nodes(ctx: ProbeContext, page: int = NODE_PAGE) -> Listing[Node]:
    """Every node, page by page, until the deadline: what came in time, marked incomplete
    when the deadline cut the read short."""
    try:
        with _client(ctx) as (_, api):
            return read_nodes(api, ctx.deadline, page)
    except _NoClient as exc:
        return Listing(problem=exc.problem)


def read_nodes(api: Any, deadline: float, page: int = NODE_PAGE) -> Listing[Node]:
    from wbinstall.kube import Kube, KubeError

    start = time.monotonic()
    nodes: list[Node] = []
    pages = 0
    try:
        for listing in Kube(api).list_pages("/api/v1/nodes", limit=page, deadline=deadline):
            pages += 1
            nodes.extend(_node(n) for n in listing.get("items") or ())
    except KubeError as exc:
        if exc.status in (401, 403) or not nodes:
            kind = {401: "unauthorized", 403: "forbidden"}.get(exc.status, "http")
            return Listing(problem=Problem(kind, exc.message, exc.status),  # type: ignore[arg-type]
                           seconds=time.monotonic() - start, pages=pages)
        return Listing(tuple(nodes), complete=False, seconds=time.monotonic() - start, pages=pages)
    except Exception as exc:  # noqa: BLE001 - classified into the facts
        problem = classify(exc)
        if problem.kind == "timeout" or nodes:
            # The deadline came first: what was read stands, the rest is unknown.
            return Listing(tuple(nodes), complete=False, seconds=time.monotonic() - start, pages=pages)
        return Listing(problem=problem, seconds=time.monotonic() - start, pages=pages)
    return Listing(tuple(nodes), seconds=time.monotonic() - start, pages=pages)


def _node(n: dict[str, Any]) -> Node:
    """A node's JSON -> the fields the judges read (nothing else is kept)."""
    meta, spec, status = n.get("metadata") or {}, n.get("spec") or {}, n.get("status") or {}
    labels = meta.get("labels") or {}
    info = status.get("nodeInfo") or {}
    allocatable = status.get("allocatable") or {}
    ready = next((c.get("status") == "True" for c in status.get("conditions") or () if c.get("type") == "Ready"), None)
    return Node(
        name=meta.get("name", ""),
        arch_label=labels.get("kubernetes.io/arch"),
        arch_info=info.get("architecture") or None,
        os=info.get("operatingSystem") or labels.get("kubernetes.io/os"),
        instance_type=labels.get("node.kubernetes.io/instance-type") or labels.get("beta.kubernetes.io/instance-type"),
        cpu=allocatable.get("cpu"),
        memory=allocatable.get("memory"),
        unschedulable=bool(spec.get("unschedulable")),
        taints=tuple(Taint(t.get("key", ""), t.get("effect", ""), t.get("value")) for t in spec.get("taints") or ()),
        ready=ready,
    )


# ----- k8s-classes -------------------------------------------------------------------------

def gather_classes(ctx: ProbeContext) -> ClassFacts:
    from kubernetes import client

    try:
        with _client(ctx) as (_, api):
            net, storage_api, core = client.NetworkingV1Api(api), client.StorageV1Api(api), client.CoreV1Api(api)
            ingress, storage, ingresses, services, drivers, csi_nodes, volumes = run_all([
                lambda: _listing(ctx, lambda t: net.list_ingress_class(_request_timeout=t), _ingress_class),
                lambda: _listing(ctx, lambda t: storage_api.list_storage_class(_request_timeout=t), _storage_class),
                # What shows the classes at work (k8s.ingress, k8s.storage): read-only, cluster-wide.
                lambda: _listing(ctx, lambda t: net.list_ingress_for_all_namespaces(_request_timeout=t),
                                 _ingress_seen),
                lambda: _listing(ctx, lambda t: core.list_service_for_all_namespaces(
                    field_selector="spec.type=LoadBalancer", _request_timeout=t), _balancer_service),
                lambda: _listing(ctx, lambda t: storage_api.list_csi_driver(_request_timeout=t),
                                 lambda d: d.metadata.name),
                lambda: _listing(ctx, lambda t: storage_api.list_csi_node(_request_timeout=t), _csi_node),
                lambda: _listing(ctx, lambda t: core.list_persistent_volume(_request_timeout=t), _bound_class),
            ], 4, "probe-k8s-classes")
            return ClassFacts(ingress, storage, ServingFacts(ingresses, services, drivers, csi_nodes, volumes))
    except _NoClient as exc:
        return ClassFacts(Listing(problem=exc.problem), Listing(problem=exc.problem))


def _listing(ctx: ProbeContext, read: Callable[[float], Any], convert: Callable[[Any], T]) -> Listing[T]:
    try:
        result = read(ctx.remaining())
    except Exception as exc:  # noqa: BLE001 - classified into the facts
        return Listing(problem=classify(exc))
    return Listing(tuple(convert(item) for item in result.items or []))


# ----- k8s-access --------------------------------------------------------------------------

def gather_access(ctx: ProbeContext) -> Listing[Access]:
    namespace = ctx.answers.kubernetes.namespace
    try:
        with _client(ctx) as (_, api):
            checked = run_all([functools.partial(_review, api, ctx, verb, need.group, need.resource,
                                                 namespace if need.namespaced else None)
                               for need in INSTALL_NEEDS for verb in APPLY_VERBS], _PARALLEL, "probe-k8s-access")
    except _NoClient as exc:
        return Listing(problem=exc.problem)
    denied_by_error = next((p for _, p in checked if p), None)
    return Listing(problem=denied_by_error) if denied_by_error else Listing(tuple(a for a, _ in checked if a))


# ----- reads -----------------------------------------------------------------------------

def _who_am_i(api: Any, ctx: ProbeContext) -> tuple[str | None, tuple[str, ...]]:
    """The user name and groups the server sees (authentication.k8s.io/v1, Kubernetes 1.28+)."""
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    try:
        review = client.AuthenticationV1Api(api).create_self_subject_review(
            client.V1SelfSubjectReview(), _request_timeout=ctx.remaining())
    except Exception as exc:  # noqa: BLE001 - older servers lack the API; the name is only evidence
        # Anonymous callers may not ask, but the refusal names them: 'User "system:anonymous" ...'.
        named = re.search(r'User "([^"]+)"', _api_message(exc)) if isinstance(exc, ApiException) else None
        return (named[1] if named else None), ()
    info = review.status.user_info if review.status else None
    return (info.username, tuple(info.groups or ())) if info else (None, ())


def _review(api: Any, ctx: ProbeContext, verb: str, group: str, resource: str,
            namespace: str | None) -> tuple[Access | None, Problem | None]:
    from kubernetes import client

    body = client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec(
        resource_attributes=client.V1ResourceAttributes(verb=verb, group=group, resource=resource, namespace=namespace)))
    try:
        status = client.AuthorizationV1Api(api).create_self_subject_access_review(
            body, _request_timeout=ctx.remaining()).status
    except Exception as exc:  # noqa: BLE001 - classified into the facts
        return None, classify(exc)
    reason = status.reason or status.evaluation_error or ""
    return Access(verb, group, resource, namespace, bool(status.allowed), reason), None


def _ingress_class(c: Any) -> IngressClass:
    annotations = c.metadata.annotations or {}
    return IngressClass(c.metadata.name, (c.spec.controller if c.spec else None) or "",
                        annotations.get(DEFAULT_INGRESS_CLASS) == "true",
                        (c.metadata.labels or {}).get("app.kubernetes.io/name"))


def _addresses(status: Any) -> tuple[str, ...]:
    entries = (status.load_balancer.ingress if status and status.load_balancer else None) or []
    return tuple(e.ip or e.hostname for e in entries if e.ip or e.hostname)


def _ingress_seen(i: Any) -> IngressSeen:
    cls = (i.spec.ingress_class_name if i.spec else None) or (i.metadata.annotations or {}).get(
        "kubernetes.io/ingress.class")
    return IngressSeen(f"{i.metadata.namespace}/{i.metadata.name}", cls, _addresses(i.status))


def _balancer_service(s: Any) -> BalancerService:
    return BalancerService(f"{s.metadata.namespace}/{s.metadata.name}",
                           (s.metadata.labels or {}).get("app.kubernetes.io/name"), _addresses(s.status))


def _bound_class(v: Any) -> str:
    """The class of a Bound volume ("" for any other: PVs have no field selector on their phase)."""
    bound = v.status is not None and v.status.phase == "Bound"
    return ((v.spec.storage_class_name if v.spec else None) or "") if bound else ""


def _csi_node(n: Any) -> CSINodeSeen:
    return CSINodeSeen(n.metadata.name, tuple(d.name for d in ((n.spec.drivers if n.spec else None) or [])))


def _storage_class(c: Any) -> StorageClass:
    annotations = c.metadata.annotations or {}
    created = c.metadata.creation_timestamp
    return StorageClass(c.metadata.name, c.provisioner or "", annotations.get(DEFAULT_STORAGE_CLASS) == "true",
                        c.volume_binding_mode, created.isoformat() if created else None)


# ----- errors ----------------------------------------------------------------------------

def classify(exc: BaseException) -> Problem:
    """An exception from the kubernetes client -> what went wrong, in the library's words."""
    from kubernetes.client.rest import ApiException

    if isinstance(exc, ApiException):
        kind = {401: "unauthorized", 403: "forbidden"}.get(exc.status or 0, "http")
        return Problem(kind, _api_message(exc), exc.status)  # type: ignore[arg-type]
    chain = _chain(exc)
    cert = next((e for e in chain if isinstance(e, ssl.SSLCertVerificationError)), None)
    if cert is not None:
        message = cert.verify_message or str(cert)
        if cert.verify_code in (62, 64) or "mismatch" in message.lower():  # host name / IP address
            return Problem("tls-hostname", message)
        # 2/20: unknown issuer, 18/19: self-signed, 21: cannot verify leaf, 27: untrusted.
        if cert.verify_code in (2, 18, 19, 20, 21, 27) or "issuer" in message or "self" in message:
            return Problem("tls-untrusted", message)
        return Problem("tls", message)
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return Problem("refused", _innermost(chain))
    if any(isinstance(e, socket.gaierror) or type(e).__name__ == "NameResolutionError" for e in chain):
        return Problem("dns", _innermost(chain))
    if any(_is_timeout(e) for e in chain):
        return Problem("timeout", _innermost(chain))
    # A peer that hangs up mid-handshake (a load balancer without healthy backends) is a
    # reachability problem, not a certificate one.
    if any(isinstance(e, (ConnectionResetError, ssl.SSLEOFError)) for e in chain):
        return Problem("unreachable", _innermost(chain))
    if any(isinstance(e, ssl.SSLError) for e in chain):
        return Problem("tls", _innermost(chain))
    return Problem("unreachable", _innermost(chain))


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception, what it wraps (urllib3's .reason) and its causes, outermost first."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop(0)
        if e is None or any(e is s for s in seen):
            continue
        seen.append(e)
        reason = getattr(e, "reason", None)
        todo += [reason if isinstance(reason, BaseException) else None, e.__cause__, e.__context__]
    return seen


def _is_timeout(e: BaseException) -> bool:
    # urllib3's NewConnectionError subclasses ConnectTimeoutError: refused/DNS are decided first.
    return isinstance(e, (TimeoutError, socket.timeout)) or type(e).__name__ in ("ReadTimeoutError", "ConnectTimeoutError")


def _innermost(chain: list[BaseException]) -> str:
    for e in reversed(chain):
        text = str(e).strip()
        if text:
            return text
    return type(chain[-1]).__name__


def _body_text(exc: Any) -> str:
    body = getattr(exc, "body", None) or ""
    return body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)


def _api_message(exc: Any) -> str:
    """The server's Status message ('nodes is forbidden: User "x" cannot list ...')."""
    try:
        body = json.loads(_body_text(exc))
        if isinstance(body, dict) and body.get("message"):
            return str(body["message"])
    except (TypeError, ValueError):
        pass
    return f"{exc.status} {exc.reason}".strip()
