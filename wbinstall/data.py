"""Read the data files shipped in wbinstall/assets (the top-level assets/ directory)."""

from functools import cache
from importlib import resources
from typing import Any

import yaml


def text(name: str) -> str:
    return resources.files("wbinstall.assets").joinpath(name).read_text(encoding="utf-8")


# libyaml's loader when PyYAML has it: several times faster, and the first screen reads assets.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def load(name: str) -> Any:
    """One YAML document. Cached: assets never change while wbinstall runs."""
    return yaml.load(text(name), Loader=_Loader)  # noqa: S506 - a safe loader, for our own files


def load_all(name: str) -> list[Any]:
    """Every document of a multi-document YAML file, freshly parsed (callers mutate them)."""
    return [doc for doc in yaml.load_all(text(name), Loader=_Loader) if doc is not None]  # noqa: S506
