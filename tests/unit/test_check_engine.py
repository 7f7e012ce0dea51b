"""The check engine: skips with reasons, dependencies, deadlines, and the three report faces.

These tests register small probes of their own: what is under test is the engine's
bookkeeping (which runs, what is skipped, what a stuck probe turns into), not any server.
"""

import json
import threading
import xml.etree.ElementTree as ET

import pytest

from tests.checks.support import make_answers, make_secrets
from wbinstall.checks import engine, registry, report
from wbinstall.checks.registry import Check, Probe
from wbinstall.checks.result import failed, passed


@pytest.fixture
def fake_area(monkeypatch):
    """Two checks on one probe, a dependent check, and a probe that never returns."""
    calls = {"quick": 0}
    release = threading.Event()

    def quick(ctx):
        calls["quick"] += 1
        return {"version": "8.0.36", "password": ctx.secrets[("mysql", "password")]}

    def stuck(ctx):
        release.wait(30)  # ignores its deadline on purpose
        return {}

    probes = {"quick": Probe("quick", quick), "stuck": Probe("stuck", stuck)}
    checks = {
        "t.connect": Check("t.connect", ("quick",), lambda f, i: passed("t.connect", "connected")),
        "t.version": Check("t.version", ("quick",),
                           lambda f, i: failed("t.version", "too old", f["quick"]["version"]), after=("t.connect",)),
        "t.after-version": Check("t.after-version", ("quick",),
                                 lambda f, i: passed("t.after-version", "x"), after=("t.version",)),
        "t.leaky": Check("t.leaky", ("quick",),
                         lambda f, i: passed("t.leaky", f"password is {f['quick']['password']}")),
        "t.stuck": Check("t.stuck", ("stuck",), lambda f, i: passed("t.stuck", "never")),
    }
    monkeypatch.setattr(registry, "PROBES", probes)
    monkeypatch.setattr(engine, "PROBES", probes)
    monkeypatch.setattr(engine, "CHECKS", checks)
    monkeypatch.setattr(engine, "CHECK_IDS", tuple(checks))
    monkeypatch.setattr(engine, "PHASES", {"preflight": tuple(checks), "verify": ()})
    yield calls
    release.set()


def run(answers=None, **kw):
    return {r.id: r for r in engine.run(answers or make_answers(), make_secrets(**{"mysql.password": "s3cr3t-pw"}),
                                        None, **kw)}


def test_a_probe_runs_once_for_all_its_checks(fake_area):
    run(only=["t.connect", "t.version", "t.leaky"])
    assert fake_area["quick"] == 1


def test_a_dependent_check_is_skipped_with_the_cause(fake_area):
    results = run(only=["t.version", "t.after-version"])
    assert results["t.version"].status == "fail"
    assert results["t.after-version"].status == "skip"
    assert "t.version failed" in results["t.after-version"].summary
    assert set(results) == {"t.version", "t.after-version"}  # dependencies run, but are not shown


def test_a_selected_check_blocked_by_a_failed_dependency_brings_that_result(fake_area):
    # Only the dependent is asked for; its dependency failed: the report shows why, and a
    # failure is in the list (so `check` exits 1), in the stable id order.
    results = engine.run(make_answers(), make_secrets(), None, only=["t.after-version"])
    assert [(r.id, r.status) for r in results] == [("t.version", "fail"), ("t.after-version", "skip")]
    assert results[0].summary == "too old" and results[0].evidence == ("8.0.36",)
    assert "not run: t.version failed" in results[1].summary


def test_a_failure_two_dependencies_up_is_shown_with_the_skip_between(fake_area, monkeypatch):
    checks = dict(engine.CHECKS)
    checks["t.connect"] = Check("t.connect", ("quick",), lambda f, i: failed("t.connect", "refused"))
    monkeypatch.setattr(engine, "CHECKS", checks)
    results = engine.run(make_answers(), make_secrets(), None, only=["t.after-version"])
    assert [(r.id, r.status) for r in results] == [("t.connect", "fail"), ("t.version", "skip"),
                                                   ("t.after-version", "skip")]


def test_a_dependency_the_user_skipped_is_not_a_failure(fake_area, monkeypatch):
    monkeypatch.setattr("wbinstall.answers.model.SKIPPABLE_IDS", engine.CHECK_IDS)
    answers = make_answers(checks={"skip": [{"id": "t.version", "reason": "DBA signed off"}]})
    results = engine.run(answers, make_secrets(), None, only=["t.after-version"])
    assert [(r.id, r.status) for r in results] == [("t.after-version", "skip")]
    assert "was skipped" in results[0].summary


def test_a_passing_dependency_is_not_shown(fake_area):
    results = engine.run(make_answers(), make_secrets(), None, only=["t.version"])
    assert [r.id for r in results] == ["t.version"]


def test_a_probe_that_ignores_its_deadline_becomes_a_timeout_result(fake_area):
    results = run(only=["t.stuck", "t.connect"], timeout=0.2)
    assert results["t.stuck"].status == "fail" and "no answer within 0.2 s" in results["t.stuck"].summary
    assert results["t.connect"].status == "pass"
    assert "allow more time with --timeout SECONDS." in (results["t.stuck"].remedy or "")


