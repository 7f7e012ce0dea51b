"""Importing this module registers every check (one module per area)."""

from wbinstall.checks import dns, k8s, mysql, storage, tls  # noqa: F401
