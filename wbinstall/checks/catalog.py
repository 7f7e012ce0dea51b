"""Importing this module registers every check (one module per area)."""

from wbinstall.checks import dns, k8s, license, mysql, storage, tls  # noqa: F401
