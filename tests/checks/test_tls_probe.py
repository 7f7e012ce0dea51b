"""tls probe + judge against the sandbox's HTTPS listeners (one per certificate defect) and a few
local servers that are not TLS at all.

"Publicly trusted" in these tests: the probe trusts whatever OpenSSL loads as the system store,
and OpenSSL reads SSL_CERT_FILE / SSL_CERT_DIR for that; the fixture below points them at the
sandbox root CA (and an empty directory), so the sandbox CA plays a public CA. Production code has
no test hook; one test shows the real store refusing the sandbox CA.
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sandbox.procs import free_port
from tests.checks.support import make_answers, probe_context, run_checks
from wbinstall.checks.tls.probe import gather, parse_address


HOST = "wandb.sandbox.test"  # the name the sandbox listeners' certificates are issued for


@pytest.fixture
def public_trust(monkeypatch, sandbox_ca, tmp_path):
    """The system trust store is the sandbox root CA, and nothing else."""
    empty = tmp_path / "no-system-cas"
    empty.mkdir()
    monkeypatch.setenv("SSL_CERT_FILE", str(sandbox_ca.bundle_path))
    monkeypatch.setenv("SSL_CERT_DIR", str(empty))
    return sandbox_ca


@pytest.fixture
def full_chain_bundle(sandbox_ca, tmp_path) -> Path:
    """What a user who copied their CA's chain file would give as caBundle: root + intermediate."""
    path = tmp_path / "root-and-intermediate.pem"
    path.write_bytes(sandbox_ca.root.cert_pem.bytes() + sandbox_ca.intermediate.cert_pem.bytes())
    return path


