"""mysql.connect against addresses where no MySQL answers: refused, silent, unresolvable."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from sandbox.procs import LOOPBACK, free_port
from tests.checks.support import make_answers, probe_context, run_checks
from wbinstall.checks.mysql.probe import gather

MYSQL_IDS = ["mysql.connect", "mysql.version", "mysql.settings", "mysql.charset", "mysql.grants", "mysql.operations"]


def answers_for(host: str, port: int = 3306, **mysql):
    return make_answers(mysql={"host": host, "port": port, **mysql})


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """A port that completes TCP handshakes (the kernel does) but never accepts or says a word."""
    server = socket.socket()
    server.bind((LOOPBACK, 0))
    server.listen(8)
    yield server.getsockname()[1]
    server.close()


@pytest.fixture
def dropping_listener() -> Iterator[int]:
    """A port whose accept queue is full: the kernel drops further SYNs, as a firewall that drops
    packets does, so a TCP connection attempt gets no answer at all."""
    server = socket.socket()
    server.bind((LOOPBACK, 0))
    server.listen(0)
    port = server.getsockname()[1]
    filler = socket.create_connection((LOOPBACK, port), timeout=5)  # takes the only queue slot
    yield port
    filler.close()
    server.close()


def test_refused_port():
    port = free_port()
    results = run_checks(answers_for(LOOPBACK, port), only=MYSQL_IDS)
    connect = results["mysql.connect"]
    assert connect.status == "fail"
    assert f"connection refused by 127.0.0.1:{port}" in connect.summary
    assert "mysql.port" in connect.remedy
    assert all(results[i].status == "skip" for i in MYSQL_IDS[1:])


def test_a_listener_that_never_greets_reports_the_timeout_and_the_run_returns(silent_listener):
    results = run_checks(answers_for(LOOPBACK, silent_listener), only=MYSQL_IDS, timeout=1.5)
    connect = results["mysql.connect"]
    assert connect.status == "fail"
    assert connect.summary.startswith(f"no answer from {LOOPBACK}:{silent_listener}: it accepted the connection but "
                                      "sent no MySQL greeting")
    assert "no MySQL greeting received" in connect.evidence


def test_dropped_packets_report_no_answer(dropping_listener):
    results = run_checks(answers_for(LOOPBACK, dropping_listener), only=["mysql.connect"], timeout=1.5)
    connect = results["mysql.connect"]
    assert connect.status == "fail"
    assert f"no answer from 127.0.0.1:{dropping_listener} within" in connect.summary
    assert "firewall" in connect.remedy


def test_the_probe_stops_at_its_deadline_against_a_silent_server(silent_listener):
    facts = gather(probe_context(answers_for(LOOPBACK, silent_listener), timeout=1.0))
    assert facts.failure.kind == "no-greeting"
    assert facts.failure.waited is not None


def test_a_host_name_that_does_not_resolve_is_a_dns_failure():
    # glibc rejects this name before asking any resolver: the test stays on this machine.
    result = run_checks(answers_for("db!wbinstall.invalid"), only=["mysql.connect"])["mysql.connect"]
    assert result.status == "fail"
    assert "does not resolve (DNS)" in result.summary


def test_a_host_name_that_resolves_through_the_hosts_file(silent_listener):
    facts = gather(probe_context(answers_for("localhost", silent_listener), timeout=1.0))
    assert facts.failure.kind == "no-greeting"  # resolved, connected, then silence


@pytest.mark.parametrize(
    "host", ["https://db.example.com", "db.example.com/wandb", "db.example.com:3306", "a" * 64 + ".example.com"])
def test_something_that_is_not_a_host_name(host):
    result = run_checks(answers_for(host), only=["mysql.connect"])["mysql.connect"]
    assert result.status == "fail" and "is not a host name" in result.summary


def test_missing_password_is_reported_not_raised():
    from wbinstall.answers import Secrets

    facts = gather(probe_context(answers_for(LOOPBACK, free_port()), secrets=Secrets({("license",): "test-license-0001"})))
    assert facts.failure.kind == "no-password"
