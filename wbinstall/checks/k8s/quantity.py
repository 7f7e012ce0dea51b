"""Kubernetes resource quantities ("3920m", "15896348Ki", "32Gi", "1e9") as numbers. Pure.

Written here rather than borrowed from `kubernetes.utils` so that the wizard's Sizing screen
can compare nodes without importing the kubernetes client.
"""

from __future__ import annotations

import re

_SUFFIX = {
    "n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1.0,
    "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
    "Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40, "Pi": 2.0**50, "Ei": 2.0**60,
}
_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$")

GIB = 2.0**30


def parse_quantity(text: str | int | float) -> float:
    """The quantity's value in base units (cores, bytes). Raises ValueError if malformed."""
    if isinstance(text, (int, float)):
        return float(text)
    m = _QUANTITY.match(text.strip())
    if not m:
        raise ValueError(f"not a Kubernetes quantity: {text!r}")
    number, exponent, suffix = m.groups()
    if exponent:
        return float(number + exponent)
    return float(number) * _SUFFIX[suffix or ""]
