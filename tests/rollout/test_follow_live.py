"""Following a rollout against the sandbox: the operator stand-in creates the workloads, kwok
runs their pods (or the scheduler refuses them on nodes too small)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from kubernetes import client

from sandbox.kube.operator_standin import SIMULATE_ANNOTATION
from sandbox.kube.waits import wait_for
from tests.apply.support import LAB, NOT_KUBE_CHECKS, answers_file, kube_for, objects_for, wbinstall
from wbinstall.apply import apply
from wbinstall.rollout import (Follower, Limits, PhaseDone, PhaseStarted, ResourceChanged, follow)
from wbinstall.rollout.events import CustomResourceChanged, Finished

pytestmark = pytest.mark.usefixtures("cleanup_cluster_scoped")

WORKLOADS = {("Deployment", "wandb-app-bc"), ("Deployment", "wandb-console-bc"), ("Deployment", "wandb-parquet-bc"),
             ("Deployment", "wandb-weave-bc"), ("StatefulSet", "wandb-redis-master")}
ROOMY = Limits(operator=120, resource=120, workloads=120)


def no_repeats(events) -> None:
    """Every ResourceChanged is news: never the same state twice in a row for one resource."""
    last = {}
    for e in events:
        if isinstance(e, (ResourceChanged, CustomResourceChanged)):
            key = (type(e.state).__name__, e.state.name)
            assert last.get(key) != e.state, f"repeated: {e.state}"
            last[key] = e.state


def settle(api) -> None:
    """Until no node carries the node controller's not-ready taint (new nodes start with it)."""
    core = client.CoreV1Api(api)
    wait_for(lambda: [n for n in core.list_node().items
                      if any(t.key.startswith("node.kubernetes.io/not-ready") for t in n.spec.taints or [])],
             lambda tainted: not tainted, timeout=60)


def test_an_install_goes_from_empty_namespace_to_ready(sandbox_kube, sandbox_kube_operator):
    ns = sandbox_kube_operator.namespace
    kube = kube_for(sandbox_kube)
    apply(kube, objects_for(sandbox_kube, ns))
    events = []

    outcome = follow(kube, ns, limits=ROOMY, on_event=events.append)

    assert outcome.ok, outcome
    assert [(type(e).__name__, e.phase) for e in events if isinstance(e, (PhaseStarted, PhaseDone))] == [
        ("PhaseStarted", "operator"), ("PhaseDone", "operator"), ("PhaseStarted", "resource"),
        ("PhaseDone", "resource"), ("PhaseStarted", "workloads"), ("PhaseDone", "workloads")]
    final = {}
    for e in events:
        if isinstance(e, ResourceChanged):
            final[e.state.key()] = e.state
    assert set(final) == WORKLOADS | {("Deployment", "wandb-controller-manager")}
    assert all(s.is_ready for s in final.values())
    assert {k: (s.ready, s.desired) for k, s in final.items()}[("Deployment", "wandb-parquet-bc")] == (2, 2)
    assert any(isinstance(e, CustomResourceChanged) and e.state.phase == "Completed" for e in events)
    assert isinstance(events[-1], Finished) and events[-1].outcome is outcome
    no_repeats(events)


def test_following_a_finished_install_again_reports_ready_at_once(sandbox_kube, sandbox_kube_operator):
    ns = sandbox_kube_operator.namespace
    kube = kube_for(sandbox_kube)
    apply(kube, objects_for(sandbox_kube, ns))
    assert follow(kube, ns, limits=ROOMY).ok

    events = []
    again = follow(kube, ns, limits=Limits(operator=5, resource=5, workloads=5), on_event=events.append)

    assert again.ok
    assert sum(isinstance(e, PhaseDone) for e in events) == 3


def test_an_invalid_config_fails_at_once_with_the_operators_reason(sandbox_kube, sandbox_kube_operator):
    ns = sandbox_kube_operator.namespace
    kube = kube_for(sandbox_kube)
    objects = objects_for(sandbox_kube, ns)
    objects[-1]["metadata"]["annotations"] = {SIMULATE_ANNOTATION: "invalid-config"}
    apply(kube, objects)

    outcome = follow(kube, ns, limits=ROOMY)

    assert outcome.status == "failed"
    assert "Invalid Config" in outcome.message and "simulated: invalid config" in outcome.message
    assert f"kubectl -n {ns} describe weightsandbiases wandb" in outcome.next_commands


