"""license.valid: the license's shape and expiry, read (not verified) from the JWT; no network."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import subprocess
import sys
import textwrap

import pytest

from sandbox.license import make_license
from tests.checks.support import inputs, make_answers, make_secrets, run_checks
from wbinstall.checks.license import judge, token

NOW = dt.datetime(2026, 12, 2, 6, 0, tzinfo=dt.timezone.utc)
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(payload: object, header: object = None) -> str:
    header = {"alg": "RS256", "typ": "JWT"} if header is None else header
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}.c2lnbmF0dXJl"


def judged(license_text: str | None, now: dt.datetime = NOW):
    return judge.license_valid({"license": token.read(license_text, now)}, inputs(make_answers()))


# ---- the reader: shape and expiry ---------------------------------------------------------

@pytest.mark.parametrize(("text", "problem"), [
    ("license-value-7f3a9c", "three parts separated by '.', this has 1"),
    ("a.b", "this has 2"),
    ("a.b.c.d", "this has 4"),
    (".eyJ9.c2ln", "header (part 1 of 3) is empty"),
    (jwt({"exp": 1}).rsplit(".", 1)[0] + ".", "signature (part 3 of 3) is empty"),
    ("ab+c.eyJ9.c2ln", "header (part 1 of 3) is not base64url"),
    ("bm90IGpzb24.eyJ9.c2ln", "header (part 1 of 3) does not decode to JSON"),
    (f"{_b64(b'{}')}.{_b64(b'[1, 2]')}.c2ln", "payload (part 2 of 3) is JSON but not an object"),
    (f"{_b64(b'{}')}.{_b64(b'{')}.c2ln", "payload (part 2 of 3) does not decode to JSON"),
    ("eyJ9\n.eyJ9.c2ln", "spaces or line breaks"),
    ("a." * 40000 + "b", "far more than a license"),
])
def test_a_text_that_is_not_a_jwt_is_named_for_its_defect(text, problem):
    facts = token.read(text, NOW)
    assert facts.present and problem in facts.shape_problem
    assert facts.expires is None


@pytest.mark.parametrize(("payload", "expires", "problem"), [
    ({"exp": 1798761600}, dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc), ""),
    ({"exp": 1798761600.5}, dt.datetime(2027, 1, 1, 0, 0, 0, 500000, tzinfo=dt.timezone.utc), ""),
    ({"sub": "x"}, None, "no expiry (exp claim)"),
    ({"exp": "2027-01-01"}, None, "not a number of seconds"),
    ({"exp": True}, None, "not a number of seconds"),
    ({"exp": 10 ** 20}, None, "not a date"),
])
def test_the_expiry_is_read_from_the_exp_claim(payload, expires, problem):
    facts = token.read(jwt(payload), NOW)
    assert (facts.shape_problem, facts.expires) == ("", expires)
    assert problem in facts.expiry_problem and bool(problem) == bool(facts.expiry_problem)


def test_no_value_at_all_is_not_present():
    assert token.read(None, NOW).present is False
    assert token.read("  ", NOW).present is False


# ---- the judge: pass, warn, fail ----------------------------------------------------------

def test_a_license_a_year_from_expiry_passes_showing_only_its_date():
    result = judged(jwt({"exp": int((NOW + dt.timedelta(days=365)).timestamp()), "customer": "Acme Corp",
                         "maxUsers": 250}))
    assert result.status == "pass"
    assert result.summary == "the license expires on 2027-12-02 (in 365 days)"
    shown = " ".join([result.summary, *result.evidence, result.remedy or ""])
    assert "Acme" not in shown and "250" not in shown and "RS256" not in shown


def test_a_license_under_30_days_from_expiry_warns():
    result = judged(jwt({"exp": int((NOW + dt.timedelta(days=12, hours=3)).timestamp())}))
    assert result.status == "warn"
    assert result.summary == "the license expires on 2026-12-14, in 12 days"
    assert "Renew the license with W&B before 2026-12-14" in result.remedy


def test_the_warning_threshold_is_data():
    from dataclasses import replace

    base = inputs(make_answers())
    req = base.requirements.model_copy(update={"license": base.requirements.license.model_copy(
        update={"expiry_warning_days": 7})})
    facts = token.read(jwt({"exp": int((NOW + dt.timedelta(days=12)).timestamp())}), NOW)
    assert judge.license_valid({"license": facts}, replace(base, requirements=req)).status == "pass"


def test_an_expired_license_fails_with_its_date():
    result = judged(jwt({"exp": int((NOW - dt.timedelta(days=3)).timestamp())}))
    assert result.status == "fail"
    assert result.summary == "the license expired on 2026-11-29, 3 days ago"
    assert "environment variable WB_TEST_LICENSE" in result.remedy


def test_a_malformed_license_fails_without_quoting_it():
    result = judged("license-value-7f3a9c")
    assert result.status == "fail" and "not a W&B license (a JWT)" in result.summary
    assert "7f3a9c" not in " ".join([result.summary, *result.evidence, result.remedy or ""])


def test_a_jwt_without_an_expiry_warns():
    result = judged(jwt({"sub": "x"}))
    assert result.status == "warn" and "its expiry cannot be checked" in result.summary


def test_no_license_value_fails_naming_where_it_should_come_from():
    result = judged(None)
    assert result.status == "fail" and "environment variable WB_TEST_LICENSE" in result.remedy


# ---- through the engine and the CLI -------------------------------------------------------

def test_the_engine_reads_the_resolved_license():
    license_text = make_license(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=90))
    results = run_checks(make_answers(), make_secrets(license=license_text), only=["license.valid"])
    assert results["license.valid"].status == "pass"
    assert license_text not in repr(results)


ANSWERS = textwrap.dedent("""\
    apiVersion: wbinstall/v1
    workload: models
    environment: test
    cloud: other
    host: wandb.example.com
    license: {file: license.jwt}
    mysql: {host: db.example.com, password: {env: WB_TEST_MYSQL_PASSWORD}}
    storage: {provider: s3, bucket: wandb-bucket, region: us-east-1}
    """)


@pytest.mark.parametrize(("days", "status", "code"), [(200, "PASS", 0), (10, "WARN", 0), (-1, "FAIL", 1)])
def test_cli_check_only_license(tmp_path, days, status, code):
    (tmp_path / "answers.yaml").write_text(ANSWERS)
    expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days, hours=1)
    license_text = make_license(expires)
    (tmp_path / "license.jwt").write_text(license_text + "\n")
    env = {**os.environ, "WB_TEST_MYSQL_PASSWORD": "pw", "NO_COLOR": "1"}
    r = subprocess.run([sys.executable, "-m", "wbinstall", "check", "--answers", str(tmp_path / "answers.yaml"),
                        "--only", "license.valid"], capture_output=True, text=True, env=env, cwd=REPO, timeout=60)
    assert r.returncode == code, r.stdout + r.stderr
    assert r.stdout.startswith(f"{status}  license.valid")
    assert expires.strftime("%Y-%m-%d") in r.stdout
    assert license_text not in r.stdout + r.stderr and license_text.split(".")[1] not in r.stdout
