"""A dropped SSH session (SIGHUP) or a polite `kill` (SIGTERM) ends wbinstall the way Ctrl-C
does, not the way kill -9 does: the install Lease is released at once (another install need
not wait out its 30 s), the wizard's progress is saved for the next start.

    interrupts()                  # the CLI: SIGHUP / SIGTERM raise KeyboardInterrupt (exit 130)
    with hangups(save, quit):     # the wizard (screens/app.py): save(), release the Lease, then out
        app.run()
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from wbinstall import exitcodes

SIGNALS = tuple(s for s in (getattr(signal, "SIGHUP", None), signal.SIGTERM) if s is not None)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def interrupts() -> None:
    """SIGHUP and SIGTERM become KeyboardInterrupt in the main thread, so that the `finally`
    blocks that release the install lock run, as they do on Ctrl-C."""
    if not _main_thread():
        return

    def raise_interrupt(signum, frame):
        raise KeyboardInterrupt

    for s in SIGNALS:
        signal.signal(s, raise_interrupt)


@contextmanager
def hangups(save: Callable[[], None], quit: Callable[[], None]) -> Iterator[None]:
    """While the wizard runs: on SIGHUP, save() and release every Lease this process holds,
    then end at once (the terminal is gone: nothing to restore, nobody to tell); on SIGTERM the
    same, then quit() so that the terminal is restored."""
    from wbinstall.apply.lock import release_all

    if not _main_thread():
        yield
        return

    def handler(signum, frame):
        for step in (save, release_all):
            try:
                step()
            except Exception:  # noqa: BLE001 - each is best effort; the rest must still run
                pass
        if signum == getattr(signal, "SIGHUP", None):
            os._exit(exitcodes.INTERRUPTED)
        quit()

    before = {s: signal.signal(s, handler) for s in SIGNALS}
    try:
        yield
    finally:
        for s, h in before.items():
            signal.signal(s, h)
