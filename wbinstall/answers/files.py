"""Answers that name a file (a kubeconfig, a certificate, a secret's `file:`): the one rule for
where they point, and the one way to read them. `~` is the user's home; a relative path is
relative to the answers file. A file is read only when it is a regular file, and only up to a
bound: a FIFO, a device or /dev/zero is refused at once, never waited on or read forever.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator

MAX_PATH, MAX_NAME = 4096, 255     # Linux PATH_MAX and NAME_MAX
MAX_BYTES = 1024 * 1024            # a secret, a certificate chain, a kubeconfig: far less


class FileError(OSError):
    """A file the answers name that cannot be used; the message says why, in the user's terms."""


class _PathMarker:
    """Metadata that marks a field as a file path (wbinstall.answers.fields.path_fields)."""

    def __repr__(self) -> str:
        return "FilePath"


def _path(value: str) -> str:
    if "\0" in value:
        raise ValueError("a path cannot hold a NUL byte")
    if len(value.encode()) > MAX_PATH or any(len(part.encode()) > MAX_NAME for part in value.split("/")):
        raise ValueError(f"a path longer than the file system allows ({MAX_NAME} bytes a name, {MAX_PATH} in all)")
    return value


PATH = _PathMarker()
FilePath = Annotated[str, AfterValidator(_path), PATH]


def resolve(value: str, base_dir: Path | None) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() or base_dir is None else base_dir / p


def read_bytes(path: Path, limit: int = MAX_BYTES, shown: str | None = None) -> bytes:
    """At most `limit` bytes of a regular file; FileError for anything else (named as `shown`)."""
    shown = shown or str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO opens at once instead of waiting for a writer
    except OSError as exc:
        raise FileError(f"cannot read {shown}: {exc.strerror or exc}") from None
    try:
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
    except OSError:
        regular = False
    if not regular:  # before fdopen, which refuses a directory with an error of its own
        os.close(fd)
        raise FileError(f"{shown} is not a regular file")
    with os.fdopen(fd, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise FileError(f"{shown} is larger than {limit // 1024} KiB")
    return data


def read_text(path: Path, limit: int = MAX_BYTES, shown: str | None = None) -> str:
    try:
        return read_bytes(path, limit, shown).decode("utf-8")
    except UnicodeDecodeError:
        raise FileError(f"{shown or path} is not UTF-8 text") from None
