"""Where wbinstall keeps its own files: the XDG state directory (progress, logs)."""

from __future__ import annotations

import os
from pathlib import Path

from wbinstall import redact


def state_dir() -> Path:
    from platformdirs import user_state_path

    path = Path(os.environ.get("WBINSTALL_STATE_DIR") or user_state_path("wbinstall"))
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def log_file() -> Path:
    return state_dir() / "wbinstall.log"


def append_to_log(detail: str) -> str:
    """Append `detail` (a traceback), every secret this process resolved taken out, to the log
    file; says where it went, for the one line the user sees."""
    detail = redact.for_the_log(detail)
    try:
        log = log_file()
        with log.open("a", encoding="utf-8") as f:
            f.write(detail if detail.endswith("\n") else detail + "\n")
        return f"details in {log}"
    except OSError:
        return "no log file could be written"
