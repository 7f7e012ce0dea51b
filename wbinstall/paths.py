"""Where wbinstall keeps its own files: the XDG state directory (progress, logs)."""

from __future__ import annotations

import os
from pathlib import Path


def state_dir() -> Path:
    from platformdirs import user_state_path

    path = Path(os.environ.get("WBINSTALL_STATE_DIR") or user_state_path("wbinstall"))
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def log_file() -> Path:
    return state_dir() / "wbinstall.log"