@pytest.fixture
def plain_http_port():
    class Hello(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture
def mute_port():
    """Accepts TCP connections (the kernel's backlog does) and never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def answers_for(port: int, ca_bundle: str | Path | None = None, host: str = HOST):
    return make_answers(host=host, checks={"tls": {"address": f"127.0.0.1:{port}",
                                                    "caBundle": str(ca_bundle) if ca_bundle else None}})


def check(port: int, ca_bundle=None, timeout: float = 10.0):
    return run_checks(answers_for(port, ca_bundle), only=["tls.certificate"], timeout=timeout)["tls.certificate"]


# ---- the sandbox listeners through the engine -------------------------------------------------


def test_valid_publicly_trusted_certificate_passes(public_trust, sandbox_tls):
    listener = sandbox_tls["valid"]
    result = check(listener.port)
    assert result.status == "pass", result
    assert f"subject: CN={HOST}" in result.evidence[0]
    assert "issuer: OU=Sandbox Intermediate CA,O=wbinstall sandbox" in result.evidence
    assert f"subjectAltName: DNS:{HOST}" in result.evidence
    assert f"notAfter: {listener.facts.not_after:%Y-%m-%d %H:%M} UTC" in result.evidence[3]


def test_a_cabundle_is_not_needed_for_a_publicly_trusted_certificate(public_trust, sandbox_tls):
    result = check(sandbox_tls["valid"].port, ca_bundle=public_trust.bundle_path)
    assert result.status == "pass"


def test_certificate_expiring_in_10_days_warns_with_the_date(public_trust, sandbox_tls):
    listener = sandbox_tls["expiring_soon"]
    result = check(listener.port)
    assert result.status == "warn", result
    assert result.summary.startswith(f"certificate expires on {listener.facts.not_after:%Y-%m-%d %H:%M} UTC, in ")


def test_expired_certificate_fails(public_trust, sandbox_tls):
    listener = sandbox_tls["expired"]
    result = check(listener.port)
    assert (result.status, result.summary) == ("fail", f"certificate expired on {listener.facts.not_after:%Y-%m-%d %H:%M} UTC")
    assert any(e.endswith("refused, 10 certificate has expired") for e in result.evidence)


def test_certificate_for_another_host_fails(public_trust, sandbox_tls):
    result = check(sandbox_tls["wrong_host"].port)
    assert (result.status, result.summary) == ("fail", f"certificate is for other.sandbox.test, not {HOST}")


def test_untrusted_self_signed_certificate_fails(public_trust, sandbox_tls):
    result = check(sandbox_tls["self_signed"].port)
    assert (result.status, result.summary) == ("fail", "self-signed certificate not trusted: the system trust store "
                                                       "does not trust it and no checks.tls.caBundle is given")
    assert f"issuer: CN={HOST}" in result.evidence
    assert "checks.tls.caBundle to this certificate's own PEM file" in result.remedy


def test_self_signed_certificate_with_an_unrelated_cabundle_fails(public_trust, sandbox_tls, sandbox_ca):
    result = check(sandbox_tls["self_signed"].port, ca_bundle=sandbox_ca.private_bundle_path)
    assert result.status == "fail"
    assert "neither the system trust store nor checks.tls.caBundle trusts it" in result.summary


def test_expired_intermediate_is_named_not_the_leaf(public_trust, sandbox_tls):
    listener = sandbox_tls["expired_intermediate"]
    result = check(listener.port)
    assert result.status == "fail", result
    assert result.summary.startswith("the intermediate certificate CN=Sandbox Expired Intermediate CA,"
                                     "O=wbinstall sandbox (certificate 2 of 2 the server sends) expired on ")
    assert f"the leaf is valid until {listener.facts.not_after:%Y-%m-%d %H:%M} UTC" in result.summary
    assert any(e.startswith("certificate 2 (intermediate): subject CN=Sandbox Expired Intermediate CA") and
               e.endswith("ago)") for e in result.evidence)
    assert any(e.endswith("refused, 10 certificate has expired") for e in result.evidence)
    assert "Replace the expired intermediate" in result.remedy


def test_self_signed_certificate_given_as_cabundle_still_warns(public_trust, sandbox_tls):
    listener = sandbox_tls["self_signed"]
    result = check(listener.port, ca_bundle=listener.ca_bundle)
    assert result.status == "warn"
    assert any(e.startswith("verified with the system trust store + caBundle") and e.endswith(": ok")
               for e in result.evidence)


def test_private_ca_trusted_through_the_cabundle_warns_not_recommended(public_trust, sandbox_tls):
    listener = sandbox_tls["private_ca"]
    result = check(listener.port, ca_bundle=listener.ca_bundle)
    assert result.status == "warn", result
    assert result.summary == ("certificate from a private CA (OU=Example Corp Private CA,O=Example Corp), "
                              "trusted only with checks.tls.caBundle: not recommended")
    assert "customCACerts" in result.remedy


def test_private_ca_without_its_bundle_fails_as_untrusted(public_trust, sandbox_tls):
    result = check(sandbox_tls["private_ca"].port)
    assert result.status == "fail"
    assert result.summary.startswith("certificate not trusted (20 unable to get local issuer certificate)")
    assert "checks.tls.caBundle" in result.remedy


def test_missing_intermediate_fails_as_an_incomplete_chain(public_trust, sandbox_tls, full_chain_bundle):
    result = check(sandbox_tls["missing_intermediate"].port, ca_bundle=full_chain_bundle)
    assert result.status == "fail", result
    assert result.summary == ("incomplete chain: serve the intermediate OU=Sandbox Intermediate CA,O=wbinstall sandbox "
                              "(the server sends only its own certificate)")
    assert "served chain: 1 certificate" in result.evidence


def test_missing_intermediate_without_a_way_to_complete_it_fails_naming_both_causes(public_trust, sandbox_tls):
    result = check(sandbox_tls["missing_intermediate"].port)
    assert result.status == "fail"
    assert "the server sends only its own certificate, issued by OU=Sandbox Intermediate CA" in result.summary
    assert "serve the leaf followed by that intermediate" in result.remedy


def test_real_system_store_does_not_trust_the_sandbox_ca(monkeypatch, sandbox_tls, sandbox_ca):
    """Production behaviour: no SSL_CERT_FILE; the sandbox CA is then private, known only through caBundle."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    port = sandbox_tls["valid"].port
    assert check(port).status == "fail"
    with_bundle = check(port, ca_bundle=sandbox_ca.bundle_path)
    assert with_bundle.status == "warn"
    assert "private CA" in with_bundle.summary


# ---- what the probe records -------------------------------------------------------------------


def test_probe_reads_the_served_chain_and_the_verified_chain(public_trust, sandbox_tls):
    facts = gather(probe_context(answers_for(sandbox_tls["valid"].port)))
    assert [c.subject.split(",")[0] for c in facts.served] == [f"CN={HOST}", "OU=Sandbox Intermediate CA"]
    assert facts.system.ok and len(facts.system.chain) == 3 and facts.system.chain[-1].self_signed
    assert facts.served[0].dns_names == (HOST,) and not facts.served[0].is_ca and facts.served[1].is_ca
    assert facts.now.tzinfo is not None and facts.served[0].not_before <= facts.now <= facts.served[0].not_after
    assert facts.served[0].sha256 == sandbox_tls["valid"].facts.sha256_fingerprint
    assert facts.system_store == str(public_trust.bundle_path)


def test_probe_records_the_verify_code_of_each_trust_store(public_trust, sandbox_tls):
    listener = sandbox_tls["private_ca"]
    facts = gather(probe_context(answers_for(listener.port, listener.ca_bundle)))
    assert (facts.system.ok, facts.system.verify_code) == (False, 20)
    assert facts.with_bundle.ok and facts.with_bundle.trust == "system+caBundle"
    assert facts.served[0].self_signed is False


def test_relative_cabundle_is_read_from_the_answers_directory(public_trust, sandbox_tls):
    listener = sandbox_tls["private_ca"]
    answers = answers_for(listener.port, Path(listener.ca_bundle).name)
    facts = gather(probe_context(answers, base_dir=Path(listener.ca_bundle).parent))
    assert facts.with_bundle.ok


# ---- nothing there, or not TLS ----------------------------------------------------------------


def test_nothing_listening_fails_clearly():
    port = free_port()
    result = check(port)
    assert (result.status, result.summary) == ("fail", f"nothing listening at 127.0.0.1:{port}")
    assert f"connection refused by 127.0.0.1:{port}: nothing listening" in result.evidence


def test_plain_http_port_fails_as_not_tls(plain_http_port):
    result = check(plain_http_port)
    assert (result.status, result.summary) == ("fail", f"not a TLS endpoint at 127.0.0.1:{plain_http_port}")


def test_server_that_never_completes_the_handshake_times_out_and_the_run_returns(mute_port):
    result = check(mute_port, timeout=1.5)
    assert result.status == "fail"
    assert result.summary == f"no answer at 127.0.0.1:{mute_port}"
    assert "accepted the connection but completed no TLS handshake" in result.evidence[0]


def test_unreadable_cabundle_fails_naming_the_file(public_trust, sandbox_tls, tmp_path):
    result = check(sandbox_tls["valid"].port, ca_bundle=tmp_path / "nope.pem")
    assert result.status == "fail"
    assert any("nope.pem" in e for e in result.evidence)


@pytest.mark.parametrize(("address", "parsed"), [
    (None, (HOST, 443)),
    ("lb.example.com:8443", ("lb.example.com", 8443)),
    ("lb.example.com", ("lb.example.com", 443)),
    ("10.0.0.5:443", ("10.0.0.5", 443)),
    ("[2001:db8::1]:8443", ("2001:db8::1", 8443)),
])
def test_address_forms(address, parsed):
    assert parse_address(address, HOST) == parsed


@pytest.mark.parametrize("address", ["lb.example.com:", "lb.example.com:https", ":443", "lb:70000"])
def test_address_forms_refused(address):
    with pytest.raises(ValueError):
        parse_address(address, HOST)


def test_bad_address_is_reported_not_raised():
    # The model refuses it at load time; answers built without validation still get a result.
    answers = make_answers()
    answers = answers.model_copy(update={"checks": answers.checks.model_copy(
        update={"tls": answers.checks.tls.model_copy(update={"address": "lb.example.com:https"})})})
    facts = gather(probe_context(answers))
    assert facts.error.kind == "unreachable" and "is not HOST:PORT" in facts.error.message
    assert facts.now <= dt.datetime.now(dt.timezone.utc)


# ----- before the install, with ingress.certFile: the files are what is judged ------------

def files_check(tmp_path, sandbox_ca, scenario: str, ca_bundle=None, key_of: str | None = None):
    """tls.certificate with ingress.certFile/keyFile of a scenario's chain, and checks.tls.address
    at a port where nothing listens: the ingress does not serve that certificate before the
    install, so the check must not depend on it."""
    from sandbox.tls import scenario_pair, write_cert_pair

    pair, _ = scenario_pair(sandbox_ca, scenario, HOST)
    cert, key = write_cert_pair(pair, tmp_path / scenario)
    if key_of:
        _, key = write_cert_pair(scenario_pair(sandbox_ca, key_of, HOST)[0], tmp_path / f"key-of-{key_of}")
    answers = make_answers(host=HOST, ingress={"certFile": str(cert), "keyFile": str(key)},
                           checks={"tls": {"address": f"127.0.0.1:{free_port()}",
                                           "caBundle": str(ca_bundle) if ca_bundle else None}})
    return run_checks(answers, only=["tls.certificate"])["tls.certificate"], cert


def test_a_valid_cert_file_passes_before_the_ingress_serves_it(public_trust, tmp_path):
    result, cert = files_check(tmp_path, public_trust, "valid")
    assert result.status == "pass", result
    assert f"subjectAltName: DNS:{HOST}" in result.evidence
    assert any(e.startswith(f"ingress.certFile {cert}: the certificate the install puts in the TLS Secret")
               for e in result.evidence), result.evidence
    assert not any(e.startswith("connected to") for e in result.evidence)


def test_a_cert_file_expiring_soon_warns(public_trust, tmp_path):
    result, _ = files_check(tmp_path, public_trust, "expiring_soon")
    assert result.status == "warn" and result.summary.startswith("certificate expires on"), result


@pytest.mark.parametrize("scenario, summary", [
    ("expired", "certificate expired on"),
    ("wrong_host", f"certificate is for other.sandbox.test, not {HOST}"),
])
def test_a_cert_file_that_users_would_refuse_fails(public_trust, tmp_path, scenario, summary):
    result, _ = files_check(tmp_path, public_trust, scenario)
    assert result.status == "fail" and result.summary.startswith(summary), result


def test_a_cert_file_of_a_private_ca_with_its_bundle_warns(public_trust, tmp_path):
    result, _ = files_check(tmp_path, public_trust, "private_ca", ca_bundle=public_trust.private_bundle_path)
    assert result.status == "warn", result


def test_a_key_file_of_another_certificate_fails_naming_both_fields(public_trust, tmp_path):
    result, cert = files_check(tmp_path, public_trust, "valid", key_of="expired")
    assert (result.status, result.summary) == ("fail", "ingress.certFile and ingress.keyFile cannot be served")
    assert "the key in ingress.keyFile is not the one of the certificate in ingress.certFile" in result.evidence
    assert f"ingress.certFile: {cert}" in result.evidence


def test_an_encrypted_key_file_fails_without_asking_for_a_passphrase(public_trust, tmp_path):
    """Validation refuses it; the probe, given one anyway, must not prompt on the terminal."""
    from cryptography.hazmat.primitives import serialization

    from sandbox.tls import CertPair, scenario_pair, write_cert_pair

    pair, _ = scenario_pair(public_trust, "valid", HOST)
    key = serialization.load_pem_private_key(pair.key_pem, None).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw"))
    cert, key_path = write_cert_pair(CertPair(pair.chain_pem, key), tmp_path / "encrypted")
    answers = make_answers(host=HOST, ingress={"certFile": str(cert), "keyFile": str(key_path)})
    result = run_checks(answers, only=["tls.certificate"])["tls.certificate"]
    assert (result.status, result.summary) == ("fail", "ingress.certFile and ingress.keyFile cannot be served"), result
