"""mysql.connect, mysql.settings, mysql.charset, mysql.operations judges over hand-made facts."""

from __future__ import annotations

import pytest

from tests.checks.support import inputs, make_answers
from wbinstall.checks.mysql import judge
from wbinstall.checks.mysql.facts import Failure, MysqlFacts
from wbinstall.requirements import load

SETTINGS = dict(load().mysql.settings)
TUNED = {k: str(v) for k, v in SETTINGS.items()}
MYSQL80_DEFAULTS = {
    "binlog_format": "ROW", "binlog_row_image": "FULL", "innodb_flush_log_at_trx_commit": "1",
    "innodb_online_alter_log_max_size": "134217728", "max_prepared_stmt_count": "16382",
    "sort_buffer_size": "262144", "sync_binlog": "1",
}


def run(check, facts, **answers):
    return getattr(judge, check)({"mysql": facts}, inputs(make_answers(**answers)))


# ---- mysql.connect ------------------------------------------------------------------------

MY = {"host": "db.internal.example", "port": 3307, "user": "wb_app", "database": "wandb_prod"}

# kind, detail, summary words, remedy words
CONNECT_FAILURES = [
    ("refused", "[Errno 111] Connection refused", ["refused", "db.internal.example:3307"], ["mysql.port", "3306"]),
    ("timeout", "TCP connection attempt timed out", ["no answer", "2.5 s"], ["firewall", "port 3307"]),
    ("no-greeting", "no MySQL greeting received", ["no MySQL greeting", "2.5 s"], ["port 3307"]),
    ("dns", "db.internal.example: Name or service not known", ["does not resolve", "DNS"], ["db.internal.example"]),
    ("dns-timeout", "no answer from the resolver", ["no DNS answer"], ["resolver"]),
    ("bad-host", "mysql.host is 'https://x'", ["not a host name"], ["mysql.host"]),
    ("unreachable", "[Errno 113] No route to host", ["no route"], ["VPN"]),
    ("not-mysql", "error 2013: Lost connection", ["does not answer with the MySQL protocol"], ["mysql.port"]),
    ("auth", "error 1045: Access denied for user 'wb_app'@'10.1.2.3' (using password: YES)",
     ["refused the login", "wb_app"],
     ["CREATE USER IF NOT EXISTS 'wb_app'@'%'", "GRANT ALL ON `wandb_prod`.* TO 'wb_app'@'%' WITH GRANT OPTION;",
      "environment variable WB_TEST_MYSQL_PASSWORD", "mysql.tls: true"]),
    ("host-not-allowed", "error 1130: Host '10.1.2.3' is not allowed to connect to this MySQL server",
     ["may not log in from this machine"], ["'wb_app'@'%'"]),
    ("unknown-database", "error 1049: Unknown database 'wandb_prod'", ["'wandb_prod' does not exist"],
     ["CREATE DATABASE IF NOT EXISTS `wandb_prod` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;",
      "GRANT ALL ON `wandb_prod`.* TO 'wb_app'@'%' WITH GRANT OPTION;"]),
    ("no-database-access", "error 1044: Access denied for user 'wb_app'@'%' to database 'wandb_prod'",
     ["no rights on database 'wandb_prod'"], ["CREATE DATABASE IF NOT EXISTS `wandb_prod`", "GRANT ALL ON `wandb_prod`.*"]),
    ("tls-required", "error 3159: Connections using insecure transport are prohibited",
     ["requires TLS", "mysql.tls is false"], ["mysql.tls: true", "mysql.caFile"]),
    ("tls-unsupported", "error 2026: SSL is required but the server doesn't support it",
     ["does not offer TLS"], ["mysql.tls: false"]),
    ("tls-untrusted", "certificate verify failed: unable to get local issuer certificate (OpenSSL verify code 20)",
     ["not trusted"], ["mysql.caFile", "global-bundle.pem"]),
    ("tls-hostname", "certificate verify failed: Hostname mismatch (OpenSSL verify code 62)",
     ["not issued for db.internal.example"], ["subjectAltName"]),
    ("tls-expired", "certificate verify failed: certificate has expired (OpenSSL verify code 10)", ["expired"], ["Renew"]),
    ("tls-handshake", "[SSL: WRONG_VERSION_NUMBER]", ["TLS handshake"], ["tls_version"]),
    ("ca-file", "/nope/ca.pem: No such file or directory", ["mysql.caFile"], ["PEM"]),
    ("no-password", "mysql.password has no value", ["no password"], ["mysql.password"]),
    ("other", "error 1040: Too many connections", ["cannot connect", "1040"], ["mysql.host"]),
]


@pytest.mark.parametrize("kind, detail, summary_words, remedy_words", CONNECT_FAILURES,
                         ids=[c[0] for c in CONNECT_FAILURES])
