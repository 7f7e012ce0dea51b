"""Bucket CORS rules evaluated the way S3 does, and what a browser makes of a preflight answer. Pure.

Other providers' matching (providers/azure.py, providers/gcs.py) builds on these pieces.

S3 answers a cross-origin request with the first rule that matches all three of: the Origin
(an AllowedOrigin, which may hold one `*` wildcard), the method (an AllowedMethod, exact), and
every requested header (each matched by an AllowedHeader, case-insensitive, `*` wildcards).
Only that rule's ExposeHeaders are sent back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from wbinstall.checks.storage.facts import CorsRule, HttpExchange


def _wildcard(pattern: str, value: str, *, ignore_case: bool) -> bool:
    flags = re.IGNORECASE if ignore_case else 0
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, value, flags) is not None


def origin_allowed(rule: CorsRule, origin: str) -> bool:
    return any(_wildcard(p, origin, ignore_case=False) for p in rule.allowed_origins)


def method_allowed(rule: CorsRule, method: str) -> bool:
    return method in rule.allowed_methods


def headers_allowed(rule: CorsRule, headers: Iterable[str]) -> bool:
    return all(any(_wildcard(p, h, ignore_case=True) for p in rule.allowed_headers) for h in headers)


def matching_rule(rules: Iterable[CorsRule], origin: str, method: str, headers: Iterable[str] = ()) -> CorsRule | None:
    """The rule S3 would apply to this request, or None when the request is refused."""
    headers = tuple(headers)
    for rule in rules:
        if origin_allowed(rule, origin) and method_allowed(rule, method) and headers_allowed(rule, headers):
            return rule
    return None


def exposes(rule: CorsRule, header: str) -> bool:
    """Header names compare case-insensitively; a `*` exposes every header to requests
    without credentials, which is how W&B uses presigned URLs."""
    return any(h == "*" or h.lower() == header.lower() for h in rule.expose_headers)


def header_list(value: str | None) -> tuple[str, ...]:
    """A comma-separated Access-Control-* header value as its items."""
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


# What W&B's browser uploads ask for: Content-Type (application/octet-stream) is not a
# CORS-safelisted header value, so a PUT needs a preflight and a rule allowing that header.
UPLOAD_HEADERS = ("content-type",)
# Methods a browser sends without needing them listed in a preflight answer (Fetch standard).
SAFELISTED_METHODS = ("GET", "HEAD", "POST")


def requested_headers(method: str) -> tuple[str, ...]:
    """The headers a W&B request with `method` asks to send: uploads carry Content-Type,
    downloads (GET, HEAD) no header that needs allowing."""
    return () if method in SAFELISTED_METHODS else UPLOAD_HEADERS


def preflight_refusal(exchange: HttpExchange, origin: str, method: str,
                      requested: Callable[[str], tuple[str, ...]] = requested_headers) -> str | None:
    """Why a browser would refuse this preflight answer, or None when it would go ahead.
    `requested` gives the headers the request asked for (the provider's upload headers)."""
    if exchange.failure is not None:
        return f"no answer: {exchange.failure.describe()}"
    if not 200 <= (exchange.status or 0) < 300:
        code = f" {exchange.error_code}" if exchange.error_code else ""
        return f"HTTP {exchange.status}{code}"
    allow_origin = exchange.header("Access-Control-Allow-Origin")
    if not allow_origin:
        return "no Access-Control-Allow-Origin header"
    if allow_origin not in ("*", origin):
        return f"Access-Control-Allow-Origin is {allow_origin}, not {origin}"
    methods = header_list(exchange.header("Access-Control-Allow-Methods"))
    if method not in SAFELISTED_METHODS and method not in methods and "*" not in methods:
        return f"Access-Control-Allow-Methods ({', '.join(methods) or 'none'}) does not include {method}"
    allowed = {h.lower() for h in header_list(exchange.header("Access-Control-Allow-Headers"))}
    missing = [h for h in requested(method) if h.lower() not in allowed and "*" not in allowed]
    if missing:
        return f"Access-Control-Allow-Headers does not include {', '.join(missing)}"
    return None


def exposed_in(exchange: HttpExchange, header: str) -> bool:
    exposed = header_list(exchange.header("Access-Control-Expose-Headers"))
    return any(h == "*" or h.lower() == header.lower() for h in exposed)
