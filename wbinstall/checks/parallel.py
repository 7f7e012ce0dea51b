"""Calls run side by side in daemon threads, for probes that make many small requests.

Not concurrent.futures: its worker threads are joined when the interpreter exits, so one
request stuck on a silent server would keep `wbinstall check` alive past its deadline after
it has printed its verdict. A probe's calls are bounded by its own deadline; the engine
abandons a late probe, and daemon threads never hold the process up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def run_all(calls: Sequence[Callable[[], T]], workers: int, name: str) -> list[T]:
    """Every call's result, in order; the first call's error (by position) is raised."""
    results: list = [None] * len(calls)
    errors: dict[int, BaseException] = {}
    queue = iter(enumerate(calls))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                item = next(queue, None)
            if item is None:
                return
            index, call = item
            try:
                results[index] = call()
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                errors[index] = exc

    threads = [threading.Thread(target=worker, name=f"{name}-{n}", daemon=True)
               for n in range(max(1, min(workers, len(calls))))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[min(errors)]
    return results
