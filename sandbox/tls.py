"""A test CA and HTTPS listeners on 127.0.0.1 that present good and broken certificates.

    ca = SandboxCA(workdir)                       # root + intermediate, bundle written to workdir
    listeners = start_tls_listeners(ca, "wandb.sandbox.test")
    valid = listeners["valid"]                    # .host/.port to connect, .server_name to verify
    ...
    stop_all(listeners)

Connect to `listener.host:listener.port` (always 127.0.0.1) with SNI/hostname
`listener.server_name`. `SandboxCA.bundle_path` plays the client's normal trust store;
`listener.ca_bundle` is the bundle a user would add to trust that one certificate.

What each scenario makes an OpenSSL client (Python `ssl`) report, against SandboxCA.bundle_path:
    valid                 verifies (leaf + intermediate served)
    expiring_soon         verifies; notAfter is 10 days away
    expired               verify_code 10 (certificate has expired)
    wrong_host            verify_code 62 (hostname mismatch; issued for other.<domain>)
    self_signed           verify_code 18 (self-signed certificate)
    private_ca            verify_code 20 (unable to get local issuer) unless its ca_bundle is trusted
    missing_intermediate  verify_code 20 (leaf served without the intermediate)
    expired_intermediate  verify_code 10 (a valid leaf, served with an intermediate that expired)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from sandbox.procs import LOOPBACK, ServedInThread

SCENARIOS = (
    "valid",
    "expiring_soon",
    "expired",
    "wrong_host",
    "self_signed",
    "private_ca",
    "missing_intermediate",
    "expired_intermediate",
)


@dataclass(frozen=True)
class CertPair:
    """A served certificate chain (leaf first) and its private key, all PEM."""

    chain_pem: list[bytes]
    key_pem: bytes

    @property
    def leaf_pem(self) -> bytes:
        return self.chain_pem[0]


@dataclass(frozen=True)
class CertFacts:
    """What the served leaf certificate says, for tests to compare with what a check reports."""

    subject_cn: str | None
    issuer_cn: str | None
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...]
    not_before: dt.datetime
    not_after: dt.datetime
    serial_number: int
    sha256_fingerprint: str
    self_signed: bool
    chain_length: int  # certificates the server sends, leaf included

    @classmethod
    def of(cls, pair: CertPair) -> CertFacts:
        cert = x509.load_pem_x509_certificate(pair.leaf_pem)
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            dns_names = tuple(san.get_values_for_type(x509.DNSName))
            ips = tuple(str(ip) for ip in san.get_values_for_type(x509.IPAddress))
        except x509.ExtensionNotFound:
            dns_names, ips = (), ()
        return cls(
            subject_cn=_common_name(cert.subject),
            issuer_cn=_common_name(cert.issuer),
            dns_names=dns_names,
            ip_addresses=ips,
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            serial_number=cert.serial_number,
            sha256_fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
            self_signed=cert.issuer == cert.subject,
            chain_length=len(pair.chain_pem),
        )


def _common_name(name: x509.Name) -> str | None:
    attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    if attrs:
        return str(attrs[0].value)
    # trustme names its CAs by organizational unit only.
    attrs = name.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    return str(attrs[0].value) if attrs else None


class SandboxCA:
    """Root CA -> intermediate CA -> leaves, like a public CA. Writes the root to `bundle_path`.

    Also holds a second, unrelated "private" CA for the private-CA scenario."""

    def __init__(self, workdir: str | Path) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.root = trustme.CA(organization_name="wbinstall sandbox", organization_unit_name="Sandbox Root CA")
        self.intermediate = trustme.CA(
            parent_cert=self.root,
            path_length=0,
            organization_name="wbinstall sandbox",
            organization_unit_name="Sandbox Intermediate CA",
        )
        self.private_root = trustme.CA(organization_name="Example Corp", organization_unit_name="Example Corp Private CA")
        self.bundle_path = self.workdir / "sandbox-ca.pem"
        self.root.cert_pem.write_to_path(str(self.bundle_path))
        self.private_bundle_path = self.workdir / "private-ca.pem"
        self.private_root.cert_pem.write_to_path(str(self.private_bundle_path))

    def issue(
        self,
        *names: str,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
    ) -> CertPair:
        """A leaf for `names` (DNS names or IPs), signed by the intermediate; chain = leaf + intermediate."""
        now = _now()
        leaf = self.intermediate.issue_cert(
            *names,
            common_name=names[0] if names else None,
            not_before=not_before or now - dt.timedelta(days=1),
            not_after=not_after or now + dt.timedelta(days=365),
        )
        return CertPair([blob.bytes() for blob in leaf.cert_chain_pems], leaf.private_key_pem.bytes())

    def issue_private(self, *names: str) -> CertPair:
        """A leaf from the private CA (served alone, as most private-CA setups do)."""
        now = _now()
        leaf = self.private_root.issue_cert(
            *names,
            common_name=names[0] if names else None,
            not_before=now - dt.timedelta(days=1),
            not_after=now + dt.timedelta(days=365),
        )
        return CertPair([leaf.cert_chain_pems[0].bytes()], leaf.private_key_pem.bytes())

    def issue_under_expired_intermediate(self, *names: str) -> CertPair:
        """A valid leaf for `names` signed by a second intermediate of the root that expired two days
        ago (served: leaf + that intermediate): the leaf's own dates are fine."""
        now = _now()
        root_key = serialization.load_pem_private_key(self.root.private_key_pem.bytes(), password=None)
        root_cert = x509.load_pem_x509_certificate(self.root.cert_pem.bytes())
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "wbinstall sandbox"),
                             x509.NameAttribute(NameOID.COMMON_NAME, "Sandbox Expired Intermediate CA")])
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(root_cert.subject)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=400))
            .not_valid_after(now - dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_cert.public_key()), critical=False)
            .sign(root_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        leaf = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=200))
            .add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        return CertPair([leaf.public_bytes(serialization.Encoding.PEM), ca_cert.public_bytes(serialization.Encoding.PEM)],
                        key_pem)

    def server_context(self, pair: CertPair) -> ssl.SSLContext:
        """A server-side SSLContext presenting `pair` (for MySQL TLS and the like)."""
        return server_context(pair, self.workdir)


