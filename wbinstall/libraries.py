"""The libraries wbinstall loads on first use, imported one thread at a time.

Two threads importing a package such as kubernetes for the first time at once can deadlock
CPython's module locks (_DeadlockError: seen as a probe's "the check itself failed"). So
every thread that may be first to need one (the engine before its probe threads, each
background run of the wizard) calls `load` first; the lock makes those first imports take
turns, and once a library is in sys.modules `load` costs nothing.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Iterable

_lock = threading.Lock()


def load(modules: Iterable[str]) -> None:
    """Import each module not imported yet. One that fails is left for its user to report."""
    wanted = [m for m in sorted(set(modules)) if m not in sys.modules]
    if not wanted:
        return
    with _lock:
        for module in wanted:
            try:
                importlib.import_module(module)
            except Exception:  # noqa: BLE001 - the code that needs it says what is wrong
                pass


def first_use() -> tuple[str, ...]:
    """Every library a probe declares it loads on first use (assets/checks.yaml `imports:`)."""
    from wbinstall import checklist

    return tuple(sorted({m for p in checklist.declared().probes.values() for m in p.imports}))
