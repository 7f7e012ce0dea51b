"""Certificates and keys for the sandbox control plane.

One trustme CA signs the API server's serving certificate (SANs localhost, 127.0.0.1)
and the client certificates (CN = user name, O = groups, as Kubernetes reads them).
Client certificates are built with `cryptography` directly because trustme always puts
an organization into the subject, which Kubernetes would read as a group.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class ClientCert:
    user: str
    groups: tuple[str, ...]
    cert_pem: bytes
    key_pem: bytes


class ClusterPKI:
    """Writes everything the control plane needs into `directory`:
    ca.crt, apiserver.crt/.key (serving), sa.key/sa.pub (service-account token signing)."""

    def __init__(self, directory: Path):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.ca = trustme.CA(organization_name="wbinstall sandbox")
        self.ca_pem: bytes = self.ca.cert_pem.bytes()
        self.ca_file = self._write("ca.crt", self.ca_pem)

        serving = self.ca.issue_cert("localhost", "127.0.0.1", common_name="kube-apiserver")
        self.serving_cert_file = self._write(
            "apiserver.crt", b"".join(p.bytes() for p in serving.cert_chain_pems))
        self.serving_key_file = self._write("apiserver.key", serving.private_key_pem.bytes())

        sa_key = ec.generate_private_key(ec.SECP256R1())
        self.sa_key_file = self._write("sa.key", sa_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        self.sa_pub_file = self._write("sa.pub", sa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))

        self._ca_key = serialization.load_pem_private_key(self.ca.private_key_pem.bytes(), None)
        self._ca_cert = x509.load_pem_x509_certificate(self.ca_pem)

    def _write(self, name: str, data: bytes) -> Path:
        path = self.dir / name
        path.write_bytes(data)
        path.chmod(0o600)
        return path

    def client_cert(self, user: str, groups: tuple[str, ...] = (), *, expired: bool = False) -> ClientCert:
        """A client certificate that authenticates as `user` in `groups` (expired: one whose
        validity ended a day ago, as a kubeconfig left for a year looks)."""
        key = ec.generate_private_key(ec.SECP256R1())
        attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, g) for g in groups]
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, user))
        now = dt.datetime.now(dt.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name(attrs))
            .issuer_name(self._ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=31 if expired else 0, hours=1))
            .not_valid_after(now + (dt.timedelta(days=-1) if expired else dt.timedelta(days=30)))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(self._ca_key, hashes.SHA256())
        )
        return ClientCert(
            user=user, groups=tuple(groups),
            cert_pem=cert.public_bytes(serialization.Encoding.PEM),
            key_pem=key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
