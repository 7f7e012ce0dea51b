"""The MySQL password never appears in facts, results or any report format."""

from __future__ import annotations

from sandbox.mysql_mimic_server import DEFAULT_DATABASE, DEFAULT_USER, Database, MysqlUser
from tests.checks.support import make_answers, make_secrets, probe_context, run_checks
from wbinstall.checks import report
from wbinstall.checks.mysql.probe import gather


PASSWORD = "S3cret-Pa55word-for-wandb"
MYSQL_IDS = ["mysql.connect", "mysql.version", "mysql.settings", "mysql.charset", "mysql.grants", "mysql.operations"]


def all_reports(results) -> str:
    listed = list(results.values())
    return "\n".join([report.text(listed), report.to_json(listed), report.junit(listed)])


def answers_for(db, **mysql):
    return make_answers(mysql={"host": db.host, "port": db.port, "user": DEFAULT_USER, "database": DEFAULT_DATABASE,
                               **mysql})


def echoing_server(sandbox_mysql, **kwargs):
    """A server whose version comment, database name and grant lines all carry the password."""
    users = [MysqlUser(DEFAULT_USER, PASSWORD, databases=[DEFAULT_DATABASE],
                       grants=[f"GRANT USAGE ON *.* TO `{DEFAULT_USER}`@`%` /* {PASSWORD} */"])]
    return sandbox_mysql("mysql-8.0.36", version_comment=f"built with {PASSWORD}", users=users,
                         databases=[Database(DEFAULT_DATABASE, "latin1", "latin1_swedish_ci")], **kwargs)


def test_password_echoed_by_the_server_is_cut_out_of_the_facts(sandbox_mysql):
    db = echoing_server(sandbox_mysql)
    facts = gather(probe_context(answers_for(db), make_secrets(**{"mysql.password": PASSWORD})))
    assert facts.connected
    assert PASSWORD not in repr(facts)
    assert "<redacted>" in facts.version_comment


def test_password_absent_from_every_report_of_a_run_that_passes_warns_and_fails(sandbox_mysql):
    db = echoing_server(sandbox_mysql)
    results = run_checks(answers_for(db), make_secrets(**{"mysql.password": PASSWORD}), only=MYSQL_IDS)
    assert {r.status for r in results.values()} >= {"pass", "warn", "fail"}
    assert PASSWORD not in all_reports(results)


def test_password_absent_when_the_login_is_refused(sandbox_mysql):
    db = sandbox_mysql("mysql-8.0.36")
    results = run_checks(answers_for(db), make_secrets(**{"mysql.password": PASSWORD}), only=MYSQL_IDS)
    assert results["mysql.connect"].status == "fail"
    assert PASSWORD not in all_reports(results)


def test_password_absent_when_tls_fails(sandbox_mysql):
    db = sandbox_mysql("mysql-8.0.36", tls=True)
    results = run_checks(answers_for(db, tls=True), make_secrets(**{"mysql.password": PASSWORD}), only=MYSQL_IDS)
    assert results["mysql.connect"].status == "fail"
    assert PASSWORD not in all_reports(results)


def test_mariadb_password_hash_and_password_absent(sandbox_mariadb):
    answers = make_answers(mysql={"host": sandbox_mariadb.host, "port": sandbox_mariadb.port,
                                  "user": sandbox_mariadb.user, "database": sandbox_mariadb.database})
    results = run_checks(answers, make_secrets(**{"mysql.password": sandbox_mariadb.password}), only=MYSQL_IDS)
    text = all_reports(results)
    assert sandbox_mariadb.password not in text
    assert "PASSWORD '*" not in text
