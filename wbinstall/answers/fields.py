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


def value_at(answers: BaseModel, path: Path) -> object:
    """The value at a YAML key path of a model instance (None where a section is unset)."""
    value: object = answers
    for key in path:
        if not isinstance(value, BaseModel):
            return None
        value = next((getattr(value, name) for name, info in type(value).model_fields.items()
                      if (info.alias or name) == key), None)
        if value is None:
            return None
    return value


def given_secrets(answers: BaseModel) -> tuple[Path, ...]:
    """The secret paths these answers set (the optional bucket keys only when given)."""
    return tuple(p for p in secret_paths(type(answers)) if value_at(answers, p) is not None)


def secret_env_names(answers: BaseModel) -> tuple[str, ...]:
    """The environment variables these answers read secrets from (`{env: VARIABLE}`): a
    process wbinstall starts (a kubeconfig's exec plugin) is not given them."""
    refs = (value_at(answers, p) for p in given_secrets(answers))
    return tuple(sorted({env for ref in refs if isinstance(env := getattr(ref, "env", None), str) and env}))


def _is_path(annotation: object, metadata: list[object] = ()) -> bool:
    from wbinstall.answers.files import PATH

    if PATH in metadata:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return PATH in typing.get_args(annotation)[1:] or _is_path(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(_is_path(arg) for arg in typing.get_args(annotation))
    return False


@cache
def path_fields(model: type[BaseModel]) -> tuple[Path, ...]:
    """Every path whose value names a file, secrets' `file` included, e.g. ("ingress", "certFile")."""
    found: list[Path] = []

    def walk(m: type[BaseModel], prefix: Path) -> None:
        for name, info in m.model_fields.items():
            key = info.alias or name
            if _is_path(info.annotation, info.metadata):
                found.append((*prefix, key))
            elif _is_secret(info.annotation):
                walk(SecretRef, (*prefix, key))
            elif (sub := _submodel(info.annotation)) is not None and typing.get_origin(info.annotation) is not list:
                walk(sub, (*prefix, key))

    walk(model, ())
    return tuple(found)
