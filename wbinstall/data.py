"""Read the data files shipped in wbinstall/assets (the top-level assets/ directory)."""

from functools import cache
from importlib import resources
from typing import Any

import yaml


def text(name: str) -> str:
    return resources.files("wbinstall.assets").joinpath(name).read_text(encoding="utf-8")


@cache
def load(name: str) -> Any:
    """One YAML document. Cached: assets never change while wbinstall runs."""
    return yaml.safe_load(text(name))


def load_all(name: str) -> list[Any]:
    """Every document of a multi-document YAML file, freshly parsed (callers mutate them)."""
    return [doc for doc in yaml.safe_load_all(text(name)) if doc is not None]