def test_each_connection_failure_has_its_own_message_and_remedy(kind, detail, summary_words, remedy_words):
    code = int(detail.split()[1].rstrip(":")) if detail.startswith("error ") else None
    waited = 2.5 if kind in ("timeout", "no-greeting", "dns-timeout") else None
    facts = MysqlFacts("db.internal.example:3307", Failure(kind, detail, code=code, waited=waited))
    result = run("connect", facts, mysql=MY)
    assert result.status == "fail"
    assert detail in result.evidence
    for word in summary_words:
        assert word in result.summary
    for word in remedy_words:
        assert word in result.remedy


def test_auth_remedy_does_not_suggest_tls_when_tls_is_already_on():
    facts = MysqlFacts("h:3306", Failure("auth", "error 1045: Access denied", code=1045))
    assert "mysql.tls: true" not in run("connect", facts, mysql={"tls": True}).remedy


def test_untrusted_certificate_with_a_ca_file_names_that_file():
    facts = MysqlFacts("h:3306", Failure("tls-untrusted", "verify failed", verify_code=20))
    result = run("connect", facts, mysql={"tls": True, "caFile": "certs/rds.pem"})
    assert "certs/rds.pem" in result.summary


def test_connected_reports_tls_or_its_absence():
    plain = run("connect", MysqlFacts("h:3306"), mysql=MY)
    assert plain.status == "pass" and "without TLS (mysql.tls: false)" in plain.evidence
    assert "as 'wb_app', database 'wandb_prod'" in plain.summary
    tls = run("connect", MysqlFacts("h:3306", tls="TLSv1.3 TLS_AES_256_GCM_SHA384"), mysql={**MY, "tls": True})
    assert tls.evidence[0].startswith("TLS: TLSv1.3")


def test_a_session_that_broke_after_login_warns():
    facts = MysqlFacts("h:3306", version="8.0.36",
                       incomplete="connection lost during SHOW GLOBAL VARIABLES: (2013, 'Lost connection')")
    result = run("connect", facts)
    assert result.status == "warn" and "stopped early" in result.summary
    assert any("SHOW GLOBAL VARIABLES" in line for line in result.evidence)
    assert "--timeout" in result.remedy


# ---- mysql.settings -----------------------------------------------------------------------

def test_settings_pass_when_all_match():
    result = run("settings", MysqlFacts("h:3306", variables=TUNED))
    assert result.status == "pass"
    assert len(result.evidence) == len(SETTINGS)


@pytest.mark.parametrize(
    "seen",
    [
        {"binlog_format": "row", "binlog_row_image": "minimal"},  # words: case-insensitive
        {"sort_buffer_size": "67108864", "innodb_online_alter_log_max_size": "268435456"},
        {"sync_binlog": "ON"},  # ON/OFF read as 1/0 for numeric settings
    ],
)
def test_settings_compare_words_case_insensitively_and_numbers_numerically(seen):
    assert run("settings", MysqlFacts("h:3306", variables={**TUNED, **seen})).status == "pass"


def test_settings_mismatches_warn_with_each_seen_value_and_a_statement_per_fix():
    result = run("settings", MysqlFacts("h:3306", version="8.0.36", version_comment="MySQL Community Server - GPL",
                                        variables=MYSQL80_DEFAULTS))
    assert result.status == "warn"
    for name in ("binlog_row_image", "innodb_online_alter_log_max_size", "max_prepared_stmt_count", "sort_buffer_size"):
        assert name in result.summary
    assert "sort_buffer_size = 262144 (W&B: 67108864)" in result.evidence
    assert "binlog_row_image = FULL (W&B: MINIMAL)" in result.evidence
    assert "SET PERSIST sort_buffer_size = 67108864;" in result.remedy
    assert "SET PERSIST binlog_row_image = 'MINIMAL';" in result.remedy
    assert "SET PERSIST max_prepared_stmt_count = 1048576;" in result.remedy
    assert "SET PERSIST sync_binlog" not in result.remedy  # matches: no statement
    assert "parameter group" in result.remedy  # managed services: where instead


@pytest.mark.parametrize("version, comment", [("5.7.44-log", "MySQL Community Server (GPL)"),
                                              ("10.11.6-MariaDB-0+deb12u1", "Debian 12")])
def test_settings_remedy_uses_set_global_where_set_persist_does_not_exist(version, comment):
    result = run("settings", MysqlFacts("h:3306", version=version, version_comment=comment, variables=MYSQL80_DEFAULTS))
    assert "SET GLOBAL sort_buffer_size = 67108864;" in result.remedy
    assert "my.cnf" in result.remedy and "SET PERSIST" not in result.remedy


def test_settings_numbers_that_are_not_numbers_mismatch():
    result = run("settings", MysqlFacts("h:3306", variables={**TUNED, "sync_binlog": "sometimes"}))
    assert result.status == "warn" and "sync_binlog" in result.summary


def test_settings_missing_variables_are_named():
    seen = {k: v for k, v in TUNED.items() if k not in ("binlog_row_image", "innodb_online_alter_log_max_size")}
    result = run("settings", MysqlFacts("h:3306", variables=seen))
    assert result.status == "warn"
    assert "not reported by the server: binlog_row_image, innodb_online_alter_log_max_size" in result.summary


