"""Test licenses: JWT-shaped like a W&B license, signed with a throwaway key (a fake: W&B's
real licenses are signed by W&B, which wbinstall reads but never verifies)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_license(expires: dt.datetime | None, **claims: object) -> str:
    """A JWT whose payload has `exp` = expires (None: no exp claim) plus any other claims."""
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"iss": "wbinstall-sandbox", "sub": "sandbox-customer", "maxUsers": 10, **claims}
    if expires is not None:
        payload["exp"] = int(expires.timestamp())
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    signature = hmac.new(secrets.token_bytes(32), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def valid_license(days: int = 365) -> str:
    return make_license(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days))
