"""tls.certificate judge: verify codes, expiry boundaries, chains and SAN matching -> results."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.checks.support import inputs, make_answers
from wbinstall.checks.context import CheckInputs
from wbinstall.checks.tls.facts import Cert, ConnectError, TlsFacts, Verification
from wbinstall.checks.tls.judge import certificate, hostname_matches
from wbinstall.requirements import load as load_requirements

HOST = "wandb.example.com"
NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.timezone.utc)
LE_ROOT = "CN=ISRG Root X1,O=Internet Security Research Group,C=US"
LE_R11 = "CN=R11,O=Let's Encrypt,C=US"
CORP_CA = "CN=Example Corp Issuing CA,O=Example Corp"


def cert(subject: str = f"CN={HOST}", issuer: str = LE_R11, names: tuple[str, ...] = (HOST,), *,
         left: dt.timedelta = dt.timedelta(days=60), age: dt.timedelta = dt.timedelta(days=30),
         self_signed: bool = False, is_ca: bool = False, sha: str = "leaf", ca_issuers: tuple[str, ...] = ()) -> Cert:
    return Cert(subject, issuer, names, (), NOW - age, NOW + left, self_signed, is_ca, sha, ca_issuers)


LEAF = cert()
R11 = cert(LE_R11, LE_ROOT, (), left=dt.timedelta(days=700), is_ca=True, sha="r11")
ROOT = cert(LE_ROOT, LE_ROOT, (), left=dt.timedelta(days=3000), self_signed=True, is_ca=True, sha="root")
SELF = cert(f"CN={HOST}", f"CN={HOST}", self_signed=True, sha="self")
CORP_LEAF = cert(issuer=CORP_CA, sha="corp-leaf")
CORP_ROOT = cert(CORP_CA, CORP_CA, (), self_signed=True, is_ca=True, sha="corp-root")


def ok(*chain: Cert, trust: str = "system") -> Verification:
    return Verification(trust, True, chain=chain)


def refused(code: int, message: str, trust: str = "system") -> Verification:
    return Verification(trust, False, code, message)


def facts(served: tuple[Cert, ...] = (LEAF, R11), system: Verification | None = None,
          with_bundle: Verification | None = None, **kw) -> TlsFacts:
    system = system if system is not None else ok(*served, ROOT)
    return TlsFacts(server_name=HOST, address=f"{HOST}:443", now=NOW, system=system, with_bundle=with_bundle,
                    served=served, tls_version="TLSv1.3", system_store="/etc/ssl/certs/ca-certificates.crt",
                    ca_bundle="corp-ca.pem" if with_bundle else None, **kw)


def judge(f: TlsFacts, check_inputs: CheckInputs | None = None):
    return certificate({"tls": f}, check_inputs or inputs(make_answers(host=HOST)))


EXPIRED = cert(left=-dt.timedelta(days=3), age=dt.timedelta(days=90))
JUST_EXPIRED = cert(left=-dt.timedelta(seconds=1), age=dt.timedelta(days=90))
NOT_YET = cert(left=dt.timedelta(days=90), age=-dt.timedelta(days=2))
OTHER_HOST = cert(names=("other.example.com",))
EXPIRED_R11 = cert(LE_R11, LE_ROOT, (), left=-dt.timedelta(days=10), age=dt.timedelta(days=900), is_ca=True, sha="r11-old")
FUTURE_R11 = cert(LE_R11, LE_ROOT, (), left=dt.timedelta(days=900), age=-dt.timedelta(days=10), is_ca=True, sha="r11-new")
BUNDLE = "system+caBundle"

CASES = [
    # (why, facts, status, in the summary)
    ("publicly trusted, 60 days left", facts(), "pass", "publicly trusted, expires 2027-01-27 12:00 UTC (in 60 days)"),
    ("exactly 30 days left is not yet a warning", facts((cert(left=dt.timedelta(days=30)), R11)), "pass", "in 30 days"),
    ("a second under 30 days warns", facts((cert(left=dt.timedelta(days=30, seconds=-1)), R11)), "warn",
     "certificate expires on 2026-12-28 11:59 UTC, in 29 days"),
    ("10 days left", facts((cert(left=dt.timedelta(days=10)), R11)), "warn", "in 10 days"),
    ("hours left", facts((cert(left=dt.timedelta(hours=2)), R11)), "warn", "in 2 hours"),
    ("expired", facts((EXPIRED, R11), refused(10, "certificate has expired")), "fail",
     "certificate expired on 2026-11-25 12:00 UTC"),
    ("expired a second ago", facts((JUST_EXPIRED, R11), refused(10, "certificate has expired")), "fail", "expired"),
    ("not yet valid", facts((NOT_YET, R11), refused(9, "certificate is not yet valid")), "fail",
     "certificate not valid before 2026-11-30 12:00 UTC"),
    ("hostname mismatch", facts((OTHER_HOST, R11), refused(62, f"Hostname mismatch, certificate is not valid for '{HOST}'.")),
     "fail", f"certificate is for other.example.com, not {HOST}"),
    ("wildcard for the parent domain", facts((cert(names=("*.example.com", "example.com")), R11)), "pass", ""),
    ("wildcard one level too deep", facts((cert(names=(f"*.{HOST}",)), R11), refused(62, "Hostname mismatch")),
     "fail", f"certificate is for *.{HOST}, not {HOST}"),
    ("no SANs at all (CN only)", facts((cert(names=()), R11), refused(62, "Hostname mismatch")), "fail",
     "no DNS names (no subjectAltName)"),
    # Untrusted is a failure, self-signed or not; trusted through the caBundle it is a warning.
    ("self-signed, not trusted", facts((SELF,), refused(18, "self-signed certificate")), "fail",
     "self-signed certificate not trusted: the system trust store does not trust it and no checks.tls.caBundle "
     "is given"),
    ("self-signed, trusted by neither store", facts((SELF,), refused(18, "self-signed certificate"),
                                                    refused(18, "self-signed certificate", BUNDLE)), "fail",
     "self-signed certificate not trusted: neither the system trust store nor checks.tls.caBundle trusts it"),
    ("self-signed, trusted with the caBundle", facts((SELF,), refused(18, "self-signed certificate"), ok(SELF, trust=BUNDLE)),
     "warn", "self-signed certificate: not recommended"),
    ("private CA trusted with the caBundle", facts((CORP_LEAF,), refused(20, "unable to get local issuer certificate"),
                                                   ok(CORP_LEAF, CORP_ROOT, trust=BUNDLE)), "warn",
     f"certificate from a private CA ({CORP_CA}), trusted only with checks.tls.caBundle: not recommended"),
    ("private CA and expiring: both said", facts((cert(issuer=CORP_CA, left=dt.timedelta(days=10)),),
                                                 refused(20, "unable to get local issuer certificate"),
                                                 ok(CORP_LEAF, CORP_ROOT, trust=BUNDLE)), "warn",
     "not recommended; certificate expires on"),
    ("server sends its private root", facts((CORP_LEAF, CORP_ROOT), refused(19, "self-signed certificate in certificate chain")),
     "fail", f"certificate from a private CA not trusted: the server sends its root ({CORP_CA})"),
    ("server sends its private root, trusted with the caBundle",
     facts((CORP_LEAF, CORP_ROOT), refused(19, "self-signed certificate in certificate chain"),
           ok(CORP_LEAF, CORP_ROOT, trust=BUNDLE)), "warn", f"certificate from a private CA ({CORP_CA})"),
    # A certificate other than the leaf is wrong: it is named, with its place and its own dates.
    ("expired intermediate", facts((LEAF, EXPIRED_R11), refused(10, "certificate has expired")), "fail",
     f"the intermediate certificate {LE_R11} (certificate 2 of 2 the server sends) expired on 2026-11-18 12:00 UTC; "
     "the leaf is valid until 2027-01-27 12:00 UTC"),
    ("intermediate not yet valid", facts((LEAF, FUTURE_R11), refused(9, "certificate is not yet valid")), "fail",
     f"the intermediate certificate {LE_R11} (certificate 2 of 2 the server sends) is not valid before "
     "2026-12-08 12:00 UTC"),
    ("expired root the server does not send", facts((LEAF, R11), refused(10, "certificate has expired")), "fail",
     "a CA certificate in the trust path (not one the server sends) has expired"),
    ("unknown issuer, leaf only, no caBundle", facts((CORP_LEAF,), refused(20, "unable to get local issuer certificate")),
     "fail", f"certificate not trusted (20 unable to get local issuer certificate): the server sends only its own "
             f"certificate, issued by {CORP_CA}, which the system trust store does not know"),
    ("unknown issuer for the system store and the caBundle",
     facts((CORP_LEAF,), refused(20, "unable to get local issuer certificate"),
           refused(20, "unable to get local issuer certificate", BUNDLE)), "fail",
     "neither the system trust store nor checks.tls.caBundle knows"),
    ("missing intermediate, completed from the caBundle",
     facts((LEAF,), refused(20, "unable to get local issuer certificate"), ok(LEAF, R11, ROOT, trust=BUNDLE)), "fail",
     f"incomplete chain: serve the intermediate {LE_R11} (the server sends only its own certificate)"),
    ("missing intermediate the system store happened to have", facts((LEAF,), ok(LEAF, R11, ROOT)), "fail",
     "incomplete chain: serve the intermediate"),
    ("other verify error", facts(system=refused(26, "unsupported certificate purpose")), "fail",
     "certificate not trusted (26 unsupported certificate purpose)"),
    ("wrong host on a private CA", facts((cert(issuer=CORP_CA, names=("intranet.example.com",)),),
                                         refused(20, "unable to get local issuer certificate"),
                                         refused(62, "Hostname mismatch", BUNDLE)), "fail",
     f"certificate is for intranet.example.com, not {HOST}"),
    ("self-signed and expired: expiry fails", facts((cert(issuer=f"CN={HOST}", self_signed=True, left=-dt.timedelta(days=1)),),
                                                    refused(18, "self-signed certificate")), "fail", "expired"),
    ("expired and wrong host: both said", facts((cert(names=("old.example.com",), left=-dt.timedelta(days=1)), R11),
                                                refused(62, "Hostname mismatch")), "fail",
     f"expired on 2026-11-27 12:00 UTC; certificate is for old.example.com, not {HOST}"),
]


@pytest.mark.parametrize(("why", "f", "status", "summary_has"), CASES, ids=[c[0] for c in CASES])
def test_certificate_judged(why, f, status, summary_has):
    result = judge(f)
    assert result.status == status, result
    assert summary_has in result.summary


@pytest.mark.parametrize(("why", "f", "status", "summary_has"), CASES, ids=[c[0] for c in CASES])
def test_evidence_always_shows_subject_issuer_sans_and_expiry(why, f, status, summary_has):
    leaf = f.served[0]
    evidence = judge(f).evidence
    assert f"subject: {leaf.subject}" in evidence
    assert f"issuer: {leaf.issuer}" in evidence
    assert any(e.startswith("subjectAltName: ") for e in evidence)
    assert any(f"notAfter: {leaf.not_after:%Y-%m-%d %H:%M} UTC" in e for e in evidence)


def test_self_signed_remedy_explains_ca_injection():
    result = judge(facts((SELF,), refused(18, "self-signed certificate")))
    assert "customCACerts" in result.remedy and "caCertsConfigMap" in result.remedy
    assert "REQUESTS_CA_BUNDLE" in result.remedy


def test_incomplete_chain_remedy_is_to_serve_the_full_chain():
    result = judge(facts((LEAF,), ok(LEAF, R11, ROOT)))
    assert "leaf followed by its intermediate(s)" in result.remedy
    # A public CA's chain completed from the caBundle is not reported as a private CA.
    assert not any("private CA" in e for e in result.evidence)


def test_unknown_issuer_remedy_points_at_the_published_intermediate():
    leaf = cert(issuer=LE_R11, ca_issuers=("http://r11.i.lencr.org/",))
    result = judge(facts((leaf,), refused(20, "unable to get local issuer certificate")))
    assert "published at http://r11.i.lencr.org/" in result.remedy
    assert "issuer certificate published at: http://r11.i.lencr.org/" in result.evidence


def test_hostname_remedy_names_the_host_and_its_wildcard():
    result = judge(facts((OTHER_HOST, R11), refused(62, "Hostname mismatch")))
    assert result.remedy == f"Issue a certificate whose subjectAltName includes {HOST} (or *.example.com)."


def test_a_warning_alongside_a_failure_stays_in_the_evidence():
    expired_self = cert(issuer=f"CN={HOST}", self_signed=True, left=-dt.timedelta(days=1))
    f = facts((expired_self,), refused(18, "self-signed certificate"),
              refused(10, "certificate has expired", BUNDLE))  # trusted by the caBundle, but expired
    result = judge(f)
    assert result.status == "fail" and result.summary.startswith("certificate expired on")
    assert "also: self-signed certificate: not recommended" in result.evidence


def test_an_expired_intermediate_is_named_in_the_evidence_and_the_remedy():
    result = judge(facts((cert(ca_issuers=("http://r11.i.lencr.org/",)), EXPIRED_R11), refused(10, "certificate has expired")))
    assert f"certificate 2 (intermediate): subject {LE_R11}, issuer {LE_ROOT}, notBefore 2024-06-11 12:00 UTC, " \
           "notAfter 2026-11-18 12:00 UTC (expired 10 days ago)" in result.evidence
    assert f"Replace the expired intermediate {LE_R11}" in result.remedy
    assert "published at http://r11.i.lencr.org/" in result.remedy and "The leaf itself need not change" in result.remedy
    assert "Renew the certificate for" not in result.remedy  # the leaf is fine


def test_verification_outcomes_are_in_the_evidence():
    f = facts((CORP_LEAF,), refused(20, "unable to get local issuer certificate"), ok(CORP_LEAF, CORP_ROOT, trust=BUNDLE))
    evidence = judge(f).evidence
    assert ("verified with the system trust store (/etc/ssl/certs/ca-certificates.crt): refused, 20 unable to get "
            "local issuer certificate") in evidence
    assert "verified with the system trust store + caBundle corp-ca.pem: ok" in evidence


def test_expiry_warning_threshold_comes_from_requirements():
    req = load_requirements()
    longer = req.model_copy(update={"network": req.network.model_copy(update={
        "tls": req.network.tls.model_copy(update={"expiry_warning_days": 90})})})
    custom = CheckInputs(make_answers(host=HOST), longer, Path.cwd())
    assert judge(facts(), custom).status == "warn"  # 60 days left < 90
    assert judge(facts()).status == "pass"  # the shipped 30 days


@pytest.mark.parametrize(("kind", "summary"), [
    ("refused", f"nothing listening at {HOST}:443"),
    ("timeout", f"no answer at {HOST}:443"),
    ("unresolvable", f"host name does not resolve at {HOST}:443"),
    ("unreachable", f"cannot connect at {HOST}:443"),
    ("not-tls", f"not a TLS endpoint at {HOST}:443"),
    ("handshake", f"TLS handshake failed at {HOST}:443"),
])
def test_connection_failures_fail_with_the_reason(kind, summary):
    f = TlsFacts(server_name=HOST, address=f"{HOST}:443", now=NOW, error=ConnectError(kind, "what the OS said"))
    result = judge(f)
    assert (result.status, result.summary) == ("fail", summary)
    assert "what the OS said" in result.evidence
    assert result.remedy


def test_unreadable_ca_bundle_fails_naming_the_file():
    f = facts(ca_bundle_error="/home/me/corp.pem: No such file or directory")
    result = judge(f)
    assert result.status == "fail"
    assert "checks.tls.caBundle" in result.summary
    assert "/home/me/corp.pem: No such file or directory" in result.evidence


@pytest.mark.parametrize(("names", "host", "matches"), [
    (("wandb.example.com",), "wandb.example.com", True),
    (("WANDB.Example.COM",), "wandb.example.com", True),
    (("wandb.example.com.",), "wandb.example.com", True),
    (("other.example.com", "wandb.example.com"), "wandb.example.com", True),
    (("*.example.com",), "wandb.example.com", True),
    (("*.example.com",), "example.com", False),
    (("*.example.com",), "a.wandb.example.com", False),
    (("*.wandb.example.com",), "wandb.example.com", False),
    (("w*.example.com",), "wandb.example.com", False),  # partial wildcards: not matched (like Python/OpenSSL)
    (("*andb.example.com",), "wandb.example.com", False),
    (("*.com",), "example.com", False),  # no wildcard over a bare TLD
    (("wandb.*.com",), "wandb.example.com", False),
    (("example.com",), "wandb.example.com", False),
    ((), "wandb.example.com", False),
])
def test_hostname_matching(names, host, matches):
    assert hostname_matches(host, names) is matches
