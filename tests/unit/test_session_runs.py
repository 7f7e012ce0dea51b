"""Background runs, newest wins: what the wizard's steps rely on instead of worker generations."""

from __future__ import annotations

import queue
import threading

from wbinstall.session.runs import RunDone, Runs

WAIT = 10  # seconds: a bound on waiting, never a timing assertion


def collector():
    seen: queue.Queue = queue.Queue()
    return seen, Runs(lambda run_id, event: seen.put((run_id, event)))


def drain(seen: queue.Queue, until=lambda e: isinstance(e, RunDone)) -> list:
    out = []
    while True:
        item = seen.get(timeout=WAIT)
        out.append(item)
        if until(item[1]):
            return out


def test_a_run_reports_its_events_then_what_it_returned():
    seen, runs = collector()
    rid = runs.start(lambda emit, cancel: (emit("a"), emit("b"), 42)[-1])
    assert drain(seen) == [(rid, "a"), (rid, "b"), (rid, RunDone(42))]


def test_a_newer_run_supersedes_and_cancels_the_older_one():
    seen, runs = collector()
    started, release = threading.Event(), threading.Event()
    cancelled = {}

    def old(emit, cancel):
        started.set()
        release.wait(WAIT)
        cancelled["old"] = cancel.is_set()
        emit("late news from the old run")
        return "old"

    runs.start(old)
    started.wait(WAIT)
    new = runs.start(lambda emit, cancel: "new")
    assert drain(seen) == [(new, RunDone("new"))]
    release.set()
    # the old run ends on its own; nothing of it is delivered
    for _ in range(100):
        if "old" in cancelled:
            break
        threading.Event().wait(0.05)
    assert cancelled == {"old": True}
    assert seen.empty()


def test_cancel_asks_the_current_run_to_stop_and_it_still_reports():
    seen, runs = collector()

    def work(emit, cancel):
        cancel.wait(WAIT)
        emit("stopped after 3 of 9 objects")
        return "stopped"

    rid = runs.start(work)
    runs.cancel()
    assert drain(seen) == [(rid, "stopped after 3 of 9 objects"), (rid, RunDone("stopped"))]


def test_an_error_ends_the_run_as_its_last_event_never_raised():
    seen, runs = collector()
    rid = runs.start(lambda emit, cancel: 1 / 0)
    assert drain(seen) == [(rid, RunDone(error="ZeroDivisionError: division by zero"))]


def test_drop_delivers_nothing_more_of_the_current_run():
    seen, runs = collector()
    release = threading.Event()
    ended = threading.Event()

    def work(emit, cancel):
        release.wait(WAIT)
        emit("after drop")
        ended.set()

    runs.start(work)
    runs.drop()
    release.set()
    assert ended.wait(WAIT)
    assert seen.empty()
