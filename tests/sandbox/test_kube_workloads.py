"""Workloads really roll out (controller-manager -> scheduler -> kwok), or really don't;
the ingress and storage stand-ins do what an installer can observe."""

from __future__ import annotations

from kubernetes import client

from sandbox.kube.ingress_standin import CLASS_NAME as INGRESS_CLASS
from sandbox.kube.storage_standin import CLASS_NAME as STORAGE_CLASS
from sandbox.kube.waits import deployment_available, events_for, wait_for


def _deployment(name: str, cpu: str, memory: str, replicas: int = 1) -> client.V1Deployment:
    labels = {"app": name}
    return client.V1Deployment(
        metadata=client.V1ObjectMeta(name=name, labels=labels),
        spec=client.V1DeploymentSpec(
            replicas=replicas, selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(containers=[client.V1Container(
                    name="main", image="registry.example/app:1",
                    resources=client.V1ResourceRequirements(
                        requests={"cpu": cpu, "memory": memory}))]))))


def test_deployment_becomes_available(sandbox_kube, sandbox_kube_namespace):
    apps = client.AppsV1Api(sandbox_kube.api)
    ns = sandbox_kube_namespace
    apps.create_namespaced_deployment(ns, _deployment("web", "500m", "1Gi", replicas=2))
    dep = wait_for(lambda: apps.read_namespaced_deployment("web", ns), deployment_available)
    assert dep.status.available_replicas == 2
    pods = client.CoreV1Api(sandbox_kube.api).list_namespaced_pod(ns).items
    assert len(pods) == 2
    for pod in pods:
        assert pod.status.phase == "Running"
        assert pod.spec.node_name.startswith("sandbox-node-")


def test_too_large_deployment_stays_pending_with_scheduler_reason(sandbox_kube,
                                                                  sandbox_kube_namespace):
    api, ns = sandbox_kube.api, sandbox_kube_namespace
    client.AppsV1Api(api).create_namespaced_deployment(ns, _deployment("huge", "16", "8Gi"))
    core = client.CoreV1Api(api)
    pods = wait_for(lambda: core.list_namespaced_pod(ns).items, lambda pods: len(pods) == 1)
    name = pods[0].metadata.name
    events = wait_for(lambda: events_for(api, ns, "Pod", name),
                      lambda evs: any(e.reason == "FailedScheduling" for e in evs))
    failed = [e for e in events if e.reason == "FailedScheduling"]
    assert failed, [(e.reason, e.message) for e in events]
    assert "Insufficient cpu" in failed[-1].message
    pod = core.read_namespaced_pod(name, ns)
    assert pod.status.phase == "Pending" and not pod.spec.node_name
    unschedulable = [c for c in pod.status.conditions or [] if c.type == "PodScheduled"]
    assert unschedulable and unschedulable[0].reason == "Unschedulable"


def test_ingress_gets_load_balancer_address(sandbox_kube, sandbox_kube_namespace):
    net = client.NetworkingV1Api(sandbox_kube.api)
    ns = sandbox_kube_namespace
    classes = {c.metadata.name: c for c in net.list_ingress_class().items}
    assert classes[INGRESS_CLASS].metadata.annotations[
        "ingressclass.kubernetes.io/is-default-class"] == "true"
    backend = client.V1IngressBackend(service=client.V1IngressServiceBackend(
        name="web", port=client.V1ServiceBackendPort(number=80)))
    # No class given: the default-class admission plugin assigns the stand-in's class.
    net.create_namespaced_ingress(ns, client.V1Ingress(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V1IngressSpec(rules=[client.V1IngressRule(
            host="wandb.example.test", http=client.V1HTTPIngressRuleValue(paths=[
                client.V1HTTPIngressPath(path="/", path_type="Prefix", backend=backend)]))])))
    ing = wait_for(lambda: net.read_namespaced_ingress("web", ns),
                   lambda i: bool(i.status.load_balancer.ingress))
    assert ing.spec.ingress_class_name == INGRESS_CLASS
    assert [lb.ip for lb in ing.status.load_balancer.ingress] == [sandbox_kube.ingress_address]


def test_pvc_binds_on_default_storage_class(sandbox_kube, sandbox_kube_namespace):
    core = client.CoreV1Api(sandbox_kube.api)
    ns = sandbox_kube_namespace
    default = [sc.metadata.name for sc in client.StorageV1Api(sandbox_kube.api)
               .list_storage_class().items
               if (sc.metadata.annotations or {}).get(
                   "storageclass.kubernetes.io/is-default-class") == "true"]
    assert default == [STORAGE_CLASS]
    core.create_namespaced_persistent_volume_claim(ns, client.V1PersistentVolumeClaim(
        metadata=client.V1ObjectMeta(name="data"),
        spec=client.V1PersistentVolumeClaimSpec(
            access_modes=["ReadWriteOnce"],
            resources=client.V1VolumeResourceRequirements(requests={"storage": "8Gi"}))))
    pvc = wait_for(lambda: core.read_namespaced_persistent_volume_claim("data", ns),
                   lambda p: p.status.phase == "Bound")
    assert pvc.status.phase == "Bound"
    assert pvc.spec.storage_class_name == STORAGE_CLASS
    pv = core.read_persistent_volume(pvc.spec.volume_name)
    assert pv.status.phase == "Bound"
    assert pv.spec.capacity["storage"] == "8Gi"