def test_cancel_ends_following_and_changes_nothing(sandbox_kube, sandbox_kube_namespace):
    kube = kube_for(sandbox_kube)
    apply(kube, objects_for(sandbox_kube, sandbox_kube_namespace))     # no operator: never completes
    cancel = threading.Event()
    started = threading.Event()
    result = []

    def on_event(e):
        if isinstance(e, PhaseStarted) and e.phase == "resource":
            started.set()

    worker = threading.Thread(target=lambda: result.append(
        follow(kube, sandbox_kube_namespace, limits=ROOMY, on_event=on_event, cancel=cancel)))
    worker.start()
    assert started.wait(60)
    cancel.set()
    worker.join(30)

    assert not worker.is_alive()
    assert result[0].status == "cancelled"


def test_undersized_nodes_time_out_with_the_reason_and_exit_3(sandbox_kube_nodes, sandbox_kube_operator, tmp_path):
    cluster, ns = sandbox_kube_nodes, sandbox_kube_operator.namespace
    cluster.reset_nodes([{"name": "t-small-0", "instance_type": "t3.small"},
                         {"name": "t-small-1", "instance_type": "t3.small"}])
    settle(cluster.api)
    answers = answers_file(tmp_path, cluster, ns, skip=(*NOT_KUBE_CHECKS, "k8s.capacity"))

    r = wbinstall(*LAB, "--answers", str(answers), "--timeout-rollout", "20")

    assert r.returncode == 3, r.stdout + r.stderr
    out = r.stdout
    assert "rollout timeout: not ready within 20 s (3/3: workloads)" in out
    assert "Insufficient memory" in out or "Insufficient cpu" in out
    summary = out[out.index("rollout timeout"):]
    assert "Deployment wandb-parquet-bc 0/2: 2 pods Pending (insufficient" in summary
    assert f"kubectl -n {ns} describe deployment wandb-parquet-bc" in summary
    assert f"kubectl -n {ns} get events --sort-by=.lastTimestamp" in summary
    assert "wandb-console-bc" not in summary      # it fits: not listed as stuck


def restart_apiserver(cluster) -> None:
    """Stop kube-apiserver and start it again on the same port and etcd."""
    server = cluster.apiserver
    server.process.stop()
    server.start().wait_ready(90)


def test_the_watch_survives_an_api_server_restart(sandbox_kube, sandbox_kube_operator):
    ns = sandbox_kube_operator.namespace
    kube = kube_for(sandbox_kube)
    objects = objects_for(sandbox_kube, ns)
    apply(kube, objects[:-1])                 # everything but the WeightsAndBiases resource
    events: list = []
    operator_ready = threading.Event()
    taken: list = []

    def on_event(e):
        events.append(e)
        if isinstance(e, PhaseDone) and e.phase == "operator":
            operator_ready.set()

    follower = Follower(kube, ns, limits=ROOMY, on_event=on_event, watch_timeout=20)
    take = follower._take
    follower._take = lambda change: (taken.append(change), take(change))[1]
    result = []
    worker = threading.Thread(target=lambda: result.append(follower.run()))
    worker.start()
    try:
        assert operator_ready.wait(60)
        restart_apiserver(sandbox_kube)
        apply(kube, objects[-1:])             # the change that must not be missed
        worker.join(120)
    finally:
        follower.cancel.set()
        worker.join(30)

    assert result and result[0].ok, result
    assert sum(w.reconnects for w in follower.watchers) >= len(follower.watchers)
    delivered = Counter((c.source, c.type, c.obj["metadata"]["uid"], c.obj["metadata"]["resourceVersion"])
                        for c in taken if c.obj is not None)
    assert [k for k, n in delivered.items() if n > 1] == []
    assert any(c.source == "customresources" and c.type == "ADDED" for c in taken)
    no_repeats(events)
