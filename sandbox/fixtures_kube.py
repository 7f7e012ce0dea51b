"""pytest fixtures for the Kubernetes sandbox (a pytest plugin: listed in the repo-root
conftest.py `pytest_plugins`).

    sandbox_kube             session   KubeCluster: real control plane + kwok, 3 r6i.xlarge
                                       nodes, ingress and storage stand-ins running
    sandbox_kube_namespace   function  a fresh namespace (name), deleted afterwards
    sandbox_kube_nodes       function  the cluster, restoring its default nodes afterwards
                                       (for tests that add, remove or replace nodes)
    sandbox_kube_operator    function  the W&B operator stand-in (thread) reconciling only in
                                       sandbox_kube_namespace; CRD deleted afterwards
    sandbox_kube_wandb_crd   function  the minimal WeightsAndBiases CRD, deleted afterwards
    sandbox_kube_old         session   OldApiServer: a second apiserver reporting v1.28.15
    sandbox_kube_binaries    session   the bin directory (for tests that start the sandbox in
                                       a subprocess, e.g. `python -m sandbox up`)

The binaries are built (sandbox/build-binaries.sh) if missing, never skipped: right after
collection when any selected test uses these fixtures, so that a first build (~17 min) is
not counted against the first test's pytest-timeout.
"""

from __future__ import annotations

import re
import secrets

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from sandbox.kube.binaries import ensure_binaries
from sandbox.kube.cluster import KubeCluster, OldApiServer
from sandbox.kube.operator_standin import OperatorStandIn


def pytest_collection_finish(session) -> None:
    if any(name.startswith("sandbox_kube")
           for item in session.items for name in getattr(item, "fixturenames", ())):
        ensure_binaries()


@pytest.fixture(scope="session")
def sandbox_kube_binaries():
    return ensure_binaries()


@pytest.fixture(scope="session")
def sandbox_kube():
    cluster = KubeCluster().start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def sandbox_kube_namespace(sandbox_kube: KubeCluster, request) -> str:
    """A new namespace for one test; deleted (not awaited) afterwards."""
    base = re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:40].strip("-")
    name = f"t-{base}-{secrets.token_hex(3)}"
    core = client.CoreV1Api(sandbox_kube.api)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield name
    try:
        core.delete_namespace(name)
    except ApiException as e:
        if e.status != 404:
            raise


@pytest.fixture
def sandbox_kube_nodes(sandbox_kube: KubeCluster) -> KubeCluster:
    """The cluster, for a test that changes its nodes; default nodes restored afterwards."""
    yield sandbox_kube
    sandbox_kube.reset_nodes()


@pytest.fixture
def sandbox_kube_operator(sandbox_kube: KubeCluster, sandbox_kube_namespace: str
                          ) -> OperatorStandIn:
    """The W&B operator stand-in (thread) reconciling WeightsAndBiases resources in
    `sandbox_kube_namespace` (its `.namespace`). It does not create the CRD: the code under
    test installs it (or use sandbox_kube_wandb_crd). Afterwards the CRD is deleted, so every
    test starts from a cluster without the operator installed."""
    op = sandbox_kube.start_operator_standin(namespace=sandbox_kube_namespace)
    yield op
    op.stop()
    sandbox_kube.standins.remove(op)
    sandbox_kube.delete_wandb_crd()


@pytest.fixture
def sandbox_kube_wandb_crd(sandbox_kube: KubeCluster) -> str:
    """The minimal WeightsAndBiases CRD, applied for one test and deleted afterwards."""
    sandbox_kube.apply_wandb_crd()
    yield "weightsandbiases.apps.wandb.com"
    sandbox_kube.delete_wandb_crd()


@pytest.fixture(scope="session")
def sandbox_kube_old(sandbox_kube: KubeCluster) -> OldApiServer:
    server = sandbox_kube.start_old_apiserver()
    yield server
    server.stop()
