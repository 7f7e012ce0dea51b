"""Background runs for a face, newest wins (check runs, a deploy, an attach); no Textual.

    runs = Runs(deliver)     # deliver(run_id, event), called from the run's thread
    runs.start(work)         # work(emit, cancel) -> value in a daemon thread; ends with RunDone
    runs.cancel()            # asks the current run to stop (it still reports)

`start` supersedes the run before it: that run is asked to stop and what it still reports is
dropped. Threads cannot be killed: a superseded run ends at its own deadlines, as a daemon.
Each run first loads the libraries the checks use (wbinstall.libraries), one run at a time:
two runs side by side (a check run, the context list) must not import kubernetes at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wbinstall import libraries

Emit = Callable[[Any], None]
Work = Callable[[Emit, threading.Event], Any]


@dataclass(frozen=True)
class RunDone:
    """The last event of every run: what `work` returned, or the error it raised."""
    value: Any = None
    error: str | None = None


class Runs:
    def __init__(self, deliver: Callable[[int, Any], None]):
        self._deliver = deliver
        self._lock = threading.Lock()
        self.current = 0
        self._cancel = threading.Event()

    def start(self, work: Work, *, name: str = "run") -> int:
        """Start `work` in a daemon thread, superseding the run before it; the new run's id."""
        with self._lock:
            self._cancel.set()
            self.current += 1
            run_id = self.current
            cancel = self._cancel = threading.Event()
        threading.Thread(target=self._run, args=(run_id, work, cancel), name=f"wbinstall-{name}", daemon=True).start()
        return run_id

    def cancel(self) -> None:
        """Ask the current run to stop; it keeps reporting (e.g. what it left applied)."""
        self._cancel.set()

    def drop(self) -> None:
        """Supersede the current run with none: nothing more of it is delivered."""
        with self._lock:
            self._cancel.set()
            self.current += 1

    def _run(self, run_id: int, work: Work, cancel: threading.Event) -> None:
        def emit(event: Any) -> None:
            if run_id == self.current:
                self._deliver(run_id, event)

        try:
            libraries.load(libraries.first_use())
            done = RunDone(work(emit, cancel))
        except Exception as exc:  # noqa: BLE001 - reported to the face as the run's end, never raised
            done = RunDone(error=f"{type(exc).__name__}: {exc}")
        emit(done)
