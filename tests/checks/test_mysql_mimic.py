"""mysql.* through the real engine against mysql-mimic servers impersonating MySQL and look-alikes."""

from __future__ import annotations

import threading

import pytest

from sandbox.mysql_mimic_server import (
    DEFAULT_DATABASE,
    DEFAULT_PASSWORD,
    DEFAULT_USER,
    WANDB_RECOMMENDED,
    Database,
    MysqlUser,
)
from tests.checks.support import make_answers, make_secrets, run_checks
from wbinstall.checklist import CHECK_IDS


MYSQL_IDS = [i for i in CHECK_IDS if i.startswith("mysql.")]


def check(db, *, password=None, user=None, database=None, timeout=10.0, _answers=None, **mysql):
    """Run the mysql checks against `db`, with answers.mysql overrides (tls=..., caFile=...)."""
    answers = make_answers(mysql={"host": db.host, "port": db.port, "user": user or db.user,
                                  "database": database or db.database, **mysql}, **(_answers or {}))
    return run_checks(answers, make_secrets(**{"mysql.password": password or db.password}), only=MYSQL_IDS,
                      timeout=timeout)


def statuses(results):
    return {i: r.status for i, r in results.items()}


def user_with(grants, databases=(DEFAULT_DATABASE,)):
    return [MysqlUser(DEFAULT_USER, DEFAULT_PASSWORD, grants=grants, databases=list(databases))]


# ---- the whole set passes on a server set up as W&B documents ------------------------------

def test_a_tuned_mysql_8_4_passes_every_check(sandbox_mysql):
    results = check(sandbox_mysql("mysql-8.4.8", variables=WANDB_RECOMMENDED))
    assert statuses(results) == {i: "pass" for i in MYSQL_IDS}


def test_a_tuned_mysql_8_0_meets_the_floor_and_warns_with_the_newer_advice(sandbox_mysql):
    results = check(sandbox_mysql("mysql-8.0.36", variables=WANDB_RECOMMENDED))
    assert statuses(results) == {i: "warn" if i == "mysql.version" else "pass" for i in MYSQL_IDS}
    version = results["mysql.version"]
    assert version.summary.startswith("MySQL Community Server 8.0.36 meets the minimum 8.0.11 (GA); MySQL 8.0 "
                                      "reached end of life in April 2026")
    assert "VERSION(): 8.0.36" in version.evidence


def test_a_tuned_mysql_8_4_passes(sandbox_mysql):
    results = check(sandbox_mysql("mysql-8.4.8", variables=WANDB_RECOMMENDED))
    assert results["mysql.version"].status == "pass"
    assert "8.4.8" in results["mysql.version"].summary


# ---- mysql.version ------------------------------------------------------------------------

@pytest.mark.parametrize(
    "preset_name, status, words",
    [
        ("aurora-3.05.2", "pass", "Amazon Aurora MySQL 3.05.2 (MySQL 8.0.32)"),
        ("cloudsql-8.0.31", "warn", "Google Cloud SQL for MySQL 8.0.31 meets the minimum"),
        ("percona-8.0.36-28", "warn", "Percona Server for MySQL 8.0.36 meets the minimum"),
        ("mysql-5.7.44", "fail", "MySQL 5.7 is not supported"),
        ("mysql-8.0.4-rc", "fail", "milestone / release-candidate"),
        ("tidb-7.5.0", "fail", "TiDB, not MySQL"),
    ],
)
def test_version_of_each_preset(sandbox_mysql, preset_name, status, words):
    result = check(sandbox_mysql(preset_name, variables=WANDB_RECOMMENDED))["mysql.version"]
    assert result.status == status, result.summary
    assert words in result.summary


def test_version_9_warns(sandbox_mysql):
    result = check(sandbox_mysql("mysql-8.0.36", version="9.1.0"))["mysql.version"]
    assert result.status == "warn" and "9.x" in result.summary


def test_version_of_an_unrecognised_build_warns(sandbox_mysql):
    result = check(sandbox_mysql("mysql-8.0.36", version_comment="Acme DB Engine"))["mysql.version"]
    assert result.status == "warn"
    assert "@@version_comment: Acme DB Engine" in result.evidence


# ---- mysql.settings -----------------------------------------------------------------------

def test_stock_settings_warn_with_the_values_seen(sandbox_mysql):
    result = check(sandbox_mysql("mysql-8.0.36"))["mysql.settings"]
    assert result.status == "warn"
    assert "sort_buffer_size = 262144 (W&B: 67108864)" in result.evidence
    assert "max_prepared_stmt_count = 16382 (W&B: 1048576)" in result.evidence
    assert "SET PERSIST sort_buffer_size = 67108864;" in result.remedy


