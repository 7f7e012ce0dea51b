"""The W&B operator stand-in turns a WeightsAndBiases resource into the chart's workloads,
which then really roll out (or really don't, on nodes too small)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kubernetes import client

from sandbox.kube.operator_standin import (GROUP, PLURAL, SIMULATE_ANNOTATION, VERSION,
                                           wandb_cr)
from sandbox.kube.waits import (deployment_available, events_for, statefulset_ready,
                                wait_for)

REPO = Path(__file__).resolve().parents[2]
EXPECTED_DEPLOYMENTS = {"wandb-app-bc": 1, "wandb-console-bc": 1, "wandb-parquet-bc": 2,
                        "wandb-weave-bc": 2}
INSTANCE = "app.kubernetes.io/instance=wandb"


def _create_cr(api, ns, **kwargs):
    return client.CustomObjectsApi(api).create_namespaced_custom_object(
        GROUP, VERSION, ns, PLURAL, wandb_cr("wandb", ns, **kwargs))


def _phase(api, ns):
    cr = client.CustomObjectsApi(api).get_namespaced_custom_object(GROUP, VERSION, ns, PLURAL,
                                                                  "wandb")
    return (cr.get("status") or {}).get("phase")


def _rollout_done(api, ns):
    apps = client.AppsV1Api(api)
    deps = apps.list_namespaced_deployment(ns, label_selector=INSTANCE).items
    sets = apps.list_namespaced_stateful_set(ns, label_selector=INSTANCE).items
    return deps, sets


def test_operator_standin_rolls_out_ready_workloads(sandbox_kube, sandbox_kube_wandb_crd,
                                                    sandbox_kube_operator):
    api, ns = sandbox_kube.api, sandbox_kube_operator.namespace
    cr = _create_cr(api, ns, values={"global": {"host": "https://wandb.example.test"}})

    phase = wait_for(lambda: _phase(api, ns), lambda p: p == "Completed")
    assert phase == "Completed"
    deps, sets = wait_for(
        lambda: _rollout_done(api, ns),
        lambda r: len(r[0]) == 4 and all(map(deployment_available, r[0]))
        and len(r[1]) == 1 and all(map(statefulset_ready, r[1])))

    assert {d.metadata.name: d.status.available_replicas for d in deps} == EXPECTED_DEPLOYMENTS
    assert [s.metadata.name for s in sets] == ["wandb-redis-master"]
    assert sets[0].status.ready_replicas == 1
    for obj in [*deps, *sets]:
        labels = obj.metadata.labels
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["app.kubernetes.io/instance"] == "wandb"
        owner = obj.metadata.owner_references[0]
        assert (owner.kind, owner.name, owner.uid) == ("WeightsAndBiases", "wandb",
                                                       cr["metadata"]["uid"])
    parquet = next(d for d in deps if d.metadata.name == "wandb-parquet-bc")
    assert parquet.metadata.labels["app.kubernetes.io/name"] == "parquet"
    requests = parquet.spec.template.spec.containers[0].resources.requests
    assert requests == {"cpu": "1", "memory": "8Gi"}

    # Redis's volume claim was provisioned and bound; the Ingress got its address.
    pvcs = client.CoreV1Api(api).list_namespaced_persistent_volume_claim(ns).items
    assert [(p.metadata.name, p.status.phase) for p in pvcs] == [
        ("redis-data-wandb-redis-master-0", "Bound")]
    ing = wait_for(lambda: client.NetworkingV1Api(api).read_namespaced_ingress("wandb", ns),
                   lambda i: bool(i.status.load_balancer.ingress))
    assert ing.spec.rules[0].host == "wandb.example.test"
    assert ing.status.load_balancer.ingress[0].ip == sandbox_kube.ingress_address
    reasons = [e.reason for e in events_for(api, ns, "WeightsAndBiases", "wandb")]
    assert {"Reconciling", "LoadingConfig", "Completed"} <= set(reasons)


def test_completed_but_pending_on_nodes_too_small(sandbox_kube_nodes, sandbox_kube_wandb_crd,
                                                  sandbox_kube_operator):
    cluster = sandbox_kube_nodes
    api, ns = cluster.api, sandbox_kube_operator.namespace
    cluster.reset_nodes([{"name": "sandbox-small-0", "instance_type": "t3.small"},
                         {"name": "sandbox-small-1", "instance_type": "t3.small"}])
    _create_cr(api, ns)
    assert wait_for(lambda: _phase(api, ns), lambda p: p == "Completed") == "Completed"

    core = client.CoreV1Api(api)
    pods = wait_for(lambda: core.list_namespaced_pod(
        ns, label_selector="app.kubernetes.io/name=parquet").items, lambda p: len(p) == 2)
    pod = pods[0].metadata.name
    events = wait_for(lambda: events_for(api, ns, "Pod", pod),
                      lambda evs: any(e.reason == "FailedScheduling" for e in evs))
    failed = [e.message for e in events if e.reason == "FailedScheduling"]
    assert failed and "Insufficient memory" in failed[-1]
    assert core.read_namespaced_pod(pod, ns).status.phase == "Pending"
    parquet = client.AppsV1Api(api).read_namespaced_deployment("wandb-parquet-bc", ns)
    assert not parquet.status.available_replicas


def test_simulated_invalid_config(sandbox_kube, sandbox_kube_operator, sandbox_kube_wandb_crd):
    # (The stand-in starts before the CRD exists here, as when an installer creates it.)
    api, ns = sandbox_kube.api, sandbox_kube_operator.namespace
    _create_cr(api, ns, annotations={SIMULATE_ANNOTATION: "invalid-config"})
    assert wait_for(lambda: _phase(api, ns), lambda p: p == "Invalid Config") == "Invalid Config"
    assert client.AppsV1Api(api).list_namespaced_deployment(ns).items == []


def test_operator_standin_runs_as_a_process(sandbox_kube, sandbox_kube_namespace,
                                            sandbox_kube_wandb_crd):
    api, ns = sandbox_kube.api, sandbox_kube_namespace
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox.kube.operator_standin",
         "--kubeconfig", str(sandbox_kube.admin_kubeconfig), "--namespace", ns,
         "--apply-crd", "--apply-delay", "0"],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _create_cr(api, ns, values={"redis": {"install": False}, "weave": {"install": False}})
        phase = wait_for(lambda: _phase(api, ns), lambda p: p == "Completed" or proc.poll() is not None)
        names = sorted(d.metadata.name for d in client.AppsV1Api(api).list_namespaced_deployment(
            ns, label_selector=INSTANCE).items)
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=15)
    assert phase == "Completed", out
    assert names == ["wandb-app-bc", "wandb-console-bc", "wandb-parquet-bc"]
    assert proc.returncode in (0, -15), out
