"""Answers -> the Kubernetes objects an install applies, in apply order. Pure: no cluster access."""

from wbinstall.manifests.render import render, to_yaml

__all__ = ["render", "to_yaml"]