def test_tuned_settings_pass(sandbox_mysql):
    assert check(sandbox_mysql("mysql-8.0.36", variables=WANDB_RECOMMENDED))["mysql.settings"].status == "pass"


def test_settings_the_server_does_not_report_are_named(sandbox_mysql):
    db = sandbox_mysql("mysql-8.0.36", variables={**WANDB_RECOMMENDED, "binlog_row_image": None})
    result = check(db)["mysql.settings"]
    assert result.status == "warn"
    assert "not reported by the server: binlog_row_image" in result.summary


def test_settings_on_aurora_point_at_parameter_groups(sandbox_mysql):
    result = check(sandbox_mysql("aurora-3.05.2"))["mysql.settings"]
    assert result.status == "warn" and "DB cluster parameter group" in result.remedy


# ---- mysql.charset ------------------------------------------------------------------------

def test_latin1_database_fails_with_an_alter_database(sandbox_mysql):
    db = sandbox_mysql("mysql-8.0.36", databases=[Database(DEFAULT_DATABASE, "latin1", "latin1_swedish_ci")])
    result = check(db)["mysql.charset"]
    assert result.status == "fail"
    assert "ALTER DATABASE `wandb_local` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;" in result.remedy


def test_utf8mb4_database_passes_whatever_its_collation(sandbox_mysql):
    db = sandbox_mysql("mysql-8.0.36", databases=[Database(DEFAULT_DATABASE, "utf8mb4", "utf8mb4_0900_ai_ci")])
    result = check(db)["mysql.charset"]
    assert result.status == "pass" and "utf8mb4_0900_ai_ci" in result.summary


# ---- mysql.grants -------------------------------------------------------------------------

def test_limited_grants_fail_naming_what_is_missing(sandbox_mysql):
    users = user_with(["GRANT USAGE ON *.* TO `wandb_local`@`%`",
                       "GRANT SELECT, INSERT, UPDATE, DELETE ON `wandb_local`.* TO `wandb_local`@`%`"])
    result = check(sandbox_mysql("mysql-8.0.36", users=users))["mysql.grants"]
    assert result.status == "fail"
    assert "lacks 14 of the 18 privileges" in result.summary
    assert any(line.startswith("missing on `wandb_local`.*: CREATE, DROP") for line in result.evidence)
    assert "GRANT ALL ON `wandb_local`.* TO 'wandb_local'@'%' WITH GRANT OPTION;" in result.remedy


def test_grants_without_grant_option_warn(sandbox_mysql):
    users = user_with(["GRANT USAGE ON *.* TO `wandb_local`@`%`",
                       "GRANT ALL PRIVILEGES ON `wandb_local`.* TO `wandb_local`@`%`"])
    assert check(sandbox_mysql("mysql-8.0.36", users=users))["mysql.grants"].status == "warn"


def test_mysql_57_quoting_and_escaped_names_pass(sandbox_mysql):
    users = user_with(["GRANT USAGE ON *.* TO 'wandb_local'@'%'",
                       "GRANT ALL PRIVILEGES ON `wandb\\_local`.* TO 'wandb_local'@'%' WITH GRANT OPTION"])
    assert check(sandbox_mysql("mysql-5.7.44", users=users))["mysql.grants"].status == "pass"


ROLE_LINES = ["GRANT USAGE ON *.* TO `wandb_local`@`%`", "GRANT `wandb_rw`@`%` TO `wandb_local`@`%`"]
ROLE_PRIVILEGES = ["GRANT ALL PRIVILEGES ON `wandb_local`.* TO `wandb_local`@`%` WITH GRANT OPTION"]


def test_grants_through_a_role_active_at_login_pass(sandbox_mysql):
    # CURRENT_ROLE() names the role; SHOW GRANTS ... USING it shows the role's privileges.
    users = [MysqlUser(DEFAULT_USER, DEFAULT_PASSWORD, grants=ROLE_LINES, databases=[DEFAULT_DATABASE],
                       active_roles=["`wandb_rw`@`%`"], role_grants=ROLE_PRIVILEGES)]
    result = check(sandbox_mysql("mysql-8.0.36", users=users))["mysql.grants"]
    assert result.status == "pass"
    assert any(line.startswith("via active roles: GRANT ALL PRIVILEGES") for line in result.evidence)


def test_grants_through_a_role_not_active_at_login_fail(sandbox_mysql):
    # MySQL 8 answers CURRENT_ROLE() with NONE: W&B's connections would not have the role's rights.
    users = user_with(ROLE_LINES)
    result = check(sandbox_mysql("mysql-8.0.36", users=users))["mysql.grants"]
    assert result.status == "fail" and "its roles (`wandb_rw`@`%`) are not active at login" in result.summary
    assert "SET DEFAULT ROLE ALL TO 'wandb_local'@'%';" in result.remedy