def test_the_timeout_remedy_takes_the_faces_way_to_more_time(fake_area):
    results = run(only=["t.stuck"], timeout=0.2, more_time="Ctrl-T (more time)")
    assert (results["t.stuck"].remedy or "").endswith("allow more time with Ctrl-T (more time).")
    assert "--timeout" not in (results["t.stuck"].remedy or "")


def test_a_results_data_reaches_the_json_report_only(fake_area, monkeypatch):
    from dataclasses import replace

    checks = dict(engine.CHECKS)
    checks["t.connect"] = Check("t.connect", ("quick",), lambda f, i: replace(
        passed("t.connect", "connected"), data={"nodes": [{"name": "n1"}, {"name": "n2"}]}))
    monkeypatch.setattr(engine, "CHECKS", checks)
    results = list(run(only=["t.connect"]).values())
    assert json.loads(report.to_json(results))["results"][0]["data"] == {"nodes": [{"name": "n1"}, {"name": "n2"}]}
    assert "n2" not in report.text(results)


def test_user_skips_carry_their_reason_into_every_report(fake_area, monkeypatch):
    monkeypatch.setattr("wbinstall.answers.model.SKIPPABLE_IDS", engine.CHECK_IDS)
    answers = make_answers(checks={"skip": [{"id": "t.version", "reason": "DBA signed off on 8.0.36"}]})
    results = list(run(answers, only=["t.version", "t.after-version"]).values())
    assert results[0].status == "skip" and "DBA signed off on 8.0.36" in results[0].summary
    assert "DBA signed off on 8.0.36" in report.text(results)
    assert "DBA signed off on 8.0.36" in report.to_json(results)
    assert "DBA signed off on 8.0.36" in report.junit(results)
    assert results[1].status == "skip" and "was skipped" in results[1].summary


def test_a_secret_echoed_by_a_judge_is_scrubbed(fake_area):
    result = run(only=["t.leaky"])["t.leaky"]
    assert "s3cr3t-pw" not in result.summary and "<redacted>" in result.summary



@pytest.mark.parametrize("broken", ["probe", "judge"])
def test_a_crash_is_reported_with_its_traceback_in_the_log_file(fake_area, monkeypatch, tmp_path, broken):
    """"The check itself failed" names the log file, which has the traceback (secrets taken out)."""
    monkeypatch.setenv("WBINSTALL_STATE_DIR", str(tmp_path))

    def crash(*_):
        raise KeyError("no such field (password s3cr3t-pw)")

    if broken == "probe":
        probes = {**engine.PROBES, "quick": Probe("quick", crash)}
        monkeypatch.setattr(registry, "PROBES", probes)
        monkeypatch.setattr(engine, "PROBES", probes)
    else:
        monkeypatch.setattr(engine, "CHECKS", {**engine.CHECKS, "t.connect": Check("t.connect", ("quick",), crash)})
    result = run(only=["t.connect"])["t.connect"]
    assert result.status == "fail" and result.summary == "the check itself failed: please report this"
    log = tmp_path / "wbinstall.log"
    assert f"details in {log}" in result.evidence
    logged = log.read_text()
    assert "Traceback" in logged and "in crash" in logged and "no such field" in logged
    assert ("probe quick crashed" if broken == "probe" else "judge of t.connect crashed") in logged
    assert "s3cr3t-pw" not in logged and "s3cr3t-pw" not in " ".join(result.evidence)


def test_a_probes_libraries_are_imported_before_the_probes_start(fake_area, monkeypatch, tmp_path):
    """Imported once, in the calling thread: first imports of one package from several probe
    threads at once deadlocked CPython's module locks (_DeadlockError, seen in CI)."""
    import sys

    (tmp_path / "wbinstall_lazy_library.py").write_text("LOADED = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "wbinstall_lazy_library", raising=False)
    seen = {}

    def probe(ctx):
        seen["imported"] = "wbinstall_lazy_library" in sys.modules
        return {"version": "8.0.36", "password": "x"}

    probes = {**engine.PROBES, "quick": Probe("quick", probe, imports=("wbinstall_lazy_library", "no_such_library_x"))}
    monkeypatch.setattr(registry, "PROBES", probes)
    monkeypatch.setattr(engine, "PROBES", probes)
    assert run(only=["t.connect"])["t.connect"].status == "pass"  # a library that is missing is the probe's affair
    assert seen == {"imported": True}

def test_reports_list_every_result(fake_area):
    results = list(run(only=["t.connect", "t.version"]).values())
    text = report.text(results)
    assert "PASS  t.connect" in text and "FAIL  t.version" in text and "seen: 8.0.36" in text
    data = json.loads(report.to_json(results))
    assert [r["id"] for r in data["results"]] == ["t.connect", "t.version"]
    assert set(data["results"][0]) == {"id", "status", "summary", "evidence", "remedy"}
    assert data["counts"] == {"pass": 1, "warn": 0, "fail": 1, "skip": 0}
    suite = ET.fromstring(report.junit(results))
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    assert suite.find("testcase[@name='t.version']/failure").get("message") == "too old"
