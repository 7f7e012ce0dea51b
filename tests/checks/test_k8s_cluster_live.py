"""k8s.version/arch/ingress/storage/rbac/capacity against the sandbox cluster.

Every test that changes the shared cluster (nodes, classes, RBAC) undoes it: nodes through
the sandbox_kube_nodes fixture, classes and bindings through the fixtures below.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from sandbox.kube import ingress_standin, storage_standin
from sandbox.kube.cluster import RESTRICTED_USER
from sandbox.kube.waits import wait_for
from tests.checks.support import make_answers, run_checks
from wbinstall.checklist import CHECK_IDS

K8S = [i for i in CHECK_IDS if i.startswith("k8s.")]
DEFAULT_INGRESS = ingress_standin.DEFAULT_CLASS_ANNOTATION
DEFAULT_STORAGE = storage_standin.DEFAULT_CLASS_ANNOTATION


TRANSIENT_TAINTS = ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")


def settle(api: client.ApiClient) -> None:
    """Wait until no node carries the node controller's not-ready taint. A new node turns
    Ready before the controller lifts the taint it was created with (a few seconds, as on a
    real cluster), and a node with that taint rightly counts as unschedulable."""
    core = client.CoreV1Api(api)

    def tainted() -> list[str]:
        return [n.metadata.name for n in core.list_node().items
                if any(t.key in TRANSIENT_TAINTS for t in n.spec.taints or [])]

    assert wait_for(tainted, lambda names: not names, timeout=60) == []


@pytest.fixture(autouse=True)
def settled_nodes(sandbox_kube):
    """Every test starts from settled nodes (an earlier test's node reset may still be settling)."""
    settle(sandbox_kube.api)


def k8s(kubeconfig: Path | str, **answers: Any) -> dict:
    kube = {"kubeconfig": str(kubeconfig), **answers.pop("kubernetes", {})}
    return run_checks(make_answers(kubernetes=kube, **answers), only=K8S)


def statuses(results: dict) -> dict[str, str]:
    return {i: r.status for i, r in results.items()}


# ----- the healthy sandbox -------------------------------------------------------------------

def test_healthy_sandbox_passes_every_check(sandbox_kube):
    assert statuses(k8s(sandbox_kube.admin_kubeconfig)) == {i: "pass" for i in K8S}


# ----- k8s.version ---------------------------------------------------------------------------

def test_version_of_the_sandbox_passes_with_the_exact_git_version(sandbox_kube):
    r = k8s(sandbox_kube.admin_kubeconfig)["k8s.version"]
    assert r.summary == "Kubernetes 1.35.4 meets the minimum 1.29"
    assert r.evidence == ("gitVersion 'v1.35.4' (major '1', minor '35')",)


def test_version_of_an_old_apiserver_fails(sandbox_kube_old):
    r = k8s(sandbox_kube_old.admin_kubeconfig, cloud="azure")["k8s.version"]
    assert r.status == "fail"
    assert r.summary == "Kubernetes 1.28.15 is older than the required 1.29"
    assert r.evidence == ("gitVersion 'v1.28.15' (major '1', minor '28')",)
    assert "(AKS)" in (r.remedy or "") and "1.28 -> 1.29" in (r.remedy or "")


# ----- k8s.arch ------------------------------------------------------------------------------

def test_arm_node_added_fails_arch_naming_it(sandbox_kube_nodes):
    sandbox_kube_nodes.add_arm_node("t-graviton-0")
    settle(sandbox_kube_nodes.api)
    r = k8s(sandbox_kube_nodes.admin_kubeconfig)["k8s.arch"]
    assert r.status == "fail"
    assert r.summary == "1 of 4 schedulable nodes are not linux/amd64: t-graviton-0 (linux/arm64)"
    assert "kubectl taint nodes t-graviton-0 kubernetes.io/arch=arm64:NoSchedule" in (r.remedy or "")


def test_arm_node_tainted_as_the_remedy_says_passes(sandbox_kube_nodes):
    taint = client.V1Taint(key="kubernetes.io/arch", value="arm64", effect="NoSchedule")
    sandbox_kube_nodes.add_arm_node("t-graviton-0", taints=[taint])
    settle(sandbox_kube_nodes.api)
    r = k8s(sandbox_kube_nodes.admin_kubeconfig)["k8s.arch"]
    assert r.status == "pass"
    assert "not schedulable, ignored: t-graviton-0 (kubernetes.io/arch=arm64:NoSchedule)" in r.evidence


def test_arm_only_cluster_fails_arch_and_capacity(sandbox_kube_nodes):
    sandbox_kube_nodes.reset_nodes([{"name": "t-graviton-0", "instance_type": "r6g.xlarge"}])
    settle(sandbox_kube_nodes.api)
    results = k8s(sandbox_kube_nodes.admin_kubeconfig, cloud="aws")
    assert results["k8s.arch"].status == "fail"
    assert "ARM is not supported" in (results["k8s.arch"].remedy or "")
    assert results["k8s.capacity"].status == "fail"


def test_cordoned_nodes_leave_no_schedulable_node(sandbox_kube_nodes):
    core = client.CoreV1Api(sandbox_kube_nodes.api)
    for node in core.list_node().items:
        core.patch_node(node.metadata.name, {"spec": {"unschedulable": True}})
    r = k8s(sandbox_kube_nodes.admin_kubeconfig)["k8s.arch"]
    assert r.status == "fail" and r.summary.startswith("none of the 3 nodes accepts W&B's pods")


def test_cluster_without_nodes_fails_arch(sandbox_kube_nodes):
    sandbox_kube_nodes.remove_all_nodes()
    r = k8s(sandbox_kube_nodes.admin_kubeconfig)["k8s.arch"]
    assert r.status == "fail" and r.summary == "the cluster has no nodes"


def test_node_reporting_no_architecture_warns(sandbox_kube_nodes):
    from sandbox.kube.nodes import node_body

    body = node_body("t-unknown-arch")
    # Not kwok-managed (kwok would fill in amd64); Ready by its own fresh heartbeat, so the
    # node controller lifts its not-ready taint as for a real kubelet's node.
    body.metadata.annotations.pop("kwok.x-k8s.io/node")
    for label in ("kubernetes.io/arch", "beta.kubernetes.io/arch"):
        body.metadata.labels.pop(label)
    body.status.node_info.architecture = ""
    now = datetime.now(timezone.utc)
    body.status.conditions = [client.V1NodeCondition(type="Ready", status="True", reason="KubeletReady",
                                                     last_heartbeat_time=now, last_transition_time=now)]
    client.CoreV1Api(sandbox_kube_nodes.api).create_node(body)
    settle(sandbox_kube_nodes.api)
    r = k8s(sandbox_kube_nodes.admin_kubeconfig)["k8s.arch"]
    assert r.status == "warn" and "t-unknown-arch" in r.summary


# ----- k8s.capacity --------------------------------------------------------------------------

def test_capacity_passes_for_the_recommendation_the_nodes_meet(sandbox_kube):
    r = k8s(sandbox_kube.admin_kubeconfig, workload="weave", environment="test", cloud="aws")["k8s.capacity"]
    assert r.status == "pass"
    assert r.summary == "all 3 nodes meet the recommended 4 CPU / 32 GiB"
    assert "3 × r6i.xlarge linux/amd64: 4 CPU / 32 GiB, meets it" in r.evidence


def test_undersized_node_makes_capacity_warn(sandbox_kube_nodes):
    sandbox_kube_nodes.add_small_node("t-small-0")
    settle(sandbox_kube_nodes.api)
    r = k8s(sandbox_kube_nodes.admin_kubeconfig, workload="models", environment="test", cloud="aws")["k8s.capacity"]
    assert r.status == "warn"
    assert r.summary == "1 of 4 nodes are below the recommended 2 CPU / 16 GiB: t-small-0 2 CPU / 2 GiB"
    assert "1 × t3.small linux/amd64: 2 CPU / 2 GiB, short 14 GiB: t-small-0" in r.evidence
    assert "r6i.large" in (r.remedy or "")


def test_production_sizing_on_small_nodes_fails_capacity_with_numbers(sandbox_kube):
    r = k8s(sandbox_kube.admin_kubeconfig, workload="models", environment="production", cloud="aws")["k8s.capacity"]
    assert r.status == "fail"
    assert r.summary.startswith("no node meets the recommended 8 CPU / 64 GiB")
    assert ("3 × r6i.xlarge linux/amd64: 4 CPU / 32 GiB, short 4 CPU, 32 GiB: sandbox-node-0, sandbox-node-1, "
            "sandbox-node-2") in r.evidence
    assert "recommended: Models, production: 8 CPU / 64 GB per node (GB read as GiB), AWS machine type r6i.2xlarge" in r.evidence


def test_node_slightly_under_the_table_passes_within_the_reserve(sandbox_kube_nodes):
    sandbox_kube_nodes.reset_nodes([{"name": "t-large-0", "instance_type": "r6i.large", "cpu": "1930m",
                                     "memory": "15328316Ki"}])
    settle(sandbox_kube_nodes.api)
    r = k8s(sandbox_kube_nodes.admin_kubeconfig, workload="models", environment="test", cloud="other")["k8s.capacity"]
    assert r.status == "pass"
    assert "within what the system reserves" in r.evidence[1]


# ----- k8s.ingress ---------------------------------------------------------------------------

@pytest.fixture
def ingress_classes(sandbox_kube):
    """The NetworkingV1Api; classes named t-* are deleted and the stand-in's class restored after."""
    net = client.NetworkingV1Api(sandbox_kube.api)
    yield net
    for c in net.list_ingress_class().items:
        if c.metadata.name.startswith("t-"):
            net.delete_ingress_class(c.metadata.name)
    ingress_standin.ensure_ingress_class(sandbox_kube.api)  # recreates it, or resets its default mark


def add_ingress_class(net, name: str, default: bool = False) -> None:
    net.create_ingress_class(client.V1IngressClass(
        metadata=client.V1ObjectMeta(name=name, annotations={DEFAULT_INGRESS: str(default).lower()}),
        spec=client.V1IngressClassSpec(controller=f"example.com/{name}")))


def test_chosen_ingress_class_that_exists_passes(sandbox_kube):
    r = k8s(sandbox_kube.admin_kubeconfig, ingress={"class": ingress_standin.CLASS_NAME})["k8s.ingress"]
    assert r.status == "pass"
    assert r.summary == (f"IngressClass {ingress_standin.CLASS_NAME} exists (controller {ingress_standin.CONTROLLER_NAME}); "
                         "it serves on 127.0.0.1")
    service = f"{ingress_standin.SERVICE_NAMESPACE}/{ingress_standin.SERVICE_NAME}"
    assert (f"Service {service} (type LoadBalancer, app.kubernetes.io/name={ingress_standin.APP_LABEL}): "
            "address 127.0.0.1") in r.evidence


def test_a_class_whose_controller_runs_nowhere_warns_with_what_was_looked_at(sandbox_kube, ingress_classes):
    add_ingress_class(ingress_classes, "t-ghost")  # an IngressClass left behind by an uninstalled controller
    r = k8s(sandbox_kube.admin_kubeconfig, ingress={"class": "t-ghost"})["k8s.ingress"]
    assert r.status == "warn"
    assert r.summary == "IngressClass t-ghost exists (controller example.com/t-ghost), but nothing shows its controller at work"
    assert "no Ingress of class t-ghost has an address yet" in r.evidence
    assert "kubectl get pods,svc -A" in (r.remedy or "")


def test_an_ingress_with_an_address_proves_its_class_at_work(sandbox_kube, sandbox_kube_namespace):
    net = client.NetworkingV1Api(sandbox_kube.api)
    net.create_namespaced_ingress(sandbox_kube_namespace, client.V1Ingress(
        metadata=client.V1ObjectMeta(name="shop"), spec=client.V1IngressSpec(
            ingress_class_name=ingress_standin.CLASS_NAME, rules=[client.V1IngressRule(host="shop.sandbox.test")])))
    wait_for(lambda: net.read_namespaced_ingress_status("shop", sandbox_kube_namespace).status.load_balancer.ingress,
             bool, timeout=20)  # the stand-in publishes the address, as a controller does
    r = k8s(sandbox_kube.admin_kubeconfig)["k8s.ingress"]
    assert r.status == "pass"
    assert (f"Ingress {sandbox_kube_namespace}/shop of class {ingress_standin.CLASS_NAME} has the address 127.0.0.1"
            in r.evidence)


def test_chosen_ingress_class_that_is_missing_fails_listing_the_classes(sandbox_kube, ingress_classes):
    add_ingress_class(ingress_classes, "t-traefik")
    r = k8s(sandbox_kube.admin_kubeconfig, ingress={"class": "nginx"})["k8s.ingress"]
    assert r.status == "fail"
    assert r.summary == "ingress.class 'nginx' is not an IngressClass here"
    assert "sandbox-nginx" in (r.remedy or "") and "t-traefik" in (r.remedy or "")


def test_no_default_ingress_class_warns_to_set_one(sandbox_kube, ingress_classes):
    ingress_classes.patch_ingress_class(ingress_standin.CLASS_NAME, {"metadata": {"annotations": {DEFAULT_INGRESS: "false"}}})
    r = k8s(sandbox_kube.admin_kubeconfig)["k8s.ingress"]
    assert r.status == "warn"
    assert r.summary == f"no IngressClass is the default: set ingress.class to one of: {ingress_standin.CLASS_NAME}"


def test_two_default_ingress_classes_fail_without_a_choice(sandbox_kube, ingress_classes):
    add_ingress_class(ingress_classes, "t-second", default=True)
    r = k8s(sandbox_kube.admin_kubeconfig)["k8s.ingress"]
    assert r.status == "fail" and r.summary.startswith("2 IngressClasses are marked default")


def test_no_ingress_class_fails(sandbox_kube, ingress_classes):
    ingress_classes.delete_ingress_class(ingress_standin.CLASS_NAME)
    r = k8s(sandbox_kube.admin_kubeconfig)["k8s.ingress"]
    assert r.status == "fail" and r.summary == "the cluster has no IngressClass: nothing would expose W&B"


# ----- k8s.storage ---------------------------------------------------------------------------

@pytest.fixture
def storage_classes(sandbox_kube):
    """The StorageV1Api; classes named t-* are deleted and the stand-in's class restored after."""
    storage = client.StorageV1Api(sandbox_kube.api)
    yield storage
    for c in storage.list_storage_class().items:
        if c.metadata.name.startswith("t-"):
            storage.delete_storage_class(c.metadata.name)
    storage_standin.ensure_storage_class(sandbox_kube.api)
    storage.patch_storage_class(storage_standin.CLASS_NAME, {"metadata": {"annotations": {DEFAULT_STORAGE: "true"}}})


def add_storage_class(storage, name: str, default: bool, provisioner: str = "example.com/csi") -> None:
    storage.create_storage_class(client.V1StorageClass(
        metadata=client.V1ObjectMeta(name=name, annotations={DEFAULT_STORAGE: str(default).lower()}),
        provisioner=provisioner, volume_binding_mode="WaitForFirstConsumer"))


def test_default_storage_class_passes(sandbox_kube):
    r = k8s(sandbox_kube.admin_kubeconfig)["k8s.storage"]
    assert r.status == "pass"
    assert r.summary == (f"the default StorageClass {storage_standin.CLASS_NAME} provisions W&B's volumes "
                         f"({storage_standin.PROVISIONER})")
    assert any(e.startswith(f"CSIDriver {storage_standin.PROVISIONER} registered on 3 of 3 schedulable nodes")
               for e in r.evidence), r.evidence


def test_a_default_class_whose_provisioner_is_missing_warns(sandbox_kube, storage_classes):
    storage_classes.patch_storage_class(storage_standin.CLASS_NAME, {"metadata": {"annotations": {DEFAULT_STORAGE: "false"}}})
    add_storage_class(storage_classes, "t-gone", default=True, provisioner="gone.csi.example.com")
    r = k8s(sandbox_kube.admin_kubeconfig)["k8s.storage"]
    assert r.status == "warn"
    assert r.summary == ("the default StorageClass t-gone provisions W&B's volumes (gone.csi.example.com), but nothing "
                         "shows the provisioner at work")
    assert "no CSIDriver named gone.csi.example.com" in r.evidence
    assert "no PersistentVolume of class t-gone is bound yet" in r.evidence


def test_no_default_storage_class_fails_with_the_patch_command(sandbox_kube, storage_classes):
    storage_classes.patch_storage_class(storage_standin.CLASS_NAME, {"metadata": {"annotations": {DEFAULT_STORAGE: "false"}}})
    r = k8s(sandbox_kube.admin_kubeconfig)["k8s.storage"]
    assert r.status == "fail"
    assert r.summary == "no StorageClass is the default: W&B's volume claims would stay Pending"
    assert f"kubectl patch storageclass {storage_standin.CLASS_NAME}" in (r.remedy or "")


def test_second_default_storage_class_warns_naming_the_one_used(sandbox_kube, storage_classes):
    add_storage_class(storage_classes, "t-fast", default=True)
    r = k8s(sandbox_kube.admin_kubeconfig)["k8s.storage"]
    assert r.status == "warn"
    assert r.summary == "2 StorageClasses are marked default; the newest, t-fast, is used"


def test_default_class_without_a_provisioner_warns(sandbox_kube, storage_classes):
    storage_classes.patch_storage_class(storage_standin.CLASS_NAME, {"metadata": {"annotations": {DEFAULT_STORAGE: "false"}}})
    add_storage_class(storage_classes, "t-local", default=True, provisioner="kubernetes.io/no-provisioner")
    r = k8s(sandbox_kube.admin_kubeconfig)["k8s.storage"]
    assert r.status == "warn" and r.summary.startswith("the default StorageClass t-local provisions nothing")


def test_no_storage_class_fails(sandbox_kube, storage_classes):
    storage_classes.delete_storage_class(storage_standin.CLASS_NAME)
    r = k8s(sandbox_kube.admin_kubeconfig)["k8s.storage"]
    assert r.status == "fail" and r.summary.startswith("the cluster has no StorageClass")


# ----- k8s.rbac and a restricted identity ----------------------------------------------------

def test_admin_may_apply_the_install(sandbox_kube):
    r = k8s(sandbox_kube.admin_kubeconfig, kubernetes={"namespace": "wandb-prod"})["k8s.rbac"]
    assert r.status == "pass"
    assert r.evidence == ("allowed: create, patch on 10 kinds (cluster-wide and in namespace wandb-prod)",)


def test_restricted_context_fails_rbac_and_cannot_read_the_cluster(sandbox_kube):
    results = k8s(sandbox_kube.restricted_kubeconfig)
    assert statuses(results) == {"k8s.connect": "pass", "k8s.version": "pass", "k8s.arch": "warn", "k8s.ingress": "warn",
                                 "k8s.storage": "warn", "k8s.rbac": "fail", "k8s.capacity": "warn"}
    r = results["k8s.rbac"]
    assert r.summary == "sandbox-restricted may not apply 10 of the 10 kinds the install creates"
    assert ("denied: create/patch customresourcedefinitions.apiextensions.k8s.io cluster-wide (the WeightsAndBiases CRD)"
            in r.evidence)
    assert "--user=sandbox-restricted" in (r.remedy or "")
    assert results["k8s.arch"].summary == "could not read the nodes: forbidden"


@pytest.fixture
def namespace_admin(sandbox_kube, sandbox_kube_namespace):
    """The restricted user, granted everything the install needs inside one namespace only.
    The Role and binding go with the namespace when the fixture deletes it."""
    rbac = client.RbacAuthorizationV1Api(sandbox_kube.api)
    rules = [client.V1PolicyRule(api_groups=[g], resources=[r], verbs=["create", "patch"]) for g, r in [
        ("", "secrets"), ("", "serviceaccounts"), ("apps", "deployments"), ("rbac.authorization.k8s.io", "roles"),
        ("rbac.authorization.k8s.io", "rolebindings"), ("apps.wandb.com", "weightsandbiases")]]
    ns = sandbox_kube_namespace
    rbac.create_namespaced_role(ns, client.V1Role(metadata=client.V1ObjectMeta(name="t-installer"), rules=rules))
    rbac.create_namespaced_role_binding(ns, client.V1RoleBinding(
        metadata=client.V1ObjectMeta(name="t-installer"),
        role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="Role", name="t-installer"),
        subjects=[client.RbacV1Subject(api_group="rbac.authorization.k8s.io", kind="User", name=RESTRICTED_USER)]))
    return ns


def test_namespace_rights_without_cluster_rights_fail_on_the_cluster_kinds_only(sandbox_kube, namespace_admin):
    r = k8s(sandbox_kube.restricted_kubeconfig, kubernetes={"namespace": namespace_admin})["k8s.rbac"]
    assert r.status == "fail"
    assert r.summary == "sandbox-restricted may not apply 4 of the 10 kinds the install creates"
    assert all("cluster-wide" in e for e in r.evidence)
    assert ("--resource=customresourcedefinitions.apiextensions.k8s.io,clusterroles.rbac.authorization.k8s.io,"
            "clusterrolebindings.rbac.authorization.k8s.io,namespaces") in (r.remedy or "")
