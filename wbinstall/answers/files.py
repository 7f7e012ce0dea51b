"""Answers that name a file (a kubeconfig, a certificate, a secret's `file:`): the one rule for
where they point. `~` is the user's home; a relative path is relative to the answers file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated


class _PathMarker:
    """Metadata that marks a field as a file path (wbinstall.answers.fields.path_fields)."""

    def __repr__(self) -> str:
        return "FilePath"


PATH = _PathMarker()
FilePath = Annotated[str, PATH]


def resolve(value: str, base_dir: Path | None) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() or base_dir is None else base_dir / p
