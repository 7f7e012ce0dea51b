"""Read a W&B license (a signed JWT) without verifying it: its shape and its expiry. Pure.

The signature is W&B's to check (the license server's key is not ours to have); what an
installer can tell is whether the text is a JWT at all, and when it expires. Nothing else of
the license (customer, seats, flags) is read into the facts, so nothing else can be shown.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re

from wbinstall.checks.license.facts import LicenseFacts

_PART = re.compile(r"^[A-Za-z0-9_-]+$")
_NAMES = ("header", "payload", "signature")
_MAX = 64 * 1024  # far beyond any license; keeps the decoding bounded


def read(token: str | None, now: dt.datetime) -> LicenseFacts:
    if token is None or not token.strip():
        return LicenseFacts(now, present=False)
    text = token.strip()
    problem = _shape(text)
    if problem:
        return LicenseFacts(now, present=True, shape_problem=problem)
    payload = json.loads(_decode(text.split(".")[1]))
    if "exp" not in payload:
        return LicenseFacts(now, present=True, expiry_problem="its payload has no expiry (exp claim)")
    exp = payload["exp"]
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        return LicenseFacts(now, present=True, expiry_problem="its expiry (exp claim) is not a number of seconds")
    try:
        expires = dt.datetime.fromtimestamp(exp, dt.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return LicenseFacts(now, present=True, expiry_problem="its expiry (exp claim) is not a date")
    return LicenseFacts(now, present=True, expires=expires)


def _shape(text: str) -> str:
    if len(text) > _MAX:
        return f"it is {len(text):,} characters long, far more than a license"
    if any(c.isspace() for c in text):
        return "it contains spaces or line breaks (a JWT is one line; was it wrapped when copied?)"
    parts = text.split(".")
    if len(parts) != 3:
        return f"a JWT has three parts separated by '.', this has {len(parts)}"
    for name, part in zip(_NAMES, parts):
        if not part:
            return f"its {name} (part {_NAMES.index(name) + 1} of 3) is empty"
        if not _PART.match(part):
            return f"its {name} (part {_NAMES.index(name) + 1} of 3) is not base64url text"
    for name, part in zip(_NAMES[:2], parts[:2]):
        try:
            value = json.loads(_decode(part))
        except (ValueError, UnicodeDecodeError):
            return f"its {name} (part {_NAMES.index(name) + 1} of 3) does not decode to JSON"
        if not isinstance(value, dict):
            return f"its {name} (part {_NAMES.index(name) + 1} of 3) is JSON but not an object"
    return ""


def _decode(part: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc
