"""One module per storage provider; `get` imports the one the answers name, and only that one.

Adding a provider is one module here (a `Provider` subclass as `PROVIDER`, its client imported
lazily) plus its test server in sandbox/; the judges do not change.
"""

from __future__ import annotations

import importlib

from wbinstall.checks.storage.providers.base import Provider

MODULES = {"s3": "s3", "s3-compatible": "s3", "gcs": "gcs", "azure": "azure"}


def get(provider: str) -> Provider | None:
    module = MODULES.get(provider)
    if module is None:
        return None
    return importlib.import_module(f"{__name__}.{module}").PROVIDER
