"""The verify probes. All I/O; every wait bounded by the probe's deadline.

    gather_installed  installed  the WeightsAndBiases resource's phase, the IngressClass's
                                 controller, the certificate in the TLS Secret W&B's Ingress names
    gather_web        web        GET /, GET the health endpoint, POST a 10 MB body: through the
                                 ingress, as a user's browser or the wandb client reaches it

`web` connects where the TLS check does (checks.tls.address, else the host on 443), with the
host as SNI and Host header. It trusts what the TLS check trusts (the system store, plus
checks.tls.caBundle); when that refuses the certificate it still sends its requests, without
verification, so that verify.app and verify.upload say what the app does while verify.tls says
what is wrong with the certificate.
"""

from __future__ import annotations

import base64
import http.client
import select
import socket
import ssl
import time
from typing import Any

from wbinstall.checks.context import ProbeContext
from wbinstall.checks.verify.facts import Exchange, InstalledFacts, SecretCert, Trouble, WebFacts

HEALTH_PATH = "/healthz"  # W&B server's health endpoint (200 once the app serves)
UPLOAD_PATH = "/"
UPLOAD_BYTES = 10 * 1000 * 1000  # 10 MB: ten times nginx's default client_max_body_size (1m)
_CHUNK = 256 * 1024
_BODY_EXCERPT = 200


# ----- installed -----------------------------------------------------------------------------

def gather_installed(ctx: ProbeContext) -> InstalledFacts:
    from wbinstall.checks.k8s.probe import _client, _NoClient
    from wbinstall.installed_names import resource_name, tls_secret_name

    answers = ctx.answers
    namespace, resource = answers.kubernetes.namespace, resource_name()
    base: dict[str, Any] = {"namespace": namespace, "resource": resource,
                            "ingress_class": answers.ingress.class_ or ""}
    try:
        with _client(ctx) as (_, api):
            from wbinstall.kube import Kube

            kube = Kube(api)
            try:
                cr = _get(kube, ctx, f"/apis/apps.wandb.com/v1/namespaces/{namespace}/weightsandbiases/{resource}")
            except Exception as exc:  # noqa: BLE001 - classified into the facts
                return InstalledFacts(**base, trouble=_trouble(exc))
            phase = str(((cr or {}).get("status") or {}).get("phase") or "")
            controller = _controller(kube, ctx, base["ingress_class"])
            secret = tls_secret_name(answers)
            tls = _secret_cert(kube, ctx, namespace, secret) if secret else None
            return InstalledFacts(**base, found=cr is not None, phase=phase, ingress_controller=controller, tls=tls)
    except _NoClient as exc:
        return InstalledFacts(**base, trouble=Trouble("kubeconfig", exc.problem.detail))


def _get(kube: Any, ctx: ProbeContext, path: str) -> dict | None:
    from wbinstall.kube import KubeError

    try:
        return kube.request("GET", path, timeout=ctx.remaining())
    except KubeError as exc:
        if exc.status == 404:
            return None
        raise


def _controller(kube: Any, ctx: ProbeContext, class_name: str) -> str:
    """The spec.controller of the class W&B's Ingress uses (the default class when unnamed)."""
    try:
        if class_name:
            cls = _get(kube, ctx, f"/apis/networking.k8s.io/v1/ingressclasses/{class_name}")
            return str(((cls or {}).get("spec") or {}).get("controller") or "")
        listing = _get(kube, ctx, "/apis/networking.k8s.io/v1/ingressclasses") or {}
        for cls in listing.get("items") or ():
            notes = (cls.get("metadata") or {}).get("annotations") or {}
            if notes.get("ingressclass.kubernetes.io/is-default-class") == "true":
                return str((cls.get("spec") or {}).get("controller") or "")
    except Exception:  # noqa: BLE001 - only a remedy's wording depends on it
        pass
    return ""


