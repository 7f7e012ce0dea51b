"""Strict checks (the reference architecture's hard requirements): checks.skip cannot skip
them or what they need; only --override-strict on the command line lets a run go past one, and
that is recorded in the output and the saved answers."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from sandbox.mysql_mimic_server import WANDB_RECOMMENDED
from tests.apply.support import wbinstall
from tests.checks.support import make_answers, make_secrets
from wbinstall.checklist import CHECK_IDS, needed_by, strict_ids
from wbinstall.checks import engine

README = Path(__file__).resolve().parents[2] / "README.md"
STRICT = ("k8s.version", "k8s.arch", "k8s.ingress", "k8s.storage", "mysql.version", "storage.presign")


def answers_text(*, skip=(), overrides=(), mysql_port=3306, extra=""):
    skips = "".join(f"\n    - {{id: {i}, reason: lab}}" for i in skip) or " []"
    recorded = f"\n  strictOverrides: [{', '.join(overrides)}]" if overrides else ""
    text = textwrap.dedent(f"""\
        apiVersion: wbinstall/v1
        workload: models
        environment: test
        cloud: aws
        host: wandb.sandbox.test
        license: {{env: WB_TEST_LICENSE}}
        mysql: {{host: 127.0.0.1, port: {mysql_port}, database: wandb_local, user: wandb_local,
                 password: {{env: WB_TEST_MYSQL_PASSWORD}}}}
        storage: {{provider: s3, bucket: b, region: us-east-1}}
        checks:
          timeout: 5
          skip:""") + skips + "\n" + extra
    return text.replace("  timeout: 5", "  timeout: 5" + recorded)


def write(tmp_path, text):
    path = tmp_path / "answers.yaml"
    path.write_text(text)
    return path


def test_the_declared_strict_checks_are_the_hard_requirements_and_the_readme_lists_them():
    assert strict_ids() == STRICT
    section = README.read_text().split("### Strict checks", 1)[1].split("\n#", 1)[0]
    listed = [part for part in section.split("\n\n") if part.strip()][1]  # the paragraph after the first
    assert tuple(re.findall(r"`([a-z0-9]+\.[a-z-]+)`", listed)) == STRICT


def test_needed_by_follows_dependencies_transitively():
    assert needed_by("k8s.connect") == tuple(i for i in CHECK_IDS if i.startswith("k8s.") and i != "k8s.connect")
    assert needed_by("storage.access") == ("storage.presign", "storage.cors")
    assert needed_by("k8s.arch") == ()


def test_skipping_a_strict_check_is_refused_at_validation_naming_the_line(tmp_path):
    path = write(tmp_path, answers_text(skip=("k8s.arch",)))
    r = wbinstall("validate", "--answers", str(path))
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"{path}:13:" in r.stderr and "checks.skip[0].id" in r.stderr
    assert "k8s.arch is a strict check" in r.stderr and "--override-strict k8s.arch" in r.stderr
    assert "Traceback" not in r.stderr


def test_skipping_what_a_strict_check_needs_is_refused_naming_the_strict_checks(tmp_path):
    r = wbinstall("validate", "--answers", str(write(tmp_path, answers_text(skip=("storage.access",)))))
    assert r.returncode == 2
    assert "storage.access cannot be skipped: the strict check(s) storage.presign need it" in r.stderr


def test_skipping_a_check_no_strict_check_needs_is_allowed(tmp_path):
    r = wbinstall("validate", "--answers", str(write(tmp_path, answers_text(skip=("storage.cors", "k8s.rbac")))))
    assert r.returncode == 0, r.stderr


def test_the_flag_lets_a_skip_through_and_says_so(tmp_path):
    path = write(tmp_path, answers_text(skip=("k8s.arch",)))
    r = wbinstall("validate", "--answers", str(path), "--override-strict", "k8s.arch")
    assert r.returncode == 0, r.stderr
    assert "--override-strict k8s.arch: lab use only" in r.stderr


def test_a_file_recording_an_override_needs_the_flag_again(tmp_path):
    path = write(tmp_path, answers_text(overrides=("k8s.arch",)))
    r = wbinstall("validate", "--answers", str(path))
    assert r.returncode == 2
    assert f"{path}:12:" in r.stderr and "checks.strictOverrides[0]" in r.stderr
    assert "holds only with --override-strict k8s.arch on the command line" in r.stderr
    assert wbinstall("--override-strict", "k8s.arch", "validate", "--answers", str(path)).returncode == 0


@pytest.mark.parametrize("given", ["k8s.rbac", "k8s.arhc"])
def test_the_flag_takes_strict_check_ids_only(tmp_path, given):
    r = wbinstall("validate", "--answers", str(write(tmp_path, answers_text())), "--override-strict", given)
    assert r.returncode == 2
    assert f"--override-strict: {given} is not a strict check; strict checks: {', '.join(STRICT)}" in r.stderr


def test_an_answers_file_cannot_list_a_check_that_is_not_strict(tmp_path):
    r = wbinstall("--override-strict", "k8s.arch", "validate", "--answers",
                  str(write(tmp_path, answers_text(overrides=("k8s.rbac",)))))
    assert r.returncode == 2 and "k8s.rbac is not a strict check" in r.stderr


# ---- a real failure of a strict check: MySQL 5.7 (mysql.version) -------------------------------

def test_a_failing_strict_check_stops_the_run_without_the_flag(sandbox_mysql, tmp_path):
    db = sandbox_mysql("mysql-5.7.44", variables=WANDB_RECOMMENDED)
    path = write(tmp_path, answers_text(mysql_port=db.port))
    r = wbinstall("check", "--answers", str(path), "--only", "mysql.version",
                  env={"WB_TEST_MYSQL_PASSWORD": db.password})
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout.startswith("FAIL  mysql.version")


@pytest.mark.parametrize("output", ["text", "json"])
def test_with_the_flag_the_failure_is_reported_as_let_past_and_does_not_stop_the_run(sandbox_mysql, tmp_path, output):
    db = sandbox_mysql("mysql-5.7.44", variables=WANDB_RECOMMENDED)
    path = write(tmp_path, answers_text(mysql_port=db.port))
    r = wbinstall("check", "--answers", str(path), "--only", "mysql.version", "--output", output,
                  "--override-strict", "mysql.version", env={"WB_TEST_MYSQL_PASSWORD": db.password})
    assert r.returncode == 0, r.stdout + r.stderr
    if output == "json":
        result = json.loads(r.stdout)["results"][0]
        assert result["status"] == "warn"
        assert result["summary"].startswith("FAILED, let past by --override-strict (lab use only): ")
        assert "5.7.44" in result["summary"]
    else:
        assert r.stdout.startswith("WARN  mysql.version  FAILED, let past by --override-strict")


def test_the_engine_lets_past_only_the_overridden_strict_check(sandbox_mysql):
    db = sandbox_mysql("mysql-5.7.44", variables=WANDB_RECOMMENDED)
    mysql = {"host": db.host, "port": db.port, "user": db.user, "database": db.database}
    secrets = make_secrets(**{"mysql.password": db.password})
    held = engine.run(make_answers(mysql=mysql), secrets, Path.cwd(), only=["mysql.version"])
    past = engine.run(make_answers(mysql=mysql, checks={"strictOverrides": ["mysql.version"]}), secrets, Path.cwd(),
                      only=["mysql.version"])
    assert [r.status for r in held] == ["fail"] and [r.status for r in past] == ["warn"]
    assert past[0].evidence[:-1] == held[0].evidence
