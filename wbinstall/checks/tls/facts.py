"""What the TLS probe saw: whether the handshake verified (and against which trust), and the
certificates the server sent, parsed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

# Why no certificate could be looked at. "not-tls": something answered, but not TLS (plain HTTP);
# "handshake": TLS, but the handshake failed for a reason other than the certificate.
# "files": ingress.certFile / keyFile could not be served (a key that is not the certificate's).
ConnectKind = Literal["refused", "timeout", "unresolvable", "unreachable", "not-tls", "handshake", "files"]


@dataclass(frozen=True)
class ConnectError:
    kind: ConnectKind
    message: str
    seconds: float = 0.0  # time allowed, for timeouts


@dataclass(frozen=True)
class Cert:
    subject: str  # RFC 4514, e.g. "CN=wandb.example.com,O=Example"
    issuer: str
    dns_names: tuple[str, ...]  # subjectAltName DNS entries
    ip_addresses: tuple[str, ...]
    not_before: dt.datetime  # UTC
    not_after: dt.datetime
    self_signed: bool  # issuer == subject and the signature verifies with its own key
    is_ca: bool
    sha256: str  # fingerprint, hex: tells certificates apart across chains
    # Authority Information Access caIssuers URLs: where a public CA publishes the issuer's
    # certificate (the intermediate a server forgot to send).
    ca_issuers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verification:
    """One verified handshake attempt with a given trust store."""

    trust: Literal["system", "system+caBundle"]
    ok: bool
    verify_code: int | None = None  # OpenSSL X509_V_ERR_*, when the certificate was refused
    verify_message: str = ""
    chain: tuple[Cert, ...] = ()  # the verified chain (leaf to anchor), when ok


@dataclass(frozen=True)
class TlsFacts:
    server_name: str  # SNI and the name verified: the W&B host
    address: str  # HOST:PORT connected to
    now: dt.datetime  # UTC, read by the probe so that the judge never reads the clock
    error: ConnectError | None = None
    system: Verification | None = None
    with_bundle: Verification | None = None  # only when caBundle is given and the system store refused
    ca_bundle: str | None = None  # as given in the answers
    ca_bundle_error: str = ""
    served: tuple[Cert, ...] = ()  # what the server sent, leaf first
    tls_version: str = ""
    system_store: str = ""  # the CA file OpenSSL loaded as "the system store"
    # Before the install, with ingress.certFile: the files the install will put in the TLS
    # Secret (served on loopback for the handshakes), not whatever the ingress serves today.
    cert_file: str = ""

    @property
    def leaf(self) -> Cert | None:
        return self.served[0] if self.served else None