def _secret_cert(kube: Any, ctx: ProbeContext, namespace: str, secret: str) -> SecretCert:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    where = f"{namespace}/{secret}"
    try:
        obj = _get(kube, ctx, f"/api/v1/namespaces/{namespace}/secrets/{secret}")
    except Exception as exc:  # noqa: BLE001 - classified into the facts
        return SecretCert(where, trouble=_trouble(exc))
    if obj is None:
        return SecretCert(where, trouble=Trouble("not-found", f"Secret {where} does not exist"))
    pem = (obj.get("data") or {}).get("tls.crt")
    obj.clear()  # the Secret also holds tls.key: drop it now, nothing below needs it
    try:
        leaf = x509.load_pem_x509_certificates(base64.b64decode(pem or ""))[0]
    except (ValueError, TypeError, IndexError):
        return SecretCert(where, trouble=Trouble("other", f"Secret {where} holds no PEM certificate in tls.crt"))
    try:
        names = tuple(leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
                      .get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        names = ()
    return SecretCert(where, leaf.fingerprint(hashes.SHA256()).hex(), leaf.subject.rfc4514_string(), names)


def _trouble(exc: BaseException) -> Trouble:
    from wbinstall.checks.k8s.probe import classify
    from wbinstall.kube import KubeError

    if isinstance(exc, KubeError):
        kind = {401: "unauthorized", 403: "forbidden"}.get(exc.status, "http")
        return Trouble(kind, f"HTTP {exc.status}: {exc.message}")
    problem = classify(exc)
    return Trouble(problem.kind, problem.detail)


# ----- web -----------------------------------------------------------------------------------

def gather_web(ctx: ProbeContext) -> WebFacts:
    from wbinstall.checks.tls.probe import parse_address

    settings, host = ctx.answers.checks.tls, ctx.answers.host
    try:
        ip, port = parse_address(settings.address, host)
    except ValueError as exc:
        return WebFacts(host, settings.address or "", False, exchanges=(
            Exchange("GET", "/", trouble=Trouble("unreachable", str(exc))),))
    address = f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"
    trusted = ssl.create_default_context()
    if settings.ca_bundle:
        try:
            trusted.load_verify_locations(cafile=str(ctx.path(settings.ca_bundle)))
        except (OSError, ssl.SSLError):
            pass  # tls.certificate and verify.tls name the unreadable bundle
    verified, verify_error, context = True, "", trusted
    try:
        with _connect(ip, port, host, trusted, ctx.remaining(5)):
            pass
    except ssl.SSLCertVerificationError as exc:
        verified, verify_error = False, exc.verify_message or str(exc)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    except OSError:
        pass  # each exchange below says what happened
    exchanges = (_exchange(ctx, ip, port, host, context, "GET", "/"),
                 _exchange(ctx, ip, port, host, context, "GET", HEALTH_PATH),
                 _upload(ctx, ip, port, host, context))
    return WebFacts(host, address, verified, verify_error, exchanges, UPLOAD_BYTES)


def _connect(ip: str, port: int, sni: str, context: ssl.SSLContext, timeout: float) -> ssl.SSLSocket:
    sock = socket.create_connection((ip, port), timeout=timeout)
    try:
        return context.wrap_socket(sock, server_hostname=sni)
    except BaseException:
        sock.close()
        raise


class _Connection(http.client.HTTPSConnection):
    """To IP:PORT, with the W&B host as SNI (the Host header is the caller's)."""

    def __init__(self, ip: str, port: int, sni: str, context: ssl.SSLContext, timeout: float) -> None:
        super().__init__(ip, port, timeout=timeout, context=context)
        self._sni = sni
        self._tls = context

    def connect(self) -> None:
        self.sock = _connect(self.host, self.port, self._sni, self._tls, self.timeout)


def _exchange(ctx: ProbeContext, ip: str, port: int, host: str, context: ssl.SSLContext,
              method: str, path: str) -> Exchange:
    start = time.monotonic()
    conn = _Connection(ip, port, host, context, ctx.remaining(10))
    try:
        conn.request(method, path, headers={"Host": host, "User-Agent": "wbinstall-verify",
                                            "Accept": "text/html,application/json"})
        return _response(conn, method, path, start)
    except Exception as exc:  # noqa: BLE001 - classified into the facts
        return Exchange(method, path, seconds=time.monotonic() - start, trouble=_web_trouble(exc))
    finally:
        conn.close()


def _upload(ctx: ProbeContext, ip: str, port: int, host: str, context: ssl.SSLContext) -> Exchange:
    """POST UPLOAD_BYTES. A proxy that refuses the size answers 413 as soon as it has read the
    headers: the body stops there and the answer is read (rather than writing into a peer that
    no longer reads until the socket's buffers are full). Plain socket I/O, since http.client
    reads no answer before the whole body is written."""
    start, sent, head = time.monotonic(), 0, b""
    try:
        with _connect(ip, port, host, context, ctx.remaining(30)) as tls:
            tls.sendall((f"POST {UPLOAD_PATH} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: wbinstall-verify\r\n"
                         f"Content-Type: application/octet-stream\r\nContent-Length: {UPLOAD_BYTES}\r\n"
                         "Connection: close\r\n\r\n").encode())
            chunk = bytes(_CHUNK)
            try:
                while sent < UPLOAD_BYTES and not (head := _early_answer(tls)):
                    tls.settimeout(ctx.remaining(30))
                    n = min(_CHUNK, UPLOAD_BYTES - sent)
                    tls.sendall(chunk[:n])
                    sent += n
            except OSError:
                pass  # it stopped reading; its answer (413, usually) is read below
            tls.settimeout(ctx.remaining(30))
            return _parse_answer(_read_head(tls, head), "POST", UPLOAD_PATH, sent, time.monotonic() - start)
    except Exception as exc:  # noqa: BLE001 - classified into the facts
        return Exchange("POST", UPLOAD_PATH, sent=sent, seconds=time.monotonic() - start, trouble=_web_trouble(exc))


def _early_answer(tls: ssl.SSLSocket) -> bytes:
    """The first bytes of an answer that came while the body is still being sent, or b"".
    (A readable socket alone proves nothing: TLS 1.3 servers send session tickets.)"""
    if not select.select([tls], [], [], 0)[0] and not tls.pending():
        return b""
    tls.setblocking(False)
    try:
        data = tls.recv(4096)
        if not data:
            raise http.client.RemoteDisconnected("closed")
        return data
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
        return b""
    finally:
        tls.setblocking(True)


def _read_head(tls: ssl.SSLSocket, data: bytes) -> bytes:
    """Read until the end of the answer's headers plus a little of its body."""
    while not _head_and_excerpt(data) and len(data) < 65536:
        try:
            more = tls.recv(4096)
        except OSError:
            if b"\r\n\r\n" in data:
                break  # the headers are what counts; a body cut short is only less evidence
            raise
        if not more:
            break
        data += more
    if not data:
        raise http.client.RemoteDisconnected("closed without an answer")
    return data


def _head_and_excerpt(data: bytes) -> bool:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    length = next((v.strip() for k, _, v in (h.partition(b":") for h in head.split(b"\r\n")[1:])
                   if k.strip().lower() == b"content-length"), b"0")
    return len(body) >= min(int(length) if length.isdigit() else 0, _BODY_EXCERPT)


def _parse_answer(data: bytes, method: str, path: str, sent: int, seconds: float) -> Exchange:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("iso-8859-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        return Exchange(method, path, sent=sent, seconds=seconds,
                        trouble=Trouble("other", f"not an HTTP answer: {lines[0][:80]!r}"))
    server = next((v.strip() for k, _, v in (h.partition(":") for h in lines[1:]) if k.strip().lower() == "server"), "")
    return Exchange(method, path, int(parts[1]), parts[2] if len(parts) > 2 else "", server,
                    _excerpt(body[:_BODY_EXCERPT]), sent, seconds)


def _excerpt(body: bytes) -> str:
    text = "".join(c if c.isprintable() else " " for c in body.decode("utf-8", "replace"))
    return " ".join(text.split())


def _response(conn: http.client.HTTPConnection, method: str, path: str, start: float, sent: int = 0) -> Exchange:
    resp = conn.getresponse()
    return Exchange(method, path, resp.status, resp.reason, resp.getheader("Server") or "",
                    _excerpt(resp.read(_BODY_EXCERPT)), sent, time.monotonic() - start)


def _web_trouble(exc: BaseException) -> Trouble:
    if isinstance(exc, ConnectionRefusedError):
        return Trouble("unreachable", f"connection refused ({exc.strerror or exc})")
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return Trouble("timeout", "no answer in time")
    if isinstance(exc, ssl.SSLError):
        return Trouble("tls", str(exc))
    if isinstance(exc, (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)):
        return Trouble("closed", "the connection was closed without an answer")
    if isinstance(exc, socket.gaierror):
        return Trouble("unreachable", f"the address does not resolve ({exc})")
    if isinstance(exc, OSError):
        return Trouble("unreachable", exc.strerror or str(exc))
    return Trouble("other", f"{type(exc).__name__}: {exc}")
