"""Health probes for the control-plane processes."""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

from ..procs import ManagedProcess, wait_until


def http_ok(url: str, cafile: str | Path | None = None, insecure: bool = False,
            timeout: float = 2.0) -> bool:
    """True when GET url answers 200 (TLS verified against cafile unless insecure)."""
    ctx = None
    if url.startswith("https"):
        ctx = ssl.create_default_context(cafile=str(cafile) if cafile else None)
        if insecure:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
    # No proxies: everything here is on loopback.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                         urllib.request.HTTPSHandler(context=ctx))
    try:
        with opener.open(url, timeout=timeout) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


def wait_healthy(proc: ManagedProcess, probe: Callable[[], bool], timeout: float) -> None:
    """Wait for `probe()`; fail early, with the log's tail, if the process exits first.
    (Processes are started first and waited for afterwards so they can boot in parallel.)"""
    wait_until(lambda: not proc.alive or probe(), timeout, interval=0.1)
    if not proc.alive:
        raise RuntimeError(f"{proc.name} exited with {proc.returncode}; log "
                           f"{proc.log_path}:\n{proc.log_tail()}")
    if not probe():
        raise TimeoutError(f"{proc.name} not healthy after {timeout:.0f} s; log "
                           f"{proc.log_path}:\n{proc.log_tail()}")