@pytest.mark.parametrize(
    "facts_kwargs, answers_host, words",
    [
        ({"version": "8.0.32", "aurora_version": "3.05.2"}, "db.example.com", "DB cluster parameter group"),
        ({"version": "8.0.31-google", "version_comment": "(Google)"}, "10.1.2.3", "--database-flags"),
        ({"version": "8.0.21"}, "wandb.mysql.database.azure.com", "az mysql flexible-server parameter set"),
        ({"version": "8.0.35"}, "wandb.c9abc.us-east-1.rds.amazonaws.com", "DB parameter group"),
    ],
)
def test_settings_remedy_names_where_a_managed_service_takes_them(facts_kwargs, answers_host, words):
    facts = MysqlFacts("h:3306", variables=MYSQL80_DEFAULTS, **facts_kwargs)
    remedy = run("settings", facts, mysql={"host": answers_host}).remedy
    assert words in remedy
    assert "  sort_buffer_size = 67108864" in remedy and "SET PERSIST" not in remedy


def test_settings_unreadable_warn():
    result = run("settings", MysqlFacts("h:3306", variables_error="SHOW GLOBAL VARIABLES: error 1227"))
    assert result.status == "warn" and "error 1227" in result.evidence[0]


# ---- mysql.charset ------------------------------------------------------------------------

@pytest.mark.parametrize(
    "charset, collation, status",
    [
        ("utf8mb4", "utf8mb4_general_ci", "pass"),
        ("utf8mb4", "utf8mb4_0900_ai_ci", "pass"),  # MySQL 8's default collation; W&B's Terraform leaves it
        ("UTF8MB4", "UTF8MB4_GENERAL_CI", "pass"),
        ("latin1", "latin1_swedish_ci", "fail"),
        ("utf8mb3", "utf8mb3_general_ci", "fail"),
        ("utf8", "utf8_general_ci", "fail"),
    ],
)
def test_charset_verdict(charset, collation, status):
    result = run("charset", MysqlFacts("h:3306", charset=charset, collation=collation))
    assert result.status == status
    assert charset in result.evidence[0]


def test_charset_remedy_alters_their_database():
    result = run("charset", MysqlFacts("h:3306", charset="latin1", collation="latin1_swedish_ci"),
                 mysql={"database": "wandb-prod"})
    assert "'wandb-prod' uses latin1, not utf8mb4" in result.summary
    assert "ALTER DATABASE `wandb-prod` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;" in result.remedy


def test_charset_collation_other_than_documented_is_mentioned():
    result = run("charset", MysqlFacts("h:3306", charset="utf8mb4", collation="utf8mb4_0900_ai_ci"))
    assert "utf8mb4_0900_ai_ci" in result.summary and "utf8mb4_general_ci" in result.summary


def test_charset_unreadable_warns():
    result = run("charset", MysqlFacts("h:3306", schema_error="no row for wandb_local in information_schema.SCHEMATA"))
    assert result.status == "warn"


# ---- mysql.operations ---------------------------------------------------------------------

def test_operations_gives_every_piece_of_advice_from_the_requirements():
    result = run("operations", MysqlFacts("h:3306", version="8.0.36", version_comment="MySQL Community Server - GPL",
                                          variables={"log_bin": "ON"}))
    assert result.status == "pass"
    for advice in load().mysql.operations:
        assert any(line.startswith(f"{advice.id}: {advice.advice}") for line in result.evidence)


@pytest.mark.parametrize(
    "facts_kwargs, host, words",
    [
        ({"version": "8.0.32", "aurora_version": "3.05.2"}, "db.example.com", "Aurora Replica"),
        ({"version": "8.0.35"}, "w.c9abc.us-east-1.rds.amazonaws.com", "Multi-AZ"),
        ({"version": "8.0.31-google", "version_comment": "(Google)"}, "10.0.0.3", "regional instance"),
        ({"version": "8.0.21"}, "w.mysql.database.azure.com", "zone-redundant"),
    ],
)
def test_operations_are_tailored_to_a_recognised_managed_service(facts_kwargs, host, words):
    result = run("operations", MysqlFacts("h:3306", **facts_kwargs), mysql={"host": host})
    assert result.status == "pass"
    assert any(words in line for line in result.evidence)


def test_operations_warn_when_a_self_managed_production_server_has_no_binary_log():
    facts = MysqlFacts("h:3306", version="8.0.36", version_comment="MySQL Community Server - GPL",
                       variables={"log_bin": "OFF"})
    assert run("operations", facts, environment="production").status == "warn"
    assert run("operations", facts, environment="test").status == "pass"


def test_operations_binary_log_off_on_aurora_is_fine():
    facts = MysqlFacts("h:3306", version="8.0.32", aurora_version="3.05.2", variables={"log_bin": "OFF"})
    assert run("operations", facts, environment="production").status == "pass"
