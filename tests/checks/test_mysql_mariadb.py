"""mysql.* against a real MariaDB: the look-alike must be named, and its real errors read right."""

from __future__ import annotations

from sandbox.mariadb import ADMIN_PASSWORD, ADMIN_USER
from tests.checks.support import make_answers, make_secrets, probe_context, run_checks
from wbinstall.checks.mysql.probe import gather


MYSQL_IDS = ["mysql.connect", "mysql.version", "mysql.settings", "mysql.charset", "mysql.grants", "mysql.operations"]


def answers_for(db, **mysql):
    return make_answers(mysql={"host": db.host, "port": db.port, "user": db.user, "database": db.database, **mysql})


def check(db, password=None, **mysql):
    return run_checks(answers_for(db, **mysql), make_secrets(**{"mysql.password": password or db.password}),
                      only=MYSQL_IDS)


def test_mariadb_connects_but_fails_the_version_check_naming_mariadb(sandbox_mariadb):
    results = check(sandbox_mariadb)
    assert results["mysql.connect"].status == "pass"
    version = results["mysql.version"]
    assert version.status == "fail"
    assert "MariaDB, not MySQL" in version.summary
    assert any("-MariaDB" in line for line in version.evidence)


def test_mariadb_claiming_to_be_mysql_8_is_still_named_mariadb(sandbox_mariadb_as_mysql):
    version = check(sandbox_mariadb_as_mysql)["mysql.version"]
    assert version.status == "fail" and "MariaDB" in version.summary
    assert "VERSION(): 8.0.36" in version.evidence


def test_mariadb_grants_are_read_and_its_password_hash_is_kept_out(sandbox_mariadb):
    grants = check(sandbox_mariadb)["mysql.grants"]
    assert grants.status == "pass", grants.summary
    text = " ".join(grants.evidence)
    assert "IDENTIFIED BY <password hash hidden>" in text  # MariaDB prints the hash in SHOW GRANTS
    assert "'*" not in text


def test_mariadb_defaults_differ_from_wandbs_settings(sandbox_mariadb):
    settings = check(sandbox_mariadb)["mysql.settings"]
    assert settings.status == "warn"
    assert any(line.startswith("binlog_format = MIXED") for line in settings.evidence)
    assert any(line.startswith("sync_binlog = 0") for line in settings.evidence)


def test_mariadb_database_charset_is_read(sandbox_mariadb):
    assert check(sandbox_mariadb)["mysql.charset"].status == "pass"


def test_real_bad_password_is_1045(sandbox_mariadb):
    results = check(sandbox_mariadb, password="wrong-password")
    connect = results["mysql.connect"]
    assert connect.status == "fail" and "refused the login" in connect.summary
    assert any(e.startswith("error 1045: Access denied for user 'wandb_local'") for e in connect.evidence)
    assert results["mysql.version"].status == "skip"


def test_real_unknown_database_is_1049_with_create_database(sandbox_mariadb):
    answers = answers_for(sandbox_mariadb, user=ADMIN_USER, database="wandb_missing")
    connect = run_checks(answers, make_secrets(**{"mysql.password": ADMIN_PASSWORD}), only=["mysql.connect"])[
        "mysql.connect"]
    assert connect.status == "fail" and "'wandb_missing' does not exist" in connect.summary
    assert any(e.startswith("error 1049") for e in connect.evidence)
    assert "CREATE DATABASE IF NOT EXISTS `wandb_missing` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;" in connect.remedy


def test_real_database_without_rights_is_1044(sandbox_mariadb):
    connect = check(sandbox_mariadb, database="someone_elses")["mysql.connect"]
    assert connect.status == "fail" and "no rights on database 'someone_elses'" in connect.summary
    assert any(e.startswith("error 1044") for e in connect.evidence)


def test_real_server_facts(sandbox_mariadb):
    facts = gather(probe_context(answers_for(sandbox_mariadb), make_secrets(**{"mysql.password": sandbox_mariadb.password})))
    assert facts.connected and facts.incomplete is None
    assert facts.version_comment
    assert facts.aurora_version is None  # @@aurora_version and AURORA_VERSION() both fail: tolerated
    assert facts.current_user == "wandb_local@%"
    assert facts.active_roles == ()  # CURRENT_ROLE() is NULL
    assert (facts.charset, facts.collation) == ("utf8mb4", "utf8mb4_general_ci")
