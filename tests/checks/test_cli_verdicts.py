"""`wbinstall check --only ID` end to end against the sandbox's real servers: the verdicts and
messages of issue 11 (untrusted self-signed, expired intermediate, CNAME loop, newer W&B advice)
as a pipeline sees them: the exit code and the report's lines."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from sandbox.mysql_mimic_server import WANDB_RECOMMENDED

REPO = Path(__file__).resolve().parents[2]
HOST = "wandb.sandbox.test"


def check(tmp_path: Path, check_id: str, env: dict[str, str] | None = None, **sections) -> subprocess.CompletedProcess:
    answers = {
        "apiVersion": "wbinstall/v1", "workload": "models", "environment": "test", "cloud": "other", "host": HOST,
        "license": {"env": "WB_TEST_LICENSE"},
        "mysql": {"host": "127.0.0.1", "password": {"env": "WB_TEST_MYSQL_PASSWORD"}},
        "storage": {"provider": "s3", "bucket": "wandb-bucket", "region": "us-east-1"},
        **sections,
    }
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump(answers, sort_keys=False))
    run_env = {**os.environ, "WB_TEST_LICENSE": "unused-here", "WB_TEST_MYSQL_PASSWORD": "pw", "NO_COLOR": "1",
               **(env or {})}
    return subprocess.run([sys.executable, "-m", "wbinstall", "check", "--answers", str(path), "--only", check_id,
                           "--timeout", "5"], capture_output=True, text=True, env=run_env, cwd=REPO, timeout=60)


def tls_trust(sandbox_ca, tmp_path: Path) -> dict[str, str]:
    """The sandbox root plays the system trust store (as in test_tls_probe's public_trust)."""
    empty = tmp_path / "no-system-cas"
    empty.mkdir(exist_ok=True)
    return {"SSL_CERT_FILE": str(sandbox_ca.bundle_path), "SSL_CERT_DIR": str(empty)}


def test_untrusted_self_signed_certificate_exits_1(sandbox_tls, sandbox_ca, tmp_path):
    listener = sandbox_tls["self_signed"]
    r = check(tmp_path, "tls.certificate", tls_trust(sandbox_ca, tmp_path),
              checks={"tls": {"address": f"127.0.0.1:{listener.port}"}})
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout.startswith("FAIL  tls.certificate  self-signed certificate not trusted")


def test_self_signed_certificate_trusted_through_the_cabundle_warns_and_exits_0(sandbox_tls, sandbox_ca, tmp_path):
    listener = sandbox_tls["self_signed"]
    r = check(tmp_path, "tls.certificate", tls_trust(sandbox_ca, tmp_path),
              checks={"tls": {"address": f"127.0.0.1:{listener.port}", "caBundle": str(listener.ca_bundle)}})
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("WARN  tls.certificate  self-signed certificate: not recommended")


def test_expired_intermediate_is_named_in_the_report(sandbox_tls, sandbox_ca, tmp_path):
    listener = sandbox_tls["expired_intermediate"]
    r = check(tmp_path, "tls.certificate", tls_trust(sandbox_ca, tmp_path),
              checks={"tls": {"address": f"127.0.0.1:{listener.port}"}})
    assert r.returncode == 1, r.stdout + r.stderr
    first = r.stdout.splitlines()[0]
    assert first.startswith("FAIL  tls.certificate  the intermediate certificate CN=Sandbox Expired Intermediate CA")
    assert f"the leaf is valid until {listener.facts.not_after:%Y-%m-%d %H:%M} UTC" in first
    assert "seen: certificate 2 (intermediate): subject CN=Sandbox Expired Intermediate CA" in r.stdout
    assert "fix:  Replace the expired intermediate" in r.stdout


def test_cname_loop_is_named_in_the_report(sandbox_dns, tmp_path):
    sandbox_dns.set_cname(HOST, "edge.sandbox.test")
    sandbox_dns.set_cname("edge.sandbox.test", HOST)
    no_clusters = tmp_path / "kubeconfig"  # the load balancer's address stays unknown: not under test here
    no_clusters.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    r = check(tmp_path, "dns.a-record", kubernetes={"kubeconfig": str(no_clusters)},
              checks={"dns": {"nameservers": [f"{sandbox_dns.host}:{sandbox_dns.port}"]}})
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout.startswith(f"FAIL  dns.a-record  the CNAME records of {HOST} form a loop: "
                               f"{HOST} -> edge.sandbox.test -> {HOST}")
    assert "could not ask a resolver" not in r.stdout and "Break the loop" in r.stdout


def test_mysql_8_0_meets_the_floor_and_warns_with_the_newer_advice(sandbox_mysql, tmp_path):
    db = sandbox_mysql("mysql-8.0.36", variables=WANDB_RECOMMENDED)
    r = check(tmp_path, "mysql.version", {"WB_TEST_MYSQL_PASSWORD": db.password},
              mysql={"host": db.host, "port": db.port, "user": db.user, "database": db.database,
                     "password": {"env": "WB_TEST_MYSQL_PASSWORD"}})
    # mysql.version depends on mysql.connect, which passes: only the selected check is shown.
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("WARN  mysql.version  MySQL Community Server 8.0.36 meets the minimum 8.0.11 (GA); "
                               "MySQL 8.0 reached end of life in April 2026: W&B's current docs ask for MySQL 8.4.x")
    assert "seen: advice: MySQL 8.0 reached end of life in April 2026" in r.stdout
    assert "self-managed-mysql-eol-upgrade.mdx, read 2026-" in r.stdout


def test_mysql_8_4_passes(sandbox_mysql, tmp_path):
    db = sandbox_mysql("mysql-8.4.8", variables=WANDB_RECOMMENDED)
    r = check(tmp_path, "mysql.version", {"WB_TEST_MYSQL_PASSWORD": db.password},
              mysql={"host": db.host, "port": db.port, "user": db.user, "database": db.database,
                     "password": {"env": "WB_TEST_MYSQL_PASSWORD"}})
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("PASS  mysql.version  MySQL Community Server 8.4.8")