def test_grants_through_a_role_the_server_cannot_expand_warn(sandbox_mysql):
    # A server that cannot say which roles are active (CURRENT_ROLE() is error 1305 there, as on
    # a server without roles): whether the role's privileges apply stays unknown.
    users = user_with(ROLE_LINES)
    result = check(sandbox_mysql("mysql-8.0.36", users=users, roles=False))["mysql.grants"]
    assert result.status == "warn" and "wandb_rw" in result.summary


# ---- mysql.operations ---------------------------------------------------------------------

def test_operations_advice_passes_and_names_the_service(sandbox_mysql):
    result = check(sandbox_mysql("aurora-3.05.2"))["mysql.operations"]
    assert result.status == "pass"
    assert any("Aurora Replica" in line for line in result.evidence)


def test_operations_warn_for_production_without_binary_log(sandbox_mysql):
    db = sandbox_mysql("mysql-8.0.36", variables={"log_bin": False})
    result = check(db, _answers={"environment": "production"})["mysql.operations"]
    assert result.status == "warn"
    assert "log_bin = OFF" in result.evidence


# ---- mysql.connect: logins and TLS --------------------------------------------------------

def test_wrong_password_is_a_refused_login_and_the_rest_are_skipped(sandbox_mysql):
    results = check(sandbox_mysql("mysql-8.0.36"), password="not-the-password")
    connect = results["mysql.connect"]
    assert connect.status == "fail" and "refused the login" in connect.summary
    assert any("1045" in e for e in connect.evidence)
    assert {results[i].status for i in MYSQL_IDS if i != "mysql.connect"} == {"skip"}
    assert "mysql.connect failed" in results["mysql.version"].summary


def test_unknown_user_is_a_refused_login(sandbox_mysql):
    result = check(sandbox_mysql("mysql-8.0.36"), user="nobody")["mysql.connect"]
    assert result.status == "fail" and "'nobody'" in result.summary


def test_unknown_database_for_a_user_with_rights_everywhere(sandbox_mysql):
    from sandbox.mysql_mimic_server import ADMIN_PASSWORD, ADMIN_USER

    db = sandbox_mysql("mysql-8.0.36")
    result = check(db, user=ADMIN_USER, password=ADMIN_PASSWORD, database="wandb_missing")["mysql.connect"]
    assert result.status == "fail" and "'wandb_missing' does not exist" in result.summary
    assert "CREATE DATABASE IF NOT EXISTS `wandb_missing` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;" in result.remedy
    assert f"GRANT ALL ON `wandb_missing`.* TO '{ADMIN_USER}'@'%' WITH GRANT OPTION;" in result.remedy


def test_database_the_user_may_not_open(sandbox_mysql):
    result = check(sandbox_mysql("mysql-8.0.36"), database="elsewhere")["mysql.connect"]
    assert result.status == "fail" and "no rights on database 'elsewhere'" in result.summary


def test_tls_with_the_ca_file_connects_and_says_so(sandbox_mysql, sandbox_ca):
    db = sandbox_mysql("mysql-8.4.8", tls=True, variables=WANDB_RECOMMENDED)
    results = check(db, tls=True, caFile=str(sandbox_ca.bundle_path))
    assert statuses(results) == {i: "pass" for i in MYSQL_IDS}
    assert results["mysql.connect"].evidence[0].startswith("TLS: TLSv1.")


def test_tls_by_host_name_checks_the_name(sandbox_mysql, sandbox_ca):
    db = sandbox_mysql("mysql-8.0.36", tls=True)
    answers = make_answers(mysql={"host": "localhost", "port": db.port, "user": db.user, "database": db.database,
                                  "tls": True, "caFile": str(sandbox_ca.bundle_path)})
    result = run_checks(answers, make_secrets(**{"mysql.password": db.password}), only=["mysql.connect"])
    assert result["mysql.connect"].status == "pass"


def test_tls_without_the_ca_file_is_not_trusted(sandbox_mysql):
    result = check(sandbox_mysql("mysql-8.0.36", tls=True), tls=True)["mysql.connect"]
    assert result.status == "fail" and "not trusted" in result.summary
    assert "mysql.caFile" in result.remedy


def test_tls_with_a_certificate_for_another_name_fails_on_the_name(sandbox_ca):
    from sandbox.mysql_mimic_server import MimicMySQL, preset

    context = sandbox_ca.server_context(sandbox_ca.issue("other.sandbox.test"))
    with MimicMySQL(preset("mysql-8.0.36"), ssl_context=context) as db:
        result = check(db, tls=True, caFile=str(sandbox_ca.bundle_path))["mysql.connect"]
    assert result.status == "fail" and "not issued for 127.0.0.1" in result.summary, result.evidence


