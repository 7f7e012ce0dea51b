"""The demo sandbox (`python -m sandbox`, what `./dev run` starts) never writes to the terminal
the wizard draws on: every server logs to its own file under the run directory.

The sandbox runs as a subprocess with its stdout and stderr captured in files; while the checks
run against it (and a statement makes the MySQL stand-in log a traceback), nothing is added to
either. The sandbox's own status lines come before ("ready") and after ("stopped").
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pymysql
import pytest
import yaml

from sandbox.procs import wait_until

REPO = Path(__file__).resolve().parents[2]
SERVER_LOGS = ("mysql.log", "s3.log", "dns.log", "tls.log", "kube.log", "sandbox.log")


@pytest.fixture
def demo(tmp_path, sandbox_kube_binaries):
    """`python -m sandbox up` with its stdout/stderr in files; yields (run dir, out, err, proc)."""
    run_dir, out, err = tmp_path / "demo", tmp_path / "stdout", tmp_path / "stderr"
    env = {**os.environ, "WBINSTALL_SANDBOX_BIN": str(sandbox_kube_binaries)}
    with open(out, "wb") as o, open(err, "wb") as e:
        proc = subprocess.Popen([sys.executable, "-m", "sandbox", "up", "--dir", str(run_dir)], cwd=REPO, env=env,
                                stdin=subprocess.DEVNULL, stdout=o, stderr=e, start_new_session=True)
    try:
        assert wait_until(lambda: "Press Ctrl-C" in err.read_text() or proc.poll() is not None, 120), err.read_text()
        assert proc.poll() is None, err.read_text()
        yield run_dir, out, err, proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: stops every server
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def test_nothing_reaches_the_terminal_while_checks_run(demo):
    run_dir, out, err, proc = demo
    before = (out.read_bytes(), err.read_bytes())
    assert before[0] == b""
    assert [line for line in before[1].decode().splitlines() if line.strip()][:2] == [
        "sandbox: starting Kubernetes (etcd, kube-apiserver, controller-manager, scheduler, kwok) ...",
        next(line for line in before[1].decode().splitlines() if line.startswith("sandbox: ready in ")),
    ]

    answers_path = run_dir / "answers.yaml"
    check = subprocess.run([sys.executable, "-m", "wbinstall", "check", "--answers", str(answers_path)],
                           cwd=REPO, capture_output=True, text=True, timeout=120)
    assert "mysql.grants" in check.stdout and "k8s.connect" in check.stdout, check.stdout + check.stderr

    # A statement the MySQL stand-in cannot evaluate: mysql-mimic logs a traceback and answers 1105.
    answers = yaml.safe_load(answers_path.read_text())
    mysql = answers["mysql"]
    password = (run_dir / mysql["password"]["file"]).read_text().strip()
    with pymysql.connect(host=mysql["host"], port=mysql["port"], user=mysql["user"], password=password,
                         database=mysql["database"]) as conn, conn.cursor() as cur:
        assert cur.execute("SELECT CURRENT_ROLE()") == 1 and cur.fetchall() == (("NONE",),)
        with pytest.raises(pymysql.MySQLError):
            cur.execute("SELECT UUID()")
    mysql_log = run_dir / "logs" / "mysql.log"

    def logged() -> str:
        return mysql_log.read_text() if mysql_log.exists() else ""

    def terminal() -> tuple[bytes, bytes]:
        return out.read_bytes(), err.read_bytes()

    # The traceback lands somewhere: in the server's log, or (what this test exists for) on the terminal.
    wait_until(lambda: "UUID" in logged() or terminal() != before, 10)
    assert proc.poll() is None
    assert terminal() == before  # not one byte while the checks ran
    assert "Traceback" in logged() and "UUID" in logged()
    assert all((run_dir / "logs" / name).exists() for name in SERVER_LOGS)
    assert (run_dir / "kube" / "logs" / "kube-apiserver.log").stat().st_size > 0

    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(60) == 0
    after = err.read_text()[len(before[1].decode()):]
    assert after.strip() == "sandbox: stopped" and out.read_bytes() == b""


def test_the_terminal_is_the_wizards(tmp_path, sandbox_kube_binaries):
    # `python -m sandbox check` runs wbinstall against the sandbox: its report is on stdout (the
    # terminal), the sandbox's only lines are its own status lines, and the servers' in their files.
    env = {**os.environ, "WBINSTALL_SANDBOX_BIN": str(sandbox_kube_binaries)}
    result = subprocess.run([sys.executable, "-m", "sandbox", "check", "--dir", str(tmp_path / "demo")], cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL)
    assert "mysql.connect" in result.stdout and "tls.certificate" in result.stdout, result.stdout + result.stderr
    assert all(line.startswith("sandbox: ") for line in result.stderr.splitlines() if line.strip()), result.stderr
