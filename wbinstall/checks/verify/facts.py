"""What the verify probes saw: the installed resource and its TLS Secret (probe `installed`),
and HTTP exchanges through the ingress (probe `web`). Never a secret value: of the TLS Secret
only the certificate's fingerprint and names are kept."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Trouble:
    """Why something could not be read or reached, in words to show."""

    kind: str  # unreachable | timeout | forbidden | unauthorized | kubeconfig | http | tls | not-found | other
    detail: str


@dataclass(frozen=True)
class SecretCert:
    """The leaf certificate of the TLS Secret W&B's Ingress names."""

    secret: str  # namespace/name
    sha256: str = ""  # fingerprint of tls.crt's first certificate, hex
    subject: str = ""
    dns_names: tuple[str, ...] = ()
    trouble: Trouble | None = None  # could not be read, or holds no certificate


@dataclass(frozen=True)
class InstalledFacts:
    namespace: str
    resource: str  # the WeightsAndBiases resource's name
    trouble: Trouble | None = None  # no cluster connection: nothing below was read
    found: bool = False
    phase: str = ""  # status.phase, as the operator set it ("" when unset)
    ingress_class: str = ""  # the class W&B's Ingress asks for (answers), "" for the default
    ingress_controller: str = ""  # that IngressClass's spec.controller, "" when not read
    tls: SecretCert | None = None  # None when the answers name no TLS Secret (TLS ends elsewhere)


@dataclass(frozen=True)
class Exchange:
    """One HTTP request through the ingress and what came back."""

    method: str
    path: str
    status: int | None = None  # None when no response came
    reason: str = ""
    server: str = ""  # the Server header: often names the proxy that answered (nginx, traefik)
    body: str = ""  # the response's first bytes, printable, for evidence
    sent: int = 0  # request body bytes written before the response (or the error)
    seconds: float = 0.0
    trouble: Trouble | None = None


@dataclass(frozen=True)
class WebFacts:
    host: str  # Host header and SNI
    address: str  # HOST:PORT connected to (checks.tls.address, else the host on 443)
    verified: bool  # the TLS handshake verified (system store, then caBundle); else sent unverified
    verify_error: str = ""
    exchanges: tuple[Exchange, ...] = ()
    upload_bytes: int = 0

    def get(self, method: str, path: str) -> Exchange | None:
        return next((e for e in self.exchanges if e.method == method and e.path == path), None)
