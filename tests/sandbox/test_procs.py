"""ManagedProcess: readiness, failures reported with the log, and nothing left running."""

import os
import sys
from pathlib import Path

import pytest

from sandbox.procs import ManagedProcess, free_port, tcp_ready, wait_until


def _group_members(pgid: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":  # fields: state, ppid, pgrp, ...
            members.append(int(stat.parent.name))
    return members


def test_http_server_becomes_ready_then_stops(tmp_path):
    port = free_port()
    argv = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)]
    with ManagedProcess("http", argv, log_path=tmp_path / "http.log").start(tcp_ready("127.0.0.1", port), 15) as proc:
        assert proc.alive
        pid = proc.pid
    assert not proc.alive
    assert _group_members(pid) == []


def test_stop_reaches_children_that_ignore_sigterm(tmp_path):
    marker = tmp_path / "started"
    script = f"trap '' TERM; sleep 300 & touch {marker}; wait"
    proc = ManagedProcess("stubborn", ["sh", "-c", script], log_path=tmp_path / "s.log").start(marker.exists, 10)
    pgid = proc.pid
    assert len(_group_members(pgid)) >= 2
    proc.stop(grace=0.5)
    assert wait_until(lambda: _group_members(pgid) == [], 5)


def test_default_log_file_is_created_and_kept(tmp_path):
    proc = ManagedProcess("echo", ["sh", "-c", "echo from-the-server; sleep 300"])
    try:
        proc.start(lambda: "from-the-server" in proc.log_tail(), 10)
    finally:
        proc.stop()
        proc.log_path.unlink()


def test_exit_before_ready_raises_with_log(tmp_path):
    proc = ManagedProcess("failing", ["sh", "-c", "echo boom-from-the-log; exit 3"], log_path=tmp_path / "f.log")
    with pytest.raises(RuntimeError, match="boom-from-the-log"):
        proc.start(lambda: False, 10)
    assert proc.returncode == 3


def test_not_ready_in_time_raises_and_stops(tmp_path):
    proc = ManagedProcess("sleeper", ["sleep", "300"], log_path=tmp_path / "sleeper.log")
    with pytest.raises(TimeoutError):
        proc.start(lambda: False, 0.5)
    assert not proc.alive


def test_environment_is_laid_over_os_environ(tmp_path):
    out = tmp_path / "env.txt"
    script = f'echo "$WBINSTALL_X $HOME" > {out}; sleep 300'
    proc = ManagedProcess("env", ["sh", "-c", script], env={"WBINSTALL_X": "42"}, log_path=tmp_path / "env.log")
    proc.start(lambda: out.exists() and out.read_text().strip() != "", 10)
    proc.stop()
    assert out.read_text().split() == ["42", os.environ["HOME"]]
