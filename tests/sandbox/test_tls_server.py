"""TLS listeners: a Python ssl client sees each certificate defect the wizard must report."""

import datetime as dt
import os
import socket
import ssl
import stat

import pytest
from cryptography import x509

from sandbox.tls import write_cert_pair


def handshake(listener, cafile):
    """Verifies like the wizard will (trust `cafile`, check the host name); returns the peer cert."""
    ctx = ssl.create_default_context(cafile=str(cafile))
    with socket.create_connection((listener.host, listener.port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname=listener.server_name) as tls:
            return x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))


def verify_code(listener, cafile):
    with pytest.raises(ssl.SSLCertVerificationError) as failure:
        handshake(listener, cafile)
    return failure.value.verify_code


def test_listeners_bind_loopback_only(sandbox_tls):
    for listener in sandbox_tls.values():
        assert listener.host == "127.0.0.1"
        assert listener.port > 0


def test_valid_certificate_verifies_and_serves_https(sandbox_tls, sandbox_ca):
    valid = sandbox_tls["valid"]
    cert = handshake(valid, sandbox_ca.bundle_path)
    assert cert.serial_number == valid.facts.serial_number
    assert valid.facts.dns_names == ("wandb.sandbox.test",)
    assert valid.facts.chain_length == 2

    ctx = ssl.create_default_context(cafile=str(sandbox_ca.bundle_path))
    with socket.create_connection((valid.host, valid.port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname=valid.server_name) as tls:
            tls.sendall(b"GET / HTTP/1.0\r\nHost: wandb.sandbox.test\r\n\r\n")
            response = b""
            while chunk := tls.recv(4096):
                response += chunk
    assert response.startswith(b"HTTP/1.0 200")
    assert response.endswith(b"\r\n\r\nwbinstall sandbox tls: valid\n")


def test_expiring_soon_verifies_but_ends_within_ten_days(sandbox_tls, sandbox_ca):
    cert = handshake(sandbox_tls["expiring_soon"], sandbox_ca.bundle_path)
    left = cert.not_valid_after_utc - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(days=9) < left <= dt.timedelta(days=10)
    assert sandbox_tls["expiring_soon"].facts.not_after == cert.not_valid_after_utc


@pytest.mark.parametrize(
    ("scenario", "code"),
    [("expired", 10), ("wrong_host", 62), ("self_signed", 18), ("private_ca", 20), ("missing_intermediate", 20),
     ("expired_intermediate", 10)],
)
def test_defect_is_reported_with_openssl_verify_code(sandbox_tls, sandbox_ca, scenario, code):
    assert verify_code(sandbox_tls[scenario], sandbox_ca.bundle_path) == code


@pytest.mark.parametrize("scenario", ["private_ca", "self_signed"])
def test_untrusted_certificate_verifies_once_its_bundle_is_trusted(sandbox_tls, scenario):
    listener = sandbox_tls[scenario]
    assert handshake(listener, listener.ca_bundle).subject == x509.load_pem_x509_certificate(listener.pair.leaf_pem).subject


def test_missing_intermediate_serves_leaf_alone_from_the_same_issuer(sandbox_tls):
    missing, valid = sandbox_tls["missing_intermediate"].facts, sandbox_tls["valid"].facts
    assert (missing.chain_length, valid.chain_length) == (1, 2)
    assert missing.issuer_cn == valid.issuer_cn == "Sandbox Intermediate CA"


def test_facts_describe_the_defects(sandbox_tls):
    now = dt.datetime.now(dt.timezone.utc)
    assert sandbox_tls["expired"].facts.not_after < now
    assert sandbox_tls["wrong_host"].facts.dns_names == ("other.sandbox.test",)
    assert sandbox_tls["self_signed"].facts.self_signed
    assert not sandbox_tls["valid"].facts.self_signed


def test_write_cert_pair_gives_files_an_ssl_context_loads(sandbox_ca, tmp_path):
    cert_path, key_path = write_cert_pair(sandbox_ca.issue("wandb.sandbox.test"), tmp_path / "secret")
    assert stat.S_IMODE(os.stat(key_path).st_mode) == 0o600
    assert cert_path.read_text().count("BEGIN CERTIFICATE") == 2
    ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(cert_path, key_path)
