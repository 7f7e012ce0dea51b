"""The sandbox control plane as the wizard sees it through the Python kubernetes client."""

from __future__ import annotations

import subprocess

from kubernetes import client
from kubernetes.client.rest import ApiException

from sandbox.kube.client import api_client_from_kubeconfig
from sandbox.kube.cluster import ADMIN_TOKEN_CONTEXT, RESTRICTED_CONTEXT
from sandbox.kube.waits import wait_for


def _can_i(api: client.ApiClient, verb: str, group: str, resource: str,
           namespace: str | None = None) -> bool:
    review = client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec(
        resource_attributes=client.V1ResourceAttributes(
            verb=verb, group=group, resource=resource, namespace=namespace)))
    return client.AuthorizationV1Api(api).create_self_subject_access_review(review).status.allowed


def test_version_is_the_real_release(sandbox_kube):
    info = client.VersionApi(sandbox_kube.api).get_code()
    assert info.git_version == "v1.35.4"
    assert (info.major, info.minor) == ("1", "35")


def test_default_nodes_look_like_a_cloud_cluster(sandbox_kube):
    nodes = client.CoreV1Api(sandbox_kube.api).list_node().items
    by_name = {n.metadata.name: n for n in nodes}
    assert sorted(by_name) == ["sandbox-node-0", "sandbox-node-1", "sandbox-node-2"]
    for node in nodes:
        labels = node.metadata.labels
        assert labels["kubernetes.io/arch"] == "amd64"
        assert labels["kubernetes.io/os"] == "linux"
        assert labels["node.kubernetes.io/instance-type"] == "r6i.xlarge"
        assert node.status.node_info.architecture == "amd64"
        assert node.status.node_info.kubelet_version == "v1.35.4"
        assert node.status.allocatable["cpu"] == "4"
        assert node.status.allocatable["memory"] == "32Gi"
        assert any(c.type == "Ready" and c.status == "True" for c in node.status.conditions)
    zones = {n.metadata.labels["topology.kubernetes.io/zone"] for n in nodes}
    assert zones == {"us-east-1a", "us-east-1b", "us-east-1c"}


def test_admin_may_create_crds_and_cluster_roles(sandbox_kube):
    api = sandbox_kube.api
    assert _can_i(api, "create", "apiextensions.k8s.io", "customresourcedefinitions")
    assert _can_i(api, "create", "rbac.authorization.k8s.io", "clusterroles")


def test_restricted_user_is_denied_cluster_wide_rights(sandbox_kube):
    with api_client_from_kubeconfig(sandbox_kube.restricted_kubeconfig) as api:
        assert not _can_i(api, "create", "apiextensions.k8s.io", "customresourcedefinitions")
        assert not _can_i(api, "create", "rbac.authorization.k8s.io", "clusterroles")
        assert not _can_i(api, "create", "rbac.authorization.k8s.io", "clusterrolebindings")
        assert not _can_i(api, "create", "apps", "deployments", sandbox_kube.restricted_namespace)
        assert _can_i(api, "list", "", "pods", sandbox_kube.restricted_namespace)
        # ... and the API itself refuses, not just the review.
        try:
            client.CoreV1Api(api).list_node()
            raise AssertionError("restricted user could list nodes")
        except ApiException as e:
            assert e.status == 403


def test_combined_kubeconfig_has_every_context(sandbox_kube):
    with api_client_from_kubeconfig(sandbox_kube.kubeconfig, ADMIN_TOKEN_CONTEXT) as api:
        assert _can_i(api, "create", "apiextensions.k8s.io", "customresourcedefinitions")
    with api_client_from_kubeconfig(sandbox_kube.kubeconfig, RESTRICTED_CONTEXT) as api:
        assert not _can_i(api, "create", "apiextensions.k8s.io", "customresourcedefinitions")


def test_old_apiserver_reports_v1_28(sandbox_kube_old):
    with api_client_from_kubeconfig(sandbox_kube_old.admin_kubeconfig) as api:
        info = client.VersionApi(api).get_code()
    assert info.git_version == "v1.28.15"
    assert (info.major, info.minor) == ("1", "28")


def test_arm_and_small_nodes(sandbox_kube_nodes):
    cluster = sandbox_kube_nodes
    cluster.add_arm_node("sandbox-arm-0")
    cluster.add_small_node("sandbox-small-0")
    core = client.CoreV1Api(cluster.api)
    arm = core.read_node("sandbox-arm-0")
    assert arm.metadata.labels["kubernetes.io/arch"] == "arm64"
    assert arm.status.node_info.architecture == "arm64"
    small = core.read_node("sandbox-small-0")
    assert small.status.allocatable["cpu"] == "2"
    assert small.status.allocatable["memory"] == "2Gi"
    cluster.remove_node("sandbox-arm-0")
    names = wait_for(lambda: [n.metadata.name for n in core.list_node().items],
                     lambda names: "sandbox-arm-0" not in names)
    assert "sandbox-arm-0" not in names and "sandbox-small-0" in names


def test_control_plane_processes_are_running(sandbox_kube):
    for name, proc in sandbox_kube.processes.items():
        assert proc.alive, f"{name} exited: {proc.log_tail()}"
        assert subprocess.run(["kill", "-0", str(proc.pid)]).returncode == 0
