"""Shared helpers for sandbox servers: free loopback ports and subprocesses that never outlive us.

    proc = ManagedProcess("mariadb", ["mariadbd", ...], log_path=tmp / "mariadb.log")
    proc.start(ready=tcp_ready("127.0.0.1", port), timeout=30)
    ...
    proc.stop()

or as a context manager (`with ManagedProcess(...).start(ready) as proc:`). Every started process
is registered for an atexit stop, so an interrupted test run leaves nothing behind.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

LOOPBACK = "127.0.0.1"


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that is free on `host` right now (for servers that cannot bind port 0 themselves)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def tcp_ready(host: str, port: int) -> Callable[[], bool]:
    """A readiness probe: true once something accepts TCP connections on host:port."""

    def probe() -> bool:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            return False

    return probe


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Polls `predicate` until it returns true (-> True) or `timeout` seconds pass (-> False).

    An exception from the predicate counts as "not yet"."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if predicate():
                return True
        except Exception:  # noqa: BLE001 - a probe failing just means "not ready"
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


class ManagedProcess:
    """A server subprocess in its own session (process group), with output to a log file.

    Args:
        name: short label used in errors and in the default log file name.
        argv: the command line.
        env: extra environment variables, laid over os.environ.
        cwd: working directory.
        log_path: file for stdout+stderr (a file, not a pipe, so a chatty server never blocks);
            default: a new file in the temp directory.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike | None = None,
        log_path: str | os.PathLike | None = None,
    ) -> None:
        self.name = name
        self.argv = [str(a) for a in argv]
        self.env = dict(env or {})
        self.cwd = cwd
        self.log_path = Path(log_path) if log_path else None
        self._proc: subprocess.Popen | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return self._proc.poll() if self._proc else None

    def start(self, ready: Callable[[], bool] | None = None, timeout: float = 30.0) -> ManagedProcess:
        """Starts the process and waits until `ready()` is true.

        Raises RuntimeError (with the log's tail) if the process exits first, TimeoutError if it
        is not ready within `timeout` seconds; in both cases the process is stopped."""
        if self.alive:
            raise RuntimeError(f"{self.name}: already running")
        # A stopped process may be started again (e.g. an API server restart in a test).
        if self.log_path is None:
            fd, path = tempfile.mkstemp(prefix=f"wbinstall-sandbox-{self.name}-", suffix=".log")
            os.close(fd)
            self.log_path = Path(path)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self.env},
                cwd=self.cwd,
                start_new_session=True,  # own process group: stop() reaches its children too
                preexec_fn=_die_with_parent,
            )
        _register(self)
        probe = ready or (lambda: True)
        if wait_until(lambda: not self.alive or probe(), timeout) and self.alive:
            return self
        exited = not self.alive
        self.stop()
        if exited:
            raise RuntimeError(f"{self.name} exited with {self.returncode} before it was ready:\n{self.log_tail()}")
        raise TimeoutError(f"{self.name} not ready after {timeout:.0f}s:\n{self.log_tail()}")

    def stop(self, grace: float = 5.0) -> int | None:
        """SIGTERM to the whole process group, SIGKILL after `grace` seconds; always reaps.

        Returns the exit code (None if never started). Safe to call more than once."""
        proc = self._proc
        if proc is None:
            return None
        _signal_group(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            _signal_group(proc.pid, signal.SIGKILL)
            proc.wait()
        # Children that ignored SIGTERM while the leader exited still hold the group id.
        _signal_group(proc.pid, signal.SIGKILL)
        _unregister(self)
        return proc.returncode

    def log_tail(self, max_chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-max_chars:] if self.log_path else ""
        except OSError:
            return ""

    def __enter__(self) -> ManagedProcess:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"ManagedProcess({self.name!r}, pid={self.pid}, alive={self.alive})"


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL it when the process that started it dies, so a
    test run killed outright (SIGKILL, a CI timeout) leaves no server behind. atexit covers
    normal exits. Linux only; elsewhere a no-op. (The signal follows the *thread* that
    started the child: start servers from a thread that outlives them, e.g. the main one.)"""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


_running: set[ManagedProcess] = set()
_running_lock = threading.Lock()


def _register(proc: ManagedProcess) -> None:
    with _running_lock:
        _running.add(proc)


def _unregister(proc: ManagedProcess) -> None:
    with _running_lock:
        _running.discard(proc)


@atexit.register
def _stop_all() -> None:
    with _running_lock:
        procs = list(_running)
    for proc in procs:
        proc.stop(grace=2.0)


class ServedInThread:
    """Start/stop/with for a socketserver-style server (`self._server`) run in a thread.

    Subclasses set `self._server`, `self._thread_name` and `_log_name` (the logger a failed
    request's traceback goes to; socketserver would print it on stderr); `stop()` shuts the loop
    down, joins the thread and closes the socket, so nothing is left listening.
    """

    _server: Any
    _thread_name: str = "sandbox-server"
    _log_name: str = "sandbox"
    _thread: threading.Thread | None = None

    def _handle_error(self, request, client_address) -> None:
        logging.getLogger(self._log_name).exception("error serving %s", client_address)

    def start(self):
        self._server.handle_error = self._handle_error
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=self._thread_name, kwargs={"poll_interval": 0.1}
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