def self_signed(*names: str, days: int = 365) -> CertPair:
    """A self-signed leaf (issuer = subject, CA:FALSE), as `openssl req -x509` users make them."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return CertPair([cert.public_bytes(serialization.Encoding.PEM)], key_pem)


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def write_cert_pair(pair: CertPair, directory: str | Path, stem: str = "tls") -> tuple[Path, Path]:
    """Writes `<stem>.crt` (full served chain) and `<stem>.key` (mode 0600), e.g. for
    `kubectl create secret tls --cert --key`. Returns (cert_path, key_path)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / f"{stem}.crt", directory / f"{stem}.key"
    cert_path.write_bytes(b"".join(pair.chain_pem))
    key_path.touch(mode=0o600)
    key_path.write_bytes(pair.key_pem)
    return cert_path, key_path


_context_files_lock = threading.Lock()
_context_files_seq = 0


def server_context(pair: CertPair, workdir: str | Path) -> ssl.SSLContext:
    """A server-side SSLContext presenting exactly `pair.chain_pem` (ssl only loads from files)."""
    global _context_files_seq
    with _context_files_lock:
        _context_files_seq += 1
        seq = _context_files_seq
    cert_path, key_path = write_cert_pair(pair, Path(workdir) / "served", f"chain-{seq}")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_path, key_path)
    return ctx


class TLSOnAccept:
    """For a socketserver: the TLS handshake in the per-connection thread (a stalled client
    cannot block accept()), a client that refuses the certificate simply gone."""
    ssl_context: ssl.SSLContext
    accept_timeout: float = 5

    def finish_request(self, request, client_address) -> None:
        request.settimeout(self.accept_timeout)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # the client rejected our certificate: the expected outcome for most scenarios
        try:
            self.RequestHandlerClass(tls, client_address, self)
        except OSError:
            pass
        finally:
            tls.close()


