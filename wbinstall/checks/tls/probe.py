"""TLS probe: handshake with the W&B endpoint (SNI = the host), verified against the system
trust store, then with the user's caBundle, then unverified to read what the server sends.

"The system store" is whatever OpenSSL loads by default, so SSL_CERT_FILE / SSL_CERT_DIR
redirect it (tests use that to make the sandbox CA play a public CA; no test hook in here).

With ingress.certFile and keyFile the install creates the TLS Secret itself, so before it the
ingress cannot serve that certificate yet: the probe serves the two files on a loopback port of
its own and makes the same handshakes with it, so that the judge sees what W&B's users will.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import ssl
import threading

from wbinstall.answers.addresses import parse_host_port
from wbinstall.checks.context import ProbeContext
from wbinstall.checks.tls.facts import Cert, ConnectError, TlsFacts, Verification

# Reasons OpenSSL gives when the peer answers the ClientHello with something that is not TLS.
_NOT_TLS = {"WRONG_VERSION_NUMBER", "PACKET_LENGTH_TOO_LONG", "RECORD_LAYER_FAILURE", "HTTP_REQUEST",
            "UNKNOWN_PROTOCOL"}


class _Failed(Exception):
    def __init__(self, error: ConnectError) -> None:
        super().__init__(error.message)
        self.error = error


def gather(ctx: ProbeContext) -> TlsFacts:
    settings, sni = ctx.answers.checks.tls, ctx.answers.host
    base = {"server_name": sni, "now": dt.datetime.now(dt.timezone.utc), "ca_bundle": settings.ca_bundle}
    ingress = ctx.answers.ingress
    if ingress.cert_file and ingress.key_file:
        return _gather_files(ctx, str(ctx.path(ingress.cert_file)), str(ctx.path(ingress.key_file)), base)
    try:
        host, port = parse_address(settings.address, sni)
    except ValueError as exc:
        return TlsFacts(address=settings.address or "", error=ConnectError("unreachable", str(exc)), **base)
    base["address"] = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return _handshakes(ctx, host, port, base)


def _gather_files(ctx: ProbeContext, cert_file: str, key_file: str, base: dict) -> TlsFacts:
    """The handshakes with the certificate the install will create the Secret from, served here."""
    base = {**base, "cert_file": cert_file}
    served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:  # no passphrase prompt on the terminal, ever (validation refuses an encrypted key)
        served.load_cert_chain(cert_file, key_file, password=lambda: b"")
    except (OSError, ssl.SSLError) as exc:
        why = "the key in ingress.keyFile is not the one of the certificate in ingress.certFile" \
            if "KEY_VALUES_MISMATCH" in str(exc) else f"{getattr(exc, 'strerror', None) or exc}"
        return TlsFacts(address="ingress.certFile", error=ConnectError("files", why), **base)
    with _Serving(served, ctx.remaining()) as port:
        return _handshakes(ctx, "127.0.0.1", port, {**base, "address": f"127.0.0.1:{port}"})


class _Serving:
    """A one-purpose TLS listener on a free loopback port: completes each handshake, then
    closes. Bounded by the probe's deadline; ended when the `with` ends."""

    def __init__(self, context: ssl.SSLContext, seconds: float) -> None:
        self.context, self.seconds = context, max(0.1, seconds)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, name="probe-tls-certfile", daemon=True)

    def __enter__(self) -> int:
        self.thread.start()
        return self.listener.getsockname()[1]

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join(1)
        self.listener.close()

    def _serve(self) -> None:
        while not self.done.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(self.seconds)
            try:
                with self.context.wrap_socket(conn, server_side=True):
                    pass  # the handshake is all the client wants
            except (OSError, ssl.SSLError):
                conn.close()  # the client refused the certificate: what it reports is the fact


def _handshakes(ctx: ProbeContext, host: str, port: int, base: dict) -> TlsFacts:
    settings, sni = ctx.answers.checks.tls, ctx.answers.host
    bundle_ctx, bundle_error = None, ""
    if settings.ca_bundle:
        try:
            bundle_ctx = ssl.create_default_context()
            bundle_ctx.load_verify_locations(cafile=str(ctx.path(settings.ca_bundle)))
        except (OSError, ssl.SSLError) as exc:
            bundle_error = f"{ctx.path(settings.ca_bundle)}: {exc.strerror or exc}"
    try:
        system = _verify(ctx, host, port, sni, ssl.create_default_context(), "system")
        with_bundle = None
        if not system.ok and bundle_ctx is not None:
            with_bundle = _verify(ctx, host, port, sni, bundle_ctx, "system+caBundle")
        served, version = _served(ctx, host, port, sni)
    except _Failed as failure:
        return TlsFacts(**base, error=failure.error, ca_bundle_error=bundle_error)
    return TlsFacts(**base, system=system, with_bundle=with_bundle, ca_bundle_error=bundle_error,
                    served=served, tls_version=version, system_store=_system_store())


def parse_address(address: str | None, host: str) -> tuple[str, int]:
    """checks.tls.address ("HOST:PORT", "[IPv6]:PORT", "HOST") -> (host, port); default host:443."""
    if not address:
        return host, 443
    try:
        return parse_host_port(address, host)
    except ValueError as exc:
        raise ValueError(f"checks.tls.address {exc}") from None


