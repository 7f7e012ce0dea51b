"""When this process started, on the time.monotonic() clock: a deadline the user gives
(`check --timeout T`) counts from the moment they pressed Enter, not from when Python had
finished importing (a second or more on a loaded machine)."""

from __future__ import annotations

import os
import time

_IMPORTED = time.monotonic()  # the fallback: this module is imported first thing by the CLI


def monotonic_start() -> float:
    """The process's start time as a time.monotonic() value (Linux: from /proc; else import time)."""
    try:
        with open("/proc/self/stat", "rb") as f:
            fields = f.read().rpartition(b")")[2].split()  # after "(comm)", which may hold spaces
        with open("/proc/uptime", "rb") as f:
            uptime = float(f.read().split()[0])
        started_after_boot = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: starttime
        age = uptime - started_after_boot
    except (OSError, ValueError, IndexError):
        return _IMPORTED
    # CLOCK_MONOTONIC and /proc/uptime both count from boot (suspend aside): age is wall-clock age.
    return min(_IMPORTED, time.monotonic() - max(0.0, age))
