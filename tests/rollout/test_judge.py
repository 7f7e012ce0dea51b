"""Judges: real-world workload, pod and event objects -> state and the reason a user reads."""

from __future__ import annotations

import pytest

from wbinstall.rollout.judge import (FAILED, MISSING, PROGRESSING, READY, judge_custom_resource, judge_workload,
                                     pod_reason, scheduler_message, scheduling_causes, selects)

SELECTOR = {"matchLabels": {"app.kubernetes.io/name": "app", "app.kubernetes.io/instance": "wandb"}}
LABELS = {"app.kubernetes.io/name": "app", "app.kubernetes.io/instance": "wandb", "pod-template-hash": "7d9c"}


def deployment(replicas=1, available=0, updated=None, generation=1, observed=1, conditions=()):
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "wandb-app-bc", "namespace": "wandb", "generation": generation},
            "spec": {"replicas": replicas, "selector": SELECTOR},
            "status": {"observedGeneration": observed, "replicas": replicas, "availableReplicas": available,
                       "updatedReplicas": replicas if updated is None else updated,
                       "readyReplicas": available, "conditions": list(conditions)}}


def pod(name="wandb-app-bc-7d9c-x1", phase="Pending", conditions=(), containers=(), init=(), node=None,
        labels=LABELS):
    spec = {"containers": [{"name": "app"}]}
    if node:
        spec["nodeName"] = node
    status = {"phase": phase, "conditions": list(conditions)}
    if containers:
        status["containerStatuses"] = list(containers)
    if init:
        status["initContainerStatuses"] = list(init)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "wandb", "labels": labels},
            "spec": spec, "status": status}


def unschedulable(message):
    return {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message}


def waiting(reason, message="", name="app", restarts=0, last=None):
    s = {"name": name, "ready": False, "restartCount": restarts, "image": "wandb/local:0.70.0",
         "state": {"waiting": {"reason": reason, **({"message": message} if message else {})}}}
    if last:
        s["lastState"] = {"terminated": last}
    return s


def event(kind, name, reason, message, type_="Warning", t="2026-05-01T10:00:00Z"):
    return {"apiVersion": "v1", "kind": "Event", "metadata": {"name": f"{name}.1", "namespace": "wandb"},
            "involvedObject": {"kind": kind, "name": name, "namespace": "wandb"},
            "reason": reason, "message": message, "type": type_, "lastTimestamp": t}


SCHEDULED = {"type": "PodScheduled", "status": "True"}
RUNNING_UNREADY = {"name": "app", "ready": False, "restartCount": 0, "state": {"running": {"startedAt": "x"}}}


# ----- workloads: ready or not ---------------------------------------------------------------

