"""A kubeconfig's inlined client key, certificate and CA are kept in memory: never a file in
$TMPDIR, not while a client is alive, not after `check`, `--dry-run` or a process killed by
SIGKILL (which skips every cleanup)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from tests.apply.support import LAB, REPO, answers_file, wbinstall
from wbinstall.kube import Kube, api_client

pytestmark = pytest.mark.usefixtures("cleanup_cluster_scoped")


def test_a_live_client_has_written_nothing_to_tmpdir(sandbox_kube, tmp_path, monkeypatch):
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmpdir))  # what mkstemp would use

    kube = Kube(api_client(str(sandbox_kube.admin_kubeconfig), None, None))
    assert kube.get("/api/v1/namespaces/default")["metadata"]["name"] == "default"  # mTLS worked

    assert list(tmpdir.iterdir()) == []


def test_check_and_dry_run_leave_nothing_in_tmpdir(sandbox_kube, sandbox_kube_namespace, tmp_path):
    answers = answers_file(tmp_path, sandbox_kube, sandbox_kube_namespace)
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    env = {"TMPDIR": str(tmpdir)}

    checked = wbinstall(*LAB, "check", "--answers", str(answers), env=env)
    dry = wbinstall(*LAB, "--answers", str(answers), "--dry-run", env=env)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert list(tmpdir.iterdir()) == []


def test_a_process_killed_mid_install_leaves_no_key_behind(sandbox_kube, sandbox_kube_namespace, tmp_path):
    # No operator runs here: the install applies, then waits for a rollout that never comes.
    answers = answers_file(tmp_path, sandbox_kube, sandbox_kube_namespace)
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    env = {**os.environ, "TMPDIR": str(tmpdir), "WB_TEST_LICENSE": "test-license-0001",
           "WB_TEST_MYSQL_PASSWORD": "test-mysql-password", "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "wbinstall", *LAB, "--answers", str(answers)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        said = "\n"
        deadline = time.monotonic() + 120
        while "\napply: " not in said and time.monotonic() < deadline:  # connected and applying
            line = proc.stdout.readline()
            if not line:
                break
            said += line
        assert "\napply: " in said, said
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()

    assert list(tmpdir.iterdir()) == []