class _HTTPSServer(TLSOnAccept, ThreadingHTTPServer):
    # The TLS handshake runs in the per-connection thread, so a stalled client cannot block accept().
    # Worker threads are not daemons: server_close() joins them, and the handler timeout bounds that.
    daemon_threads = False

    def __init__(self, ssl_context: ssl.SSLContext, body: bytes) -> None:
        self.ssl_context = ssl_context
        self.body = body
        super().__init__((LOOPBACK, 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    timeout = 5
    server: _HTTPSServer

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)

    do_HEAD = do_GET

    def log_message(self, format, *args) -> None:  # noqa: A002 - to the log, not stderr
        logging.getLogger("sandbox.tls").debug("%s %s", self.address_string(), format % args)


class TLSListener(ServedInThread):
    """An HTTPS server on 127.0.0.1 (free port) answering `GET /` with 200 and the scenario name.

    Attributes: scenario, host ("127.0.0.1", to connect to), port, server_name (the name to verify
    and send as SNI), url, ca_bundle (PEM path of the CA a user would add to trust this
    certificate; for self_signed the certificate itself), pair (CertPair served), facts (CertFacts).
    """

    def __init__(self, scenario: str, server_name: str, pair: CertPair, ca_bundle: Path, workdir: Path) -> None:
        self.scenario = scenario
        self.server_name = server_name
        self.pair = pair
        self.ca_bundle = ca_bundle
        self.facts = CertFacts.of(pair)
        self._server = _HTTPSServer(server_context(pair, workdir), f"wbinstall sandbox tls: {scenario}\n".encode())
        self.host, self.port = self._server.server_address[:2]
        self._thread_name = f"tls-{scenario}"
        self._log_name = "sandbox.tls"

    @property
    def url(self) -> str:
        return f"https://{self.server_name}:{self.port}/"


    def __repr__(self) -> str:
        return f"TLSListener({self.scenario!r}, {self.host}:{self.port}, server_name={self.server_name!r})"


def scenario_pair(ca: SandboxCA, scenario: str, server_name: str) -> tuple[CertPair, Path]:
    """The certificate chain a scenario serves, and the bundle that would make a client trust it."""
    now = _now()
    if scenario == "valid":
        return ca.issue(server_name), ca.bundle_path
    if scenario == "expiring_soon":
        return ca.issue(server_name, not_after=now + dt.timedelta(days=10)), ca.bundle_path
    if scenario == "expired":
        return ca.issue(
            server_name, not_before=now - dt.timedelta(days=400), not_after=now - dt.timedelta(days=2)
        ), ca.bundle_path
    if scenario == "wrong_host":
        parent = server_name.split(".", 1)[1] if "." in server_name else "sandbox.test"
        return ca.issue(f"other.{parent}"), ca.bundle_path
    if scenario == "self_signed":
        pair = self_signed(server_name)
        path = ca.workdir / f"self-signed-{_digest(pair.leaf_pem)}.pem"
        path.write_bytes(pair.leaf_pem)
        return pair, path
    if scenario == "private_ca":
        return ca.issue_private(server_name), ca.private_bundle_path
    if scenario == "missing_intermediate":
        full = ca.issue(server_name)
        return CertPair(full.chain_pem[:1], full.key_pem), ca.bundle_path
    if scenario == "expired_intermediate":
        return ca.issue_under_expired_intermediate(server_name), ca.bundle_path
    raise ValueError(f"unknown TLS scenario {scenario!r}; known: {', '.join(SCENARIOS)}")


def start_tls_listener(ca: SandboxCA, scenario: str, server_name: str = "wandb.sandbox.test") -> TLSListener:
    pair, bundle = scenario_pair(ca, scenario, server_name)
    return TLSListener(scenario, server_name, pair, bundle, ca.workdir).start()


def start_tls_listeners(
    ca: SandboxCA, server_name: str = "wandb.sandbox.test", scenarios: tuple[str, ...] = SCENARIOS
) -> dict[str, TLSListener]:
    """One running listener per scenario, keyed by scenario name. Stop them with stop_all()."""
    listeners: dict[str, TLSListener] = {}
    try:
        for scenario in scenarios:
            listeners[scenario] = start_tls_listener(ca, scenario, server_name)
    except BaseException:
        stop_all(listeners)
        raise
    return listeners


def stop_all(listeners: dict[str, TLSListener]) -> None:
    for listener in listeners.values():
        listener.stop()


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
