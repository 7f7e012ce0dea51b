"""Where the demo sandbox's servers write: each to its own file in the run directory, never to
the terminal the wizard draws on.

    with ServerLogs(run_dir / "logs") as logs:
        logs.say("sandbox: starting ...")          # the sandbox's own status lines
        ...                                        # servers start and run: nothing reaches the terminal
        subprocess.call(wizard, stdout=logs.terminal_out, stderr=logs.terminal_err)

Python logging from each server goes to `<server>.log` by logger name (SERVER_LOGGERS), and so
do exceptions in its threads (by thread name) and in its asyncio loop (the servers log those
themselves). Anything else this process writes to stdout or stderr — a library's print, a
traceback from a thread nobody named, `socketserver`'s handle_error — lands in `sandbox.log`:
while the block runs, file descriptors 1 and 2 point there. The wizard is given the terminal.
The Kubernetes binaries already write their own files (`<workdir>/logs/<name>.log`).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from pathlib import Path
from typing import TextIO

# server -> the loggers whose records go to <server>.log
SERVER_LOGGERS: dict[str, tuple[str, ...]] = {
    "mysql": ("sandbox.mysql", "mysql_mimic"),
    "s3": ("sandbox.s3", "moto", "werkzeug", "botocore", "boto3"),
    "dns": ("sandbox.dns",),
    "tls": ("sandbox.tls",),
    "wandb": ("sandbox.wandb_backend",),  # the stand-in W&B backend behind Traefik
    "kube": ("sandbox.kube", "kubernetes", "urllib3"),  # the stand-ins and their API client
}
# thread name prefix -> the logger an uncaught exception in that thread goes to
THREAD_LOGGERS: dict[str, str] = {
    "mysql-mimic": "sandbox.mysql",
    "minio-like": "sandbox.s3",
    "dns-": "sandbox.dns",
    "tls-": "sandbox.tls",
    "wandb-backend": "sandbox.wandb_backend",
    "sandbox-": "sandbox.kube",  # PollingController threads: sandbox-<stand-in name>
}
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"


def thread_logger(thread_name: str) -> logging.Logger:
    for prefix, name in THREAD_LOGGERS.items():
        if thread_name.startswith(prefix):
            return logging.getLogger(name)
    return logging.getLogger("sandbox")


class ServerLogs:
    """Routes the servers' output to files under `directory` for the duration of a `with`."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.terminal_out: int | None = None  # file descriptors of the terminal, for the wizard
        self.terminal_err: int | None = None
        self._status: TextIO | None = None
        self._handlers: list[tuple[logging.Logger, logging.Handler, bool]] = []
        self._saved_hooks: tuple = ()

    def path(self, server: str) -> Path:
        return self.directory / f"{server}.log"

    def say(self, message: str) -> None:
        """One status line of the sandbox's own, on the terminal."""
        stream = self._status or sys.stderr
        print(message, file=stream, flush=True)

    def __enter__(self) -> ServerLogs:
        self.directory.mkdir(parents=True, exist_ok=True)
        formatter = logging.Formatter(FORMAT)
        for server, names in SERVER_LOGGERS.items():
            handler = logging.FileHandler(self.path(server), mode="w", encoding="utf-8")  # this run's only
            handler.setFormatter(formatter)
            for name in names:
                logger = logging.getLogger(name)
                self._handlers.append((logger, handler, logger.propagate))
                logger.addHandler(handler)
                logger.propagate = False
                if name.startswith("sandbox.") and logger.level == logging.NOTSET:
                    logger.setLevel(logging.INFO)
        root = logging.getLogger()
        catch_all = logging.FileHandler(self.path("sandbox"), mode="w", encoding="utf-8")
        catch_all.setFormatter(formatter)
        root.addHandler(catch_all)
        self._handlers.append((root, catch_all, root.propagate))
        logging.captureWarnings(True)

        self._saved_hooks = (threading.excepthook, sys.unraisablehook)
        threading.excepthook = _log_thread_exception

        # Everything else written to fd 1 and 2 from here on goes to sandbox.log.
        sys.stdout.flush()
        sys.stderr.flush()
        self.terminal_out, self.terminal_err = os.dup(1), os.dup(2)
        self._status = os.fdopen(os.dup(self.terminal_err), "w", buffering=1, encoding="utf-8")
        fd = os.open(self.path("sandbox"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        return self

    def __exit__(self, *exc_info) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        if self.terminal_out is not None:
            os.dup2(self.terminal_out, 1)
            os.dup2(self.terminal_err, 2)
            os.close(self.terminal_out)
            os.close(self.terminal_err)
            self.terminal_out = self.terminal_err = None
        if self._status is not None:
            self._status.close()
            self._status = None
        threading.excepthook, sys.unraisablehook = self._saved_hooks or (threading.excepthook, sys.unraisablehook)
        logging.captureWarnings(False)
        for logger, handler, propagate in reversed(self._handlers):
            logger.removeHandler(handler)
            logger.propagate = propagate
            handler.close()
        self._handlers.clear()


def _log_thread_exception(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    thread_logger(name).error("uncaught exception in thread %s", name,
                              exc_info=(args.exc_type, args.exc_value, args.exc_traceback))
