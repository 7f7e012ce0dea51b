"""Waiting on cluster state with a deadline (tests assert on the state, never on timing)."""

from __future__ import annotations

import time
from typing import Callable, TypeVar

from kubernetes import client

T = TypeVar("T")


def wait_for(fetch: Callable[[], T], ok: Callable[[T], bool], timeout: float = 60,
             interval: float = 0.25) -> T:
    """Call fetch() until ok(result); return the last result either way, so the caller's
    assertion shows the state that was actually reached."""
    deadline = time.monotonic() + timeout
    while True:
        result = fetch()
        if ok(result) or time.monotonic() > deadline:
            return result
        time.sleep(interval)


def deployment_available(d: client.V1Deployment) -> bool:
    """The rollout watcher's definition of ready (wandb-operator.md §2.1)."""
    s = d.status
    return (s.observed_generation or 0) >= d.metadata.generation and \
        (s.available_replicas or 0) == d.spec.replicas and \
        (s.updated_replicas or 0) == d.spec.replicas


def statefulset_ready(s: client.V1StatefulSet) -> bool:
    return (s.status.ready_replicas or 0) == s.spec.replicas


def events_for(api: client.ApiClient, namespace: str, kind: str, name: str) -> list:
    """Events in `namespace` about the object kind/name (newest last)."""
    items = client.CoreV1Api(api).list_namespaced_event(
        namespace, field_selector=f"involvedObject.kind={kind},involvedObject.name={name}").items
    return sorted(items, key=lambda e: (e.last_timestamp or e.event_time or e.metadata.creation_timestamp))
