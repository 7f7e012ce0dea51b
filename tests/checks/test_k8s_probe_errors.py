"""What the kubernetes client raises -> which Problem the probe records (cases the loopback
sandbox cannot produce: DNS failures, expired certificates, routing errors)."""

from __future__ import annotations

import socket
import ssl

import pytest
from kubernetes.client.rest import ApiException
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError, ProtocolError, ReadTimeoutError

from wbinstall.checks.k8s.probe import classify


def raised(outer_factory, inner: BaseException) -> BaseException:
    """`outer` raised while handling `inner`, then wrapped in urllib3's MaxRetryError, as urllib3 does."""
    try:
        try:
            raise inner
        except BaseException as e:
            raise outer_factory(e) from e
    except BaseException as outer:
        return MaxRetryError(None, "/version/", outer)  # type: ignore[arg-type]


def cert_error(code: int, message: str) -> ssl.SSLCertVerificationError:
    e = ssl.SSLCertVerificationError(1, f"[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: {message} (_ssl.c:1000)")
    e.verify_code, e.verify_message = code, message
    return e


def ssl_wrapped(inner: BaseException) -> BaseException:
    from urllib3.exceptions import SSLError

    return raised(lambda e: SSLError(e), inner)


@pytest.mark.parametrize(("exc", "kind"), [
    (raised(lambda e: NameResolutionError("api.prod.internal", None, e), socket.gaierror(-2, "Name or service not known")), "dns"),
    (raised(lambda e: NewConnectionError(None, f"Failed to establish a new connection: {e}"),
            ConnectionRefusedError(111, "Connection refused")), "refused"),
    (raised(lambda e: NewConnectionError(None, f"Failed to establish a new connection: {e}"),
            OSError(113, "No route to host")), "unreachable"),
    (raised(lambda e: ReadTimeoutError(None, "/version/", "Read timed out. (read timeout=10)"),
            TimeoutError("_ssl.c:989: The handshake operation timed out")), "timeout"),
    (raised(lambda e: ProtocolError("Connection aborted.", e), ConnectionResetError(104, "Connection reset by peer")),
     "unreachable"),
    (ssl_wrapped(cert_error(20, "unable to get local issuer certificate")), "tls-untrusted"),
    (ssl_wrapped(cert_error(18, "self-signed certificate")), "tls-untrusted"),
    (ssl_wrapped(cert_error(19, "self-signed certificate in certificate chain")), "tls-untrusted"),
    (ssl_wrapped(cert_error(62, "Hostname mismatch, certificate is not valid for 'api.example.com'.")), "tls-hostname"),
    (ssl_wrapped(cert_error(64, "IP address mismatch, certificate is not valid for '10.0.0.1'.")), "tls-hostname"),
    (ssl_wrapped(cert_error(10, "certificate has expired")), "tls"),
    (ssl_wrapped(ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1000)")), "tls"),
    (ssl_wrapped(ssl.SSLEOFError(8, "EOF occurred in violation of protocol (_ssl.c:1000)")), "unreachable"),
])
def test_transport_errors_are_classified(exc, kind):
    assert classify(exc).kind == kind


def test_certificate_problem_keeps_openssls_words():
    problem = classify(ssl_wrapped(cert_error(10, "certificate has expired")))
    assert problem.detail == "certificate has expired"


def test_dns_problem_quotes_the_resolver():
    exc = raised(lambda e: NameResolutionError("api.prod.internal", None, e), socket.gaierror(-2, "Name or service not known"))
    assert "Name or service not known" in classify(exc).detail


def api_error(status: int, reason: str, message: str | None) -> ApiException:
    e = ApiException(status=status, reason=reason)
    e.body = (f'{{"kind":"Status","apiVersion":"v1","status":"Failure","message":"{message}","code":{status}}}'
              if message else "")
    return e


@pytest.mark.parametrize(("status", "message", "kind", "detail"), [
    (401, "Unauthorized", "unauthorized", "Unauthorized"),
    (403, 'forbidden: User \\"system:anonymous\\" cannot get path \\"/version\\"', "forbidden",
     'forbidden: User "system:anonymous" cannot get path "/version"'),
    (503, None, "http", "503 Service Unavailable"),
    (404, "the server could not find the requested resource", "http", "the server could not find the requested resource"),
])
def test_api_errors_keep_the_status_and_the_servers_message(status, message, kind, detail):
    problem = classify(api_error(status, {401: "Unauthorized", 403: "Forbidden", 503: "Service Unavailable"}.get(status, "Not Found"), message))
    assert (problem.kind, problem.detail, problem.status) == (kind, detail, status)
