"""Plain HTTP requests as a browser or a training host makes them (presigned URLs, preflights).

urllib, so that HTTP(S)_PROXY / NO_PROXY apply exactly as they do to boto3's own calls; redirects
are not followed (a redirect is an answer worth showing). Every failure to get an answer becomes
a Failure, never an exception.
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit, urlunsplit

from wbinstall.checks.storage.facts import CLIENT, TIMEOUT, TLS, UNREACHABLE, Failure, HttpExchange

MAX_BODY = 1 << 20  # the probe reads back a few bytes; cap whatever a misbehaving server sends
_CODE = re.compile(r"<Code>([^<]*)</Code>")
_MESSAGE = re.compile(r"<Message>([^<]*)</Message>")


def without_query(url: str) -> str:
    """The URL without its query string: a presigned URL's query carries the key id and signature."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def classify(exc: BaseException, seconds: float) -> Failure:
    """A failure to get any answer, named the way a user can act on it."""
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        return classify(exc.reason, seconds)
    if isinstance(exc, TimeoutError | socket.timeout):
        return Failure(TIMEOUT, "", seconds=seconds)
    if isinstance(exc, ssl.SSLCertVerificationError):
        # OpenSSL's words: "self-signed certificate", "certificate has expired", "Hostname mismatch, ..."
        return Failure(TLS, f"certificate verify failed: {exc.verify_message or getattr(exc, 'reason', '') or exc}")
    if isinstance(exc, ssl.SSLError):
        return Failure(TLS, getattr(exc, "reason", None) or str(exc))
    if isinstance(exc, socket.gaierror):
        return Failure(UNREACHABLE, f"host name not resolved ({exc.strerror or exc})")
    if isinstance(exc, ConnectionRefusedError):
        return Failure(UNREACHABLE, "connection refused")
    if isinstance(exc, ConnectionResetError | http.client.RemoteDisconnected | http.client.BadStatusLine):
        return Failure(UNREACHABLE, f"the server closed the connection without an HTTP answer ({type(exc).__name__})")
    if isinstance(exc, OSError):
        return Failure(UNREACHABLE, exc.strerror or str(exc))
    return Failure(CLIENT, f"{type(exc).__name__}: {exc}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001 - urllib's signature
        return None  # urllib then raises HTTPError with the 3xx answer


def request(label: str, method: str, url: str, *, timeout: float, context: ssl.SSLContext,
            redact: Callable[[str], str], headers: Mapping[str, str] | None = None,
            body: bytes | None = None) -> tuple[HttpExchange, bytes]:
    """One request; the exchange as seen (secrets redacted) and the response body."""
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), _NoRedirect())
    req = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    shown = without_query(url)
    try:
        with opener.open(req, timeout=timeout) as resp:
            status, got_headers, data = resp.status, resp.headers, resp.read(MAX_BODY)
    except urllib.error.HTTPError as err:
        status, got_headers = err.code, err.headers
        try:
            data = err.read(MAX_BODY)
        except (OSError, http.client.HTTPException):
            data = b""
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return HttpExchange(label, method, shown, failure=_redacted(classify(exc, timeout), redact)), b""

    cors = tuple((k, redact(v)) for k, v in got_headers.items() if k.lower().startswith("access-control-"))
    code, message = ("", "") if 200 <= status < 300 else _error_body(data)
    return HttpExchange(label, method, shown, status, cors, redact(code), redact(message)), data


def _error_body(data: bytes) -> tuple[str, str]:
    text = data.decode("utf-8", "replace")
    code, message = _CODE.search(text), _MESSAGE.search(text)
    if code:
        # Azure appends "RequestId:...\nTime:..." lines to its message: the first line says it.
        text = message.group(1).strip().splitlines()[0].strip() if message and message.group(1).strip() else ""
        return code.group(1).strip(), text
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return "", first[:160]


def _redacted(failure: Failure, redact: Callable[[str], str]) -> Failure:
    return Failure(failure.code, redact(failure.message), failure.http_status, failure.seconds, failure.bucket_region)


def find_cause(exc: BaseException, kinds: tuple[type[BaseException], ...]) -> BaseException | None:
    """The first exception of `kinds` in the chain of causes from `exc` (SDKs wrap the socket or
    ssl error that says what happened a few layers down: urllib3's `reason`, botocore's kwargs)."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kinds):
            return current
        kwargs = getattr(current, "kwargs", None)  # botocore keeps the wrapped error in kwargs["error"]
        for inner in (kwargs.get("error") if isinstance(kwargs, dict) else None,
                      getattr(current, "reason", None), getattr(current, "inner_exception", None),
                      *(a for a in getattr(current, "args", ()) if isinstance(a, BaseException)),
                      current.__cause__, current.__context__):
            if isinstance(inner, BaseException):
                stack.append(inner)
    return None


# Errors under an SDK's connection errors that say what went wrong (classify names them).
TELLING = (ssl.SSLError, ConnectionRefusedError, ConnectionResetError, socket.gaierror, TimeoutError, socket.timeout)

