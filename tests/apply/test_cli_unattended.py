"""`wbinstall --answers FILE` end to end in a subprocess against the sandbox cluster:
checks, then apply, then the rollout; exit codes 0 / 1 / 130; dry run; re-attach."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from sandbox.procs import free_port
from tests.apply.support import LAB, NOT_KUBE_CHECKS, REPO, answers_file, kube_for, wbinstall
from wbinstall.apply.lock import LEASE_NAME, InstallLock

import pytest

pytestmark = pytest.mark.usefixtures("cleanup_cluster_scoped")


def nothing_applied(kube, ns: str) -> dict:
    """What an install would have created, as found (all empty when nothing was applied)."""
    return {
        "crd": kube.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/weightsandbiases.apps.wandb.com"),
        "clusterrole": kube.get("/apis/rbac.authorization.k8s.io/v1/clusterroles/wandb-manager-role"),
        "deployments": kube.list(f"/apis/apps/v1/namespaces/{ns}/deployments")["items"],
        "secrets": kube.list(f"/api/v1/namespaces/{ns}/secrets",
                             labelSelector="app.kubernetes.io/managed-by=wbinstall")["items"],
        "serviceaccounts": [s for s in kube.list(f"/api/v1/namespaces/{ns}/serviceaccounts")["items"]
                            if s["metadata"]["name"] != "default"],
        "lease": kube.get(f"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/{LEASE_NAME}"),
    }


EMPTY = {"crd": None, "clusterrole": None, "deployments": [], "secrets": [], "serviceaccounts": [], "lease": None}


def test_unattended_install_goes_from_empty_namespace_to_ready(sandbox_kube, sandbox_kube_operator, tmp_path):
    ns = sandbox_kube_operator.namespace
    answers = answers_file(tmp_path, sandbox_kube, ns)

    r = wbinstall(*LAB, "--answers", str(answers), "--timeout-rollout", "120")

    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert "apply: WeightsAndBiases wandb: created" in out
    assert "rollout: everything is ready" in out
    for name in ("wandb-app-bc 1/1 ready", "wandb-parquet-bc 2/2 ready", "wandb-redis-master 1/1 ready",
                 "wandb-controller-manager 1/1 ready", "phase Completed ready"):
        assert name in out
    assert "test-license-0001" not in out + r.stderr
    # The lock was released at the end.
    assert nothing_applied(kube_for(sandbox_kube), ns)["lease"] is None

    again = wbinstall(*LAB, "--answers", str(answers), "--timeout-rollout", "120")
    assert again.returncode == 0, again.stdout + again.stderr
    applied = [line for line in again.stdout.splitlines() if line.startswith("apply: ") and ": " in line[7:]]
    assert len(applied) == 11 and all(line.endswith(": unchanged") for line in applied), applied


def test_a_failed_check_exits_1_before_anything_is_applied(sandbox_kube, sandbox_kube_namespace, tmp_path):
    wrong_mysql = free_port()          # nothing listens there
    skip = tuple(i for i in NOT_KUBE_CHECKS if not i.startswith("mysql."))
    answers = answers_file(tmp_path, sandbox_kube, sandbox_kube_namespace, mysql_port=wrong_mysql, skip=skip)

    r = wbinstall(*LAB, "--answers", str(answers))

    assert r.returncode == 1, r.stdout + r.stderr
    assert "mysql.connect" in r.stdout
    assert "checks failed: nothing was applied" in r.stdout
    assert "apply:" not in r.stdout
    assert nothing_applied(kube_for(sandbox_kube), sandbox_kube_namespace) == EMPTY


def test_checks_skipped_in_the_answers_are_honoured(sandbox_kube, sandbox_kube_namespace, tmp_path):
    answers = answers_file(tmp_path, sandbox_kube, sandbox_kube_namespace)

    r = wbinstall(*LAB, "--answers", str(answers), "--dry-run")

    assert r.returncode == 0, r.stdout + r.stderr
    assert "skipped: not under test here" in r.stdout
    assert f"{len(NOT_KUBE_CHECKS)} skipped" in r.stdout


def test_dry_run_prints_the_diff_and_changes_nothing(sandbox_kube, sandbox_kube_namespace, tmp_path):
    answers = answers_file(tmp_path, sandbox_kube, sandbox_kube_namespace)

    r = wbinstall(*LAB, "--answers", str(answers), "--dry-run")

    assert r.returncode == 0, r.stdout + r.stderr
    assert "dry run: WeightsAndBiases wandb: would create" in r.stdout
    assert "+    values:" in r.stdout or "+  values:" in r.stdout
    assert "test-mysql-password" not in r.stdout and "<redacted>" in r.stdout
    assert "10 of 11 objects would change" in r.stdout
    assert nothing_applied(kube_for(sandbox_kube), sandbox_kube_namespace) == EMPTY


def test_a_second_install_is_refused_naming_the_holder_and_reattaches(sandbox_kube, sandbox_kube_operator,
                                                                       tmp_path):
    ns = sandbox_kube_operator.namespace
    answers = answers_file(tmp_path, sandbox_kube, ns)
    assert wbinstall(*LAB, "--answers", str(answers), "--timeout-rollout", "120").returncode == 0

    with InstallLock(kube_for(sandbox_kube), ns, who="jump-host/4242/alice"):
        r = wbinstall(*LAB, "--answers", str(answers), "--timeout-rollout", "60")

    assert r.returncode == 0, r.stdout + r.stderr
    assert "apply refused: another install into namespace" in r.stdout
    assert "jump-host/4242/alice since" in r.stdout
    assert "attaching to that install's rollout" in r.stdout
    assert "apply: Namespace" not in r.stdout
    assert "rollout: everything is ready" in r.stdout


# Ctrl-C, a dropped SSH session and a polite kill: each releases the lock at once (kill -9 cannot).
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGHUP, signal.SIGTERM], ids=["SIGINT", "SIGHUP", "SIGTERM"])
def test_interrupt_exits_130_releases_the_lock_and_a_rerun_continues(sandbox_kube, sandbox_kube_namespace,
                                                                     tmp_path, signum):
    # No operator runs in this namespace: the rollout waits in phase 2 until interrupted.
    answers = answers_file(tmp_path, sandbox_kube, sandbox_kube_namespace)
    env = {**os.environ, "WB_TEST_LICENSE": "test-license-0001", "WB_TEST_MYSQL_PASSWORD": "pw"}
    proc = subprocess.Popen([sys.executable, "-m", "wbinstall", *LAB, "--answers", str(answers)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if "rollout 2/3" in line:
                break
        proc.send_signal(signum)
        rest, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    out = "".join(lines) + rest

    assert proc.returncode == 130, out + err
    assert "interrupted" in err
    kube = kube_for(sandbox_kube)
    assert nothing_applied(kube, sandbox_kube_namespace)["lease"] is None
    rerun = wbinstall(*LAB, "--answers", str(answers), "--timeout-rollout", "3")
    assert "apply: WeightsAndBiases wandb: unchanged" in rerun.stdout
    assert rerun.returncode == 3
    assert "WeightsAndBiases wandb phase -" in rerun.stdout
