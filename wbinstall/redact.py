"""The secret values this process holds, and the one way to take them out of a text.

Every resolved secret (answers.loader.Secrets) is remembered here, so that a text written
where someone may read it later (a traceback in the log file) is cleared of them even when
the code that writes it never saw the Secrets: the command line's last line of defence, the
wizard's crash handler.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

# A shorter value would blank out ordinary words all over a traceback, and a secret that short
# protects nothing anyway.
SHORTEST = 4
MARK = "<redacted>"

_known: set[str] = set()
_lock = threading.Lock()


def remember(values: Iterable[str]) -> None:
    with _lock:
        _known.update(v for v in values if isinstance(v, str) and len(v) >= SHORTEST)


def without(text: str, values: Iterable[str]) -> str:
    """`text` without any of `values` (a check's result: the secrets of its own run)."""
    for value in sorted({v for v in values if len(v) >= SHORTEST}, key=len, reverse=True):
        text = text.replace(value, MARK)  # longest first: a secret holding a shorter one goes whole
    return text


def for_the_log(text: str) -> str:
    """`text` without any secret this process has resolved: for the log file, which outlives
    the run (a result shows only its own run's secrets, or a value that was once a secret,
    say "wandb", would blank every later mention)."""
    with _lock:
        known = set(_known)
    return without(text, known)