@pytest.mark.parametrize("obj, status, ready, desired", [
    (deployment(replicas=2, available=2), READY, 2, 2),
    (deployment(replicas=2, available=1), PROGRESSING, 1, 2),
    (deployment(replicas=1, available=1, generation=2, observed=1), PROGRESSING, 1, 1),   # new spec not seen
    (deployment(replicas=2, available=2, updated=1), PROGRESSING, 2, 2),                  # rolling update
    (deployment(replicas=0, available=0), READY, 0, 0),
    ({"kind": "StatefulSet", "metadata": {"name": "wandb-redis-master", "generation": 1},
      "spec": {"replicas": 1}, "status": {"observedGeneration": 1, "readyReplicas": 1}}, READY, 1, 1),
    ({"kind": "StatefulSet", "metadata": {"name": "wandb-redis-master", "generation": 1},
      "spec": {"replicas": 1}, "status": {"observedGeneration": 1}}, PROGRESSING, 0, 1),
    ({"kind": "DaemonSet", "metadata": {"name": "wandb-otel-daemonset", "generation": 1}, "spec": {},
      "status": {"observedGeneration": 1, "desiredNumberScheduled": 3, "numberReady": 3}}, READY, 3, 3),
    ({"kind": "DaemonSet", "metadata": {"name": "wandb-otel-daemonset", "generation": 1}, "spec": {},
      "status": {"observedGeneration": 1, "desiredNumberScheduled": 3, "numberReady": 2}}, PROGRESSING, 2, 3),
    ({"kind": "Job", "metadata": {"name": "wandb-app-rename-pre"}, "spec": {},
      "status": {"succeeded": 1}}, READY, 1, 1),
    ({"kind": "Job", "metadata": {"name": "wandb-migrate"}, "spec": {"completions": 1},
      "status": {"failed": 6, "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                                              "message": "Job has reached the specified backoff limit"}]}},
     FAILED, 0, 1),
])
def test_workload_state(obj, status, ready, desired):
    s = judge_workload(obj)
    assert (s.status, s.ready, s.desired) == (status, ready, desired)
    assert (s.reason == "") is (status == READY)


# ----- why a pod is not ready ---------------------------------------------------------------

@pytest.mark.parametrize("the_pod, events, expected", [
    pytest.param(pod(conditions=[unschedulable("0/3 nodes are available: 3 Insufficient cpu.")]), [],
                 "Pending (insufficient CPU): 0/3 nodes are available: 3 Insufficient cpu.", id="insufficient-cpu"),
    pytest.param(pod(conditions=[unschedulable(
        "0/3 nodes are available: 1 Insufficient memory, 2 Insufficient cpu. preemption: 0/3 nodes are available: "
        "3 No preemption victims found for incoming pod.")]), [],
        "Pending (insufficient CPU, insufficient memory): 0/3 nodes are available: 1 Insufficient memory, "
        "2 Insufficient cpu.", id="cpu-and-memory-preemption-postscript-dropped"),
    pytest.param(pod(conditions=[unschedulable(
        "0/1 nodes are available: 1 Insufficient memory. no new claims to deallocate, preemption: 0/1 nodes are "
        "available: 1 No preemption victims found for incoming pod.")]), [],
        "Pending (insufficient memory): 0/1 nodes are available: 1 Insufficient memory.", id="k8s-1.32-wording"),
    pytest.param(pod(conditions=[unschedulable(
        "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are "
        "available: 3 Preemption is not helpful for scheduling.")]), [],
        "Pending (volume claim not bound): 0/3 nodes are available: pod has unbound immediate "
        "PersistentVolumeClaims.", id="pvc-not-bound"),
    pytest.param(pod(conditions=[unschedulable(
        "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "3 node(s) didn't match Pod's node affinity/selector.")]), [],
        "Pending (no node matches the node selector/affinity, node taints not tolerated): 0/4 nodes are available: "
        "1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 3 node(s) didn't match Pod's "
        "node affinity/selector.", id="selector-and-taints"),
    pytest.param(pod(), [event("Pod", "wandb-app-bc-7d9c-x1", "FailedScheduling",
                                "0/3 nodes are available: 3 Insufficient cpu.")],
                 "Pending (insufficient CPU): 0/3 nodes are available: 3 Insufficient cpu.",
                 id="from-event-before-condition"),
    pytest.param(pod(), [], "", id="not-yet-seen-by-the-scheduler"),
    pytest.param(pod(node="n1", conditions=[SCHEDULED]), [], "", id="scheduled-nothing-reported-yet"),
    pytest.param(pod(node="n1", conditions=[SCHEDULED], containers=[waiting(
        "ImagePullBackOff", 'Back-off pulling image "wandb/local:0.70.0"')]), [],
        'ImagePullBackOff: Back-off pulling image "wandb/local:0.70.0"', id="image-pull-backoff"),
    pytest.param(pod(node="n1", conditions=[SCHEDULED], containers=[waiting(
        "ErrImagePull", "rpc error: code = NotFound desc = failed to pull and unpack image")]), [],
        "ErrImagePull: rpc error: code = NotFound desc = failed to pull and unpack image", id="err-image-pull"),
    pytest.param(pod(phase="Running", node="n1", conditions=[SCHEDULED], containers=[waiting(
        "CrashLoopBackOff", "back-off 5m0s restarting failed container", restarts=7,
        last={"exitCode": 1, "reason": "Error"})]), [],
        "CrashLoopBackOff: container app restarted 7 times, last exit code 1 (Error)", id="crash-loop"),
    pytest.param(pod(node="n1", conditions=[SCHEDULED], containers=[waiting(
        "CreateContainerConfigError", 'secret "wandb-mysql" not found')]), [],
        'CreateContainerConfigError: secret "wandb-mysql" not found', id="missing-secret"),
    pytest.param(pod(phase="Running", node="n1", conditions=[SCHEDULED], containers=[RUNNING_UNREADY]),
                 [event("Pod", "wandb-app-bc-7d9c-x1", "Unhealthy",
                        "Readiness probe failed: HTTP probe failed with statuscode: 503")],
                 "readiness probe failing: Readiness probe failed: HTTP probe failed with statuscode: 503",
                 id="readiness-probe"),
    pytest.param(pod(phase="Running", node="n1", conditions=[SCHEDULED], containers=[RUNNING_UNREADY]),
                 [event("Pod", "wandb-app-bc-7d9c-x1", "Unhealthy",
                        "Liveness probe failed: Get \"http://10.0.1.5:8080/healthz\": context deadline exceeded")],
                 'liveness probe failing: Liveness probe failed: Get "http://10.0.1.5:8080/healthz": context '
                 'deadline exceeded', id="liveness-probe"),
    pytest.param(pod(node="n1", conditions=[SCHEDULED], containers=[waiting("ContainerCreating")]),
                 [event("Pod", "wandb-app-bc-7d9c-x1", "FailedMount",
                        'MountVolume.SetUp failed for volume "ca" : configmap "wandb-ca-certs" not found')],
                 'FailedMount: MountVolume.SetUp failed for volume "ca" : configmap "wandb-ca-certs" not found',
                 id="failed-mount"),
    pytest.param(pod(node="n1", conditions=[SCHEDULED], containers=[waiting("ContainerCreating")]), [],
                 "starting (ContainerCreating)", id="starting"),
    pytest.param(pod(phase="Running", node="n1", conditions=[SCHEDULED], containers=[RUNNING_UNREADY]), [],
                 "running, not ready yet: container app", id="running-unready"),
    pytest.param(pod(node="n1", conditions=[SCHEDULED], init=[waiting("CrashLoopBackOff", name="wait-for-mysql",
                                                                     restarts=3)]), [],
                 "CrashLoopBackOff: container wait-for-mysql restarted 3 times", id="init-container-crash"),
    pytest.param(pod(phase="Failed", node="n1", conditions=[SCHEDULED]) | {"status": {
        "phase": "Failed", "reason": "Evicted",
        "message": "The node was low on resource: ephemeral-storage."}}, [],
        "Failed: The node was low on resource: ephemeral-storage.", id="evicted"),
])
def test_pod_reason(the_pod, events, expected):
    assert pod_reason(the_pod, events) == expected


def test_a_deployment_names_the_most_common_reason_of_its_pods():
    cpu = [unschedulable("0/3 nodes are available: 3 Insufficient cpu.")]
    pods = [pod(name=f"wandb-app-bc-7d9c-{i}", conditions=cpu) for i in range(2)]
    pods.append(pod(name="other", conditions=cpu, labels={"app.kubernetes.io/name": "console"}))
    s = judge_workload(deployment(replicas=2), pods)
    assert s.reason == "2 pods Pending (insufficient CPU): 0/3 nodes are available: 3 Insufficient cpu."


def test_a_deployment_without_pods_reports_why_its_replica_set_made_none():
    rs_event = event("ReplicaSet", "wandb-app-bc-7d9c", "FailedCreate",
                     'pods "wandb-app-bc-7d9c-" is forbidden: exceeded quota: compute, requested: cpu=1, '
                     "used: cpu=4, limited: cpu=4")
    s = judge_workload(deployment(), [], [rs_event])
    assert s.reason.startswith("FailedCreate: pods \"wandb-app-bc-7d9c-\" is forbidden: exceeded quota")


def test_a_deployment_past_its_progress_deadline_says_so():
    stuck = {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
             "message": 'ReplicaSet "wandb-app-bc-7d9c" has timed out progressing.'}
    s = judge_workload(deployment(conditions=[stuck]))
    assert s.reason == 'ProgressDeadlineExceeded: ReplicaSet "wandb-app-bc-7d9c" has timed out progressing.'


@pytest.mark.parametrize("message, causes", [
    ("0/3 nodes are available: 3 Insufficient cpu.", ["insufficient CPU"]),
    ("0/3 nodes are available: 3 Insufficient memory.", ["insufficient memory"]),
    ("0/2 nodes are available: 2 Insufficient nvidia.com/gpu.", ["insufficient nvidia.com/gpu"]),
    ("0/3 nodes are available: 3 Too many pods.", ["node pod limit reached"]),
    ("0/3 nodes are available: 3 node(s) had volume node affinity conflict.", ["volume in another zone"]),
    ("no nodes available to schedule pods", ["no nodes"]),
    ("something new", []),
])
def test_scheduling_causes(message, causes):
    assert scheduling_causes(message) == causes


def test_scheduler_message_keeps_the_first_part():
    assert scheduler_message("0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
                             "3 No preemption victims found for incoming pod.") == \
        "0/3 nodes are available: 3 Insufficient cpu."


def test_a_deployment_whose_pods_say_nothing_yet_is_starting():
    assert judge_workload(deployment(), [pod(), pod(name="b", node="n1", conditions=[SCHEDULED])]).reason == \
        "pods starting"
    assert judge_workload(deployment(generation=2, observed=1)).reason == "rollout starting"


@pytest.mark.parametrize("selector, labels, matches", [
    ({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"}, True),
    ({"matchLabels": {"a": "1"}}, {"a": "2"}, False),
    ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1", "2"]}]}, {"a": "2"}, True),
    ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {"a": "1"}, False),
    ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {}, False),
    ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {}, True),
    ({}, {"a": "1"}, False),
    (None, {"a": "1"}, False),
])
def test_selector(selector, labels, matches):
    assert selects(selector, labels) is matches


# ----- the WeightsAndBiases resource ----------------------------------------------------------

def cr(phase=None):
    obj = {"apiVersion": "apps.wandb.com/v1", "kind": "WeightsAndBiases", "metadata": {"name": "wandb"}}
    if phase:
        obj["status"] = {"phase": phase}
    return obj


@pytest.mark.parametrize("obj, events, status, reason", [
    (None, [], MISSING, "not created yet"),
    (cr(), [], PROGRESSING, "waiting for the operator to pick it up"),
    (cr("Loading"), [], PROGRESSING, "operator: Loading"),
    (cr("Completed"), [], READY, ""),
    (cr("Invalid Config"), [event("WeightsAndBiases", "wandb", "ApplyFailed",
                                  "failed to fetch channel spec: 401 Unauthorized: invalid license")],
     FAILED, "ApplyFailed: failed to fetch channel spec: 401 Unauthorized: invalid license"),
    (cr("Invalid Config"), [], FAILED, "the operator could not apply the chart"),
])
def test_custom_resource_state(obj, events, status, reason):
    s = judge_custom_resource(obj, "wandb", events)
    assert (s.status, s.reason) == (status, reason)
