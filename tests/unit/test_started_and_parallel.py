"""wbinstall.started (the process's start on the monotonic clock, so `check --timeout T` counts
start-up) and wbinstall.checks.parallel (probe calls in daemon threads)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest

from wbinstall.checks.parallel import run_all


def test_the_start_counts_what_happened_before_wbinstall_was_imported():
    code = textwrap.dedent("""\
        import time
        time.sleep(1.0)                       # start-up: imports, a slow disk
        before = time.monotonic()
        from wbinstall.started import monotonic_start
        print(before - monotonic_start())
    """)
    age = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert age >= 1.0  # measured from exec, not from the import


def test_calls_run_side_by_side_and_keep_their_order():
    both = threading.Barrier(2, timeout=10)  # each call waits for the other: only side by side can they end

    def call(n):
        return lambda: (both.wait(), n)[1]

    assert run_all([call(1), call(2)], 2, "t") == [1, 2]


def test_the_first_error_by_position_is_raised():
    def boom(n):
        def call():
            raise ValueError(n)
        return call

    with pytest.raises(ValueError, match="1"):
        run_all([lambda: 0, boom(1), boom(2)], 3, "t")


def test_its_threads_are_daemons():
    seen = []
    run_all([lambda: seen.append(threading.current_thread().daemon)] * 3, 2, "t")
    assert seen == [True, True, True]
