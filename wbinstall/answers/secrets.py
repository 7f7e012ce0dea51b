"""Secret references in answers: ``{env: VAR}``, ``{file: PATH}`` or (discouraged) a literal.

A resolved value lives only in memory and is never logged, printed or written back out: the
answers file keeps the reference, and rendered manifests carry values only in Secret objects.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PrivateAttr, WithJsonSchema, model_validator

from wbinstall.answers.files import FileError, FilePath, read_text, resolve


class SecretError(ValueError):
    """A secret reference that cannot be resolved (missing variable, unreadable file)."""


class SecretRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    env: str | None = None
    file: FilePath | None = None
    _literal: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        if self._literal is None and (self.env is None) == (self.file is None):
            raise ValueError("give exactly one of env: VARIABLE or file: PATH")
        if self.env is not None and not self.env.strip():
            raise ValueError("env: needs a variable name")
        if self.file is not None and not self.file.strip():
            raise ValueError("file: needs a path")
        return self

    @classmethod
    def literal(cls, value: str) -> SecretRef:
        ref = cls.model_construct(env=None, file=None)
        ref._literal = value
        return ref

    @property
    def is_literal(self) -> bool:
        return self._literal is not None

    def describe(self) -> str:
        """Where the value comes from, safe to show."""
        if self.env is not None:
            return f"environment variable {self.env}"
        if self.file is not None:
            return f"file {self.file}"
        return "a literal value in the answers file"

    def resolve(self, base_dir: Path, environ: Mapping[str, str] | None = None) -> str:
        """The secret's value. Relative file paths are relative to the answers file."""
        if self._literal is not None:
            return self._literal
        if self.env is not None:
            value = (os.environ if environ is None else environ).get(self.env)
            if value is None:
                raise SecretError(f"environment variable {self.env} is not set")
            if not value:
                raise SecretError(f"environment variable {self.env} is empty")
            return value
        try:
            value = read_text(resolve(self.file, base_dir))
        except FileError as exc:
            raise SecretError(str(exc)) from None
        # Files written by editors and `echo` end in a newline that is not part of the secret.
        value = value.rstrip("\r\n")
        if not value:
            raise SecretError(f"{path} is empty")
        return value

    def __repr__(self) -> str:  # never the value
        return f"SecretRef({self.describe()})"

    __str__ = __repr__


def _coerce(value: Any) -> Any:
    if isinstance(value, str):
        return SecretRef.literal(value)
    return value


_SCHEMA = {
    "description": "A secret: {env: VARIABLE} or {file: PATH}; a literal string works but is discouraged.",
    "oneOf": [
        {"type": "object", "properties": {"env": {"type": "string"}}, "required": ["env"], "additionalProperties": False},
        {"type": "object", "properties": {"file": {"type": "string"}}, "required": ["file"], "additionalProperties": False},
        {"type": "string"},
    ],
}

Secret = Annotated[SecretRef, BeforeValidator(_coerce), WithJsonSchema(_SCHEMA)]
