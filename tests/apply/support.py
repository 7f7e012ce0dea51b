"""Shared by tests/apply and tests/rollout: answers aimed at the sandbox cluster and cleanup
of the cluster-scoped objects an install creates (the namespace goes with its fixture)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from sandbox.kube.operator_standin import delete_wandb_crd
from tests.checks.support import make_answers, make_secrets
from wbinstall import manifests
from wbinstall.kube import Kube, api_client

REPO = Path(__file__).resolve().parents[2]
CLUSTER_SCOPED = ("/apis/rbac.authorization.k8s.io/v1/clusterroles/wandb-manager-role",
                  "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/wandb-manager-rolebinding")
# Checks that need servers these tests do not start (the CLI tests skip them in the answers).
NOT_KUBE_CHECKS = ("license.valid", "mysql.connect", "mysql.version", "mysql.settings", "mysql.charset", "mysql.grants",
                   "mysql.operations", "storage.access", "storage.presign", "storage.cors", "dns.a-record",
                   "tls.certificate")
# The same for the checks after the install (verify.operator needs the cluster only).
NOT_KUBE_VERIFY = ("verify.dns", "verify.tls", "verify.app", "verify.upload", "verify.bucket")
# Skipping a strict check needs the lab flag (README, "Strict checks"): these tests pass it for
# the strict ones among NOT_KUBE_CHECKS, whose servers they do not start.
LAB = ("--override-strict", "mysql.version,storage.presign")


@pytest.fixture
def cleanup_cluster_scoped(sandbox_kube):
    """Delete what an install creates outside its namespace (CRD, ClusterRole, binding)."""
    yield
    kube = Kube(sandbox_kube.api)
    for path in CLUSTER_SCOPED:
        kube.delete(path)
    delete_wandb_crd(sandbox_kube.api)


def answers_for(cluster: Any, namespace: str, **overrides: Any):
    kube = {"kubeconfig": str(cluster.admin_kubeconfig), "namespace": namespace}
    return make_answers(kubernetes=kube, **overrides)


def objects_for(cluster: Any, namespace: str, secrets: dict | None = None, **overrides: Any) -> list[dict]:
    return manifests.render(answers_for(cluster, namespace, **overrides), make_secrets(**(secrets or {})), Path.cwd())


def kube_for(cluster: Any) -> Kube:
    """A Kube on a new ApiClient made the way the CLI makes it (from the kubeconfig)."""
    return Kube(api_client(str(cluster.admin_kubeconfig), None, None))


def answers_file(tmp_path: Path, cluster: Any, namespace: str, *, mysql_host: str = "127.0.0.1",
                 mysql_port: int = 3306, skip: tuple[str, ...] = NOT_KUBE_CHECKS,
                 skip_verify: tuple[str, ...] = NOT_KUBE_VERIFY) -> Path:
    skips = "".join(f"\n    - {{id: {i}, reason: not under test here}}" for i in (*skip, *skip_verify))
    text = textwrap.dedent(f"""\
        apiVersion: wbinstall/v1
        workload: models
        environment: test
        cloud: other
        host: wandb.sandbox.test
        license: {{env: WB_TEST_LICENSE}}
        kubernetes: {{kubeconfig: {cluster.admin_kubeconfig}, namespace: {namespace}}}
        mysql: {{host: {mysql_host}, port: {mysql_port}, password: {{env: WB_TEST_MYSQL_PASSWORD}}}}
        storage: {{provider: s3, bucket: wandb-bucket, region: us-east-1}}
        checks:
          timeout: 5
          skip:""") + (skips or " []") + "\n"
    path = tmp_path / "answers.yaml"
    path.write_text(text)
    return path


def wbinstall(*args: str, timeout: float = 240, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "WB_TEST_LICENSE": "test-license-0001", "WB_TEST_MYSQL_PASSWORD": "test-mysql-password",
           "NO_COLOR": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "wbinstall", *args], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=timeout)
