"""Progress that survives a dropped connection: answers (never secrets) in the state directory.

Written after every step as `progress.yaml`, mode 0600; the next start offers to resume.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

FILE = "progress.yaml"


def save(state_dir: Path, step: str, data: dict[str, Any]) -> Path:
    import yaml

    path = state_dir / FILE
    tmp = path.with_suffix(".tmp")
    text = yaml.safe_dump({"step": step, "answers": data}, sort_keys=False)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def load(state_dir: Path) -> tuple[str, dict[str, Any]] | None:
    if not (state_dir / FILE).is_file():
        return None
    import yaml

    try:
        raw = yaml.safe_load((state_dir / FILE).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("answers"), dict) or not isinstance(raw.get("step"), str):
        return None
    return raw["step"], raw["answers"]


def clear(state_dir: Path) -> None:
    (state_dir / FILE).unlink(missing_ok=True)