def test_tls_asked_of_a_server_without_tls(sandbox_mysql, sandbox_ca):
    result = check(sandbox_mysql("mysql-8.0.36"), tls=True, caFile=str(sandbox_ca.bundle_path))["mysql.connect"]
    assert result.status == "fail" and "does not offer TLS" in result.summary


def test_server_requiring_tls_when_tls_is_off(sandbox_mysql):
    result = check(sandbox_mysql("mysql-8.0.36", tls=True, require_tls=True))["mysql.connect"]
    assert result.status == "fail" and "requires TLS" in result.summary
    assert any("3159" in e for e in result.evidence)
    assert "mysql.tls: true" in result.remedy


def test_server_requiring_tls_accepts_a_verified_tls_login(sandbox_mysql, sandbox_ca):
    db = sandbox_mysql("mysql-8.0.36", tls=True, require_tls=True)
    result = check(db, tls=True, caFile=str(sandbox_ca.bundle_path))["mysql.connect"]
    assert result.status == "pass"


def test_unreadable_ca_file(sandbox_mysql, tmp_path):
    result = check(sandbox_mysql("mysql-8.0.36", tls=True), tls=True, caFile=str(tmp_path / "nope.pem"))["mysql.connect"]
    assert result.status == "fail" and "mysql.caFile" in result.summary


def test_ca_file_that_is_not_pem(sandbox_mysql, tmp_path):
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    result = check(sandbox_mysql("mysql-8.0.36", tls=True), tls=True, caFile=str(junk))["mysql.connect"]
    assert result.status == "fail" and "mysql.caFile" in result.summary


# ---- a session that breaks after the login --------------------------------------------------

class _CuttingProxy:
    """Forwards one MySQL session to a server and hangs up on the client when it sends the first
    packet containing `cut_on` (plain text only): a firewall or proxy that drops the connection."""

    def __init__(self, target_port: int, cut_on: bytes) -> None:
        import socket

        self.target_port, self.cut_on = target_port, cut_on
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        import socket

        client, _ = self.listener.accept()
        upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
        down = threading.Thread(target=self._copy, args=(upstream, client), daemon=True)
        down.start()
        try:
            while True:
                header = self._exactly(client, 4)
                payload = self._exactly(client, int.from_bytes(header[:3], "little"))
                if self.cut_on in payload:
                    break
                upstream.sendall(header + payload)
        except OSError:
            pass
        finally:
            client.close()
            upstream.close()

    @staticmethod
    def _exactly(sock, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise OSError("closed")
            data += chunk
        return data

    @staticmethod
    def _copy(source, sink) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass

    def close(self) -> None:
        self.listener.close()


def test_a_session_cut_after_login_warns_and_the_checks_without_facts_say_so(sandbox_mysql):
    db = sandbox_mysql("mysql-8.0.36", variables=WANDB_RECOMMENDED)
    proxy = _CuttingProxy(db.port, cut_on=b"SHOW GLOBAL VARIABLES")
    try:
        answers = make_answers(mysql={"host": "127.0.0.1", "port": proxy.port, "user": db.user, "database": db.database})
        results = run_checks(answers, make_secrets(**{"mysql.password": db.password}), only=MYSQL_IDS)
    finally:
        proxy.close()
    assert results["mysql.connect"].status == "warn"
    assert any("connection lost during SHOW GLOBAL VARIABLES" in e for e in results["mysql.connect"].evidence)
    assert results["mysql.version"].status == "warn" and "meets the minimum" in results["mysql.version"].summary  # read before the cut
    assert results["mysql.settings"].status == "warn" and "could not read" in results["mysql.settings"].summary
    assert results["mysql.charset"].status == "warn"
    assert results["mysql.grants"].status == "warn"


# ---- a server that asks for the password in clear text (mysql_clear_password) ------------------

def test_clear_text_password_request_over_plain_tcp_is_refused_and_nothing_is_sent(sandbox_mysql):
    db = sandbox_mysql("mysql-8.4.8", variables=WANDB_RECOMMENDED, clear_password=True)
    result = check(db)["mysql.connect"]
    assert result.status == "fail"
    assert "asked for the password in clear text (mysql_clear_password)" in result.summary
    assert "wbinstall did not send it" in result.summary
    assert "mysql.tls: true" in result.remedy
    assert db.config.clear_passwords_received == []


def test_clear_text_password_over_tls_is_sent_and_the_login_passes(sandbox_mysql, sandbox_ca):
    db = sandbox_mysql("mysql-8.4.8", tls=True, variables=WANDB_RECOMMENDED, clear_password=True)
    results = check(db, tls=True, caFile=str(sandbox_ca.bundle_path))
    assert results["mysql.connect"].status == "pass"
    assert db.config.clear_passwords_received == [DEFAULT_PASSWORD]
