"""Questions about the Answers model's shape: which keys a section allows, where secrets sit."""

from __future__ import annotations

import types
import typing
from functools import cache

from pydantic import BaseModel

from wbinstall.answers.secrets import SecretRef

Path = tuple[str | int, ...]


def _unwrap(annotation: object) -> list[object]:
    """The concrete types inside Optional / Union / Annotated / list."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _unwrap(arg)]
    if origin is list:
        return _unwrap(typing.get_args(annotation)[0])
    return [annotation]


def _submodel(annotation: object) -> type[BaseModel] | None:
    for t in _unwrap(annotation):
        if isinstance(t, type) and issubclass(t, BaseModel) and t is not SecretRef:
            return t
    return None


def _is_secret(annotation: object) -> bool:
    return any(t is SecretRef for t in _unwrap(annotation))


def _keys(model: type[BaseModel]) -> dict[str, object]:
    return {(info.alias or name): info.annotation for name, info in model.model_fields.items()}


def section_at(model: type[BaseModel], path: Path) -> type[BaseModel] | None:
    """The model class that validates the mapping at `path` (list indexes are stepped over)."""
    current: type[BaseModel] | None = model
    for part in path:
        if current is None:
            return None
        if isinstance(part, int):
            continue
        annotation = _keys(current).get(part)
        if annotation is None:
            return SecretRef if current is not SecretRef and part in ("env", "file") else None
        current = SecretRef if _is_secret(annotation) else _submodel(annotation)
    return current


def allowed_keys(model: type[BaseModel], path: Path) -> list[str]:
    section = section_at(model, path)
    return list(_keys(section)) if section is not None else []


@cache
def secret_paths(model: type[BaseModel]) -> tuple[Path, ...]:
    """Every path whose value is a secret, e.g. ("mysql", "password")."""
    found: list[Path] = []

    def walk(m: type[BaseModel], prefix: Path) -> None:
        for key, annotation in _keys(m).items():
            if _is_secret(annotation):
                found.append((*prefix, key))
            elif (sub := _submodel(annotation)) is not None and typing.get_origin(annotation) is not list:
                walk(sub, (*prefix, key))

    walk(model, ())
    return tuple(found)


def dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out