def _verify(ctx: ProbeContext, host: str, port: int, sni: str, context: ssl.SSLContext, trust) -> Verification:
    try:
        tls = _open(ctx, host, port, sni, context)
    except ssl.SSLCertVerificationError as exc:
        return Verification(trust, False, exc.verify_code, exc.verify_message or str(exc))
    with tls:
        return Verification(trust, True, chain=tuple(_parse(der) for der in _chain(tls, verified=True)))


def _served(ctx: ProbeContext, host: str, port: int, sni: str) -> tuple[tuple[Cert, ...], str]:
    """What the server sends, whoever signed it: verification off, to look, not to trust."""
    look = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    look.check_hostname = False
    look.verify_mode = ssl.CERT_NONE
    with _open(ctx, host, port, sni, look) as tls:
        return tuple(_parse(der) for der in _chain(tls, verified=False)), tls.version() or ""


def _open(ctx: ProbeContext, host: str, port: int, sni: str, context: ssl.SSLContext) -> ssl.SSLSocket:
    """A socket after the TLS handshake. Raises SSLCertVerificationError, or _Failed for the rest."""
    where = f"{host}:{port}"
    left = ctx.remaining()
    try:
        sock = socket.create_connection((host, port), timeout=left)
    except socket.gaierror as exc:
        raise _Failed(ConnectError("unresolvable", f"cannot resolve {host}: {exc.strerror}")) from None
    except ConnectionRefusedError:
        raise _Failed(ConnectError("refused", f"connection refused by {where}: nothing listening")) from None
    except TimeoutError:
        raise _Failed(ConnectError("timeout", f"no TCP connection to {where} within {left:.1f} s", left)) from None
    except OSError as exc:
        raise _Failed(ConnectError("unreachable", f"cannot connect to {where}: {exc.strerror or exc}")) from None
    try:
        left = ctx.remaining()
        sock.settimeout(left)
        return context.wrap_socket(sock, server_hostname=sni)
    except ssl.SSLCertVerificationError:
        sock.close()
        raise
    except ssl.SSLError as exc:
        sock.close()
        if exc.reason in _NOT_TLS:
            message = f"{where} does not speak TLS ({exc.reason}): a plain HTTP port?"
            raise _Failed(ConnectError("not-tls", message)) from None
        raise _Failed(ConnectError("handshake", f"TLS handshake with {where} failed: {exc.reason or exc}")) from None
    except TimeoutError:
        sock.close()
        raise _Failed(ConnectError("timeout", f"{where} accepted the connection but completed no TLS handshake "
                                              f"within {left:.1f} s", left)) from None
    except OSError as exc:
        sock.close()
        raise _Failed(ConnectError("handshake", f"{where} closed the connection during the TLS handshake: "
                                                f"{exc.strerror or exc}")) from None


def _chain(tls: ssl.SSLSocket, verified: bool) -> list[bytes]:
    """DER certificates, leaf first. Public API on 3.13+; on 3.11/3.12 the same method exists on
    the private _sslobj, so it is guarded: without it we still have the leaf."""
    name = "get_verified_chain" if verified else "get_unverified_chain"
    method = getattr(tls, name, None) or getattr(getattr(tls, "_sslobj", None), name, None)
    try:
        certs = method() if method else None
    except Exception:  # noqa: BLE001 - private API: any surprise means "use the leaf"
        certs = None
    if certs:
        return [c if isinstance(c, bytes) else c.public_bytes(ssl._ssl.ENCODING_DER) for c in certs]
    leaf = tls.getpeercert(binary_form=True)
    return [leaf] if leaf else []


def _parse(der: bytes) -> Cert:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns_names = tuple(san.get_values_for_type(x509.DNSName))
        ips = tuple(str(ip) for ip in san.get_values_for_type(x509.IPAddress))
    except x509.ExtensionNotFound:
        dns_names, ips = (), ()
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    return Cert(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        dns_names=dns_names,
        ip_addresses=ips,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        self_signed=cert.issuer == cert.subject and _signs_itself(cert),
        is_ca=is_ca,
        sha256=cert.fingerprint(hashes.SHA256()).hex(),
        ca_issuers=_ca_issuers(cert),
    )


def _ca_issuers(cert) -> tuple[str, ...]:
    from cryptography import x509
    from cryptography.x509.oid import AuthorityInformationAccessOID

    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return ()
    return tuple(d.access_location.value for d in aia
                 if d.access_method == AuthorityInformationAccessOID.CA_ISSUERS
                 and isinstance(d.access_location, x509.UniformResourceIdentifier))


def _signs_itself(cert) -> bool:
    try:
        cert.verify_directly_issued_by(cert)
    except Exception:  # noqa: BLE001 - InvalidSignature, unsupported key types: not self-signed
        return False
    return True


def _system_store() -> str:
    """Where OpenSSL reads the system's trusted CAs from (for the evidence)."""
    paths = ssl.get_default_verify_paths()
    return os.environ.get(paths.openssl_cafile_env) or paths.cafile or paths.openssl_cafile or ""
