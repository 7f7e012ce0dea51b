"""The loop shared by the sandbox's stand-in controllers.

Each stand-in re-lists what it cares about every `interval` seconds and makes it right
(level-triggered, like a real controller's resync). Against a local apiserver that is
cheap, and it avoids watch bookkeeping (resource versions, reconnects) in test code.
Runs as a daemon thread (tests) or in the foreground of its own process (demo).
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path

from kubernetes import client

from .client import api_client_from_kubeconfig


class PollingController:
    name = "controller"
    interval = 0.5

    def __init__(self, api: client.ApiClient):
        self.api = api
        self.log = logging.getLogger(f"sandbox.kube.{self.name}")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: Exception | None = None

    def reconcile(self) -> None:
        raise NotImplementedError

    def run_forever(self) -> None:
        while not self._stop.is_set():
            try:
                self.reconcile()
                self.last_error = None
            except Exception as e:  # keep going, like a controller requeueing
                if repr(e) != repr(self.last_error):
                    self.log.warning("%s: reconcile failed: %s", self.name, e)
                self.last_error = e
            self._stop.wait(self.interval)

    def start(self) -> "PollingController":
        self._stop.clear()
        self._thread = threading.Thread(target=self.run_forever, name=f"sandbox-{self.name}",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main_for(make, description: str, argv: list[str] | None = None) -> None:
    """`python -m sandbox.kube.<stand-in> --kubeconfig F [--context C]`: run until SIGTERM/^C.
    `make(api, args)` builds the controller; `add_args(parser)` may be set on `make`."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--kubeconfig", required=True, type=Path)
    parser.add_argument("--context", default=None)
    if hasattr(make, "add_args"):
        make.add_args(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    api = api_client_from_kubeconfig(args.kubeconfig, args.context)
    controller = make(api, args)
    signal.signal(signal.SIGTERM, lambda *_: controller._stop.set())
    controller.log.info("%s running against %s", controller.name, api.configuration.host)
    try:
        controller.run_forever()
    except KeyboardInterrupt:
        pass
