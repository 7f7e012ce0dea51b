"""Answers -> the YAML text `--answers` reads. Secrets are written as references, never values.

A secret typed into the wizard lives in memory only; what is saved is where it will come from
({env: VAR} or {file: PATH}). A literal secret (discouraged, but loadable) is refused here
rather than written back out.
"""

from __future__ import annotations

from typing import Any

from wbinstall.answers import yamlread
from wbinstall.answers.model import Answers
from wbinstall.answers.secrets import SecretRef


class LiteralSecretError(ValueError):
    """An answer holds a literal secret value, which is never written to a file."""


def to_data(answers: Answers, *, omit_literals: bool = False) -> dict[str, Any]:
    """The answers as YAML-shaped data (aliases as keys), defaults left out, secrets as refs.

    A literal secret raises LiteralSecretError, or with omit_literals is left out (the wizard
    then holds the value in memory and asks where it should come from)."""
    return _plain(answers, (), omit_literals)


def dump(answers: Answers) -> str:
    return yamlread.dump(to_data(answers), sort_keys=False, default_flow_style=False, allow_unicode=True)


_OMIT = object()


def _plain(value: Any, path: tuple[str, ...], omit_literals: bool = False) -> Any:
    if isinstance(value, SecretRef):
        if value.is_literal:
            if omit_literals:
                return _OMIT
            raise LiteralSecretError(f"{'.'.join(path)}: a literal secret is not saved; use {{env: VAR}} or {{file: PATH}}")
        return {"env": value.env} if value.env is not None else {"file": value.file}
    if isinstance(value, Answers) or hasattr(value, "model_fields_set"):
        out: dict[str, Any] = {}
        for name, info in type(value).model_fields.items():
            key = info.alias or name
            item = getattr(value, name)
            # Required fields always; optional ones only when set and not the default.
            if name not in value.model_fields_set and not info.is_required():
                if item == info.get_default(call_default_factory=True):
                    continue
            if item is None:
                continue
            plain = _plain(item, (*path, key), omit_literals)
            if plain is _OMIT:
                continue
            if plain in ({}, []) and not info.is_required():
                continue
            out[key] = plain
        return out
    if isinstance(value, (list, tuple)):
        return [_plain(v, path, omit_literals) for v in value]
    return value
