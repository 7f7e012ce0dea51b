"""mysql-mimic presets: pymysql (as the wizard will use it) reads versions, settings, grants and errors."""

import threading

import pymysql
import pytest

from sandbox.mysql_mimic_server import (
    ADMIN_PASSWORD, ADMIN_USER, DEFAULT_DATABASE, DEFAULT_PASSWORD, DEFAULT_USER, PRESETS, WANDB_RECOMMENDED,
    Database, MimicMySQL, MysqlUser, preset,
)

EXPECTED_VERSIONS = {
    "mysql-8.0.36": ("8.0.36", "MySQL Community Server - GPL"),
    "mysql-8.4.8": ("8.4.8", "MySQL Community Server - GPL"),
    "mysql-8.0.4-rc": ("8.0.4-rc", "MySQL Community Server (GPL)"),
    "aurora-3.05.2": ("8.0.32", "Source distribution"),
    "cloudsql-8.0.31": ("8.0.31-google", "(Google)"),
    "percona-8.0.36-28": ("8.0.36-28", "Percona Server (GPL), Release 28, Revision 47601f19"),
    "tidb-7.5.0": ("8.0.11-TiDB-v7.5.0", "TiDB Server (Apache License 2.0) Community Edition, MySQL 8.0 compatible"),
    "mysql-5.7.44": ("5.7.44", "MySQL Community Server (GPL)"),
}


def connect(server, **overrides):
    return pymysql.connect(**{**server.connect_kwargs(), "ssl_disabled": True, "connect_timeout": 5, **overrides})


def query(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return list(cur.fetchall())


def error_code(call):
    with pytest.raises(pymysql.MySQLError) as failure:
        call()
    return failure.value.args[0]


def test_every_preset_is_covered():
    assert set(PRESETS) == set(EXPECTED_VERSIONS)


@pytest.mark.parametrize("name", PRESETS)
def test_version_and_comment_as_the_vendor_reports_them(sandbox_mysql, name):
    version, comment = EXPECTED_VERSIONS[name]
    server = sandbox_mysql(name)
    with connect(server) as conn:
        assert conn.get_server_info() == version  # the handshake
        assert query(conn, "SELECT VERSION()") == [(version,)]
        assert query(conn, "SELECT @@version_comment") == [(comment,)]
        assert query(conn, "SELECT @@version, @@version_comment") == [(version, comment)]
        assert query(conn, "SHOW VARIABLES LIKE 'version'") == [("version", version)]


def test_aurora_answers_aurora_version(sandbox_mysql):
    with connect(sandbox_mysql("aurora-3.05.2")) as conn:
        assert query(conn, "SELECT AURORA_VERSION()") == [("3.05.2",)]
        assert query(conn, "SELECT @@aurora_version") == [("3.05.2",)]


def test_community_mysql_has_no_aurora_version(sandbox_mysql):
    with connect(sandbox_mysql("mysql-8.0.36")) as conn:
        assert error_code(lambda: query(conn, "SELECT aurora_version()")) == 1305
        assert error_code(lambda: query(conn, "SELECT @@aurora_version")) == 1193


def test_tidb_answers_tidb_version(sandbox_mysql):
    with connect(sandbox_mysql("tidb-7.5.0")) as conn:
        [(text,)] = query(conn, "SELECT tidb_version()")
        assert text.startswith("Release Version: v7.5.0")


def test_stock_settings_differ_from_wandb_recommendation(sandbox_mysql):
    with connect(sandbox_mysql("mysql-8.0.36")) as conn:
        rows = dict(query(conn, "SHOW GLOBAL VARIABLES WHERE Variable_name IN "
                                "('binlog_row_image', 'sort_buffer_size', 'max_prepared_stmt_count')"))
    assert rows == {"binlog_row_image": "FULL", "sort_buffer_size": "262144", "max_prepared_stmt_count": "16382"}


def test_configured_settings_read_back_every_way_a_check_may_ask(sandbox_mysql):
    with connect(sandbox_mysql("mysql-8.4.8", variables=WANDB_RECOMMENDED)) as conn:
        shown = dict(query(conn, "SHOW VARIABLES"))
        for name, value in WANDB_RECOMMENDED.items():
            assert shown[name] == str(value)
            assert query(conn, f"SHOW VARIABLES LIKE '{name}'") == [(name, str(value))]
            assert query(conn, f"SELECT @@GLOBAL.{name}") == [(value,)]
        assert query(conn, "SHOW VARIABLES LIKE 'binlog\\_%'") == [("binlog_format", "ROW"), ("binlog_row_image", "MINIMAL")]
        assert query(conn, "SELECT @@log_bin") == [(1,)]
        assert query(conn, "SHOW VARIABLES LIKE 'log_bin'") == [("log_bin", "ON")]


def test_unknown_variable_is_error_1193(sandbox_mysql):
    with connect(sandbox_mysql("mysql-8.0.36")) as conn:
        assert error_code(lambda: query(conn, "SELECT @@no_such_variable")) == 1193


@pytest.mark.parametrize("statement", ["SHOW GRANTS", "SHOW GRANTS FOR CURRENT_USER()", "SHOW GRANTS FOR CURRENT_USER",
                                       "SHOW GRANTS FOR 'wandb_local'@'%'"])
def test_grants_of_the_wandb_user(sandbox_mysql, statement):
    with connect(sandbox_mysql("mysql-8.0.36")) as conn:
        assert query(conn, statement) == [
            ("GRANT USAGE ON *.* TO `wandb_local`@`%`",),
            ("GRANT ALL PRIVILEGES ON `wandb_local`.* TO `wandb_local`@`%` WITH GRANT OPTION",),
        ]


def test_grants_use_mysql57_quoting(sandbox_mysql):
    with connect(sandbox_mysql("mysql-5.7.44")) as conn:
        assert query(conn, "SHOW GRANTS")[0] == ("GRANT USAGE ON *.* TO 'wandb_local'@'%'",)


def test_grants_of_another_user_are_refused(sandbox_mysql):
    with connect(sandbox_mysql("mysql-8.0.36")) as conn:
        assert error_code(lambda: query(conn, "SHOW GRANTS FOR 'root'@'%'")) == 1141


def test_database_charset_from_information_schema(sandbox_mysql):
    server = sandbox_mysql("mysql-8.0.36", databases=[Database("wandb_local", "latin1", "latin1_swedish_ci")])
    with connect(server) as conn, conn.cursor() as cur:
        cur.execute("SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA "
                    "WHERE SCHEMA_NAME = %s", ("wandb_local",))
        assert cur.fetchall() == (("latin1", "latin1_swedish_ci"),)
        cur.execute("SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
                    ("missing",))
        assert cur.fetchall() == ()


def test_wrong_password_and_unknown_user_are_error_1045(sandbox_mysql):
    server = sandbox_mysql("mysql-8.0.36")
    assert error_code(lambda: connect(server, password="wrong")) == 1045
    assert error_code(lambda: connect(server, user="nobody")) == 1045


def test_unknown_database_is_1049_for_a_privileged_user_and_1044_otherwise(sandbox_mysql):
    server = sandbox_mysql("mysql-8.0.36")
    assert error_code(lambda: connect(server, user=ADMIN_USER, password=ADMIN_PASSWORD, database="missing")) == 1049
    assert error_code(lambda: connect(server, database="missing")) == 1044
    with connect(server, user=ADMIN_USER, password=ADMIN_PASSWORD, database=None) as conn:
        assert error_code(lambda: query(conn, "USE missing")) == 1049
        query(conn, "USE wandb_local")
        assert query(conn, "SELECT DATABASE()") == [("wandb_local",)]


def test_statements_without_an_engine_fail_loudly(sandbox_mysql):
    with connect(sandbox_mysql("mysql-8.0.36")) as conn:
        assert error_code(lambda: query(conn, "SELECT * FROM runs")) == 1235


def test_tls_verifies_against_the_sandbox_ca(sandbox_mysql, sandbox_ca):
    server = sandbox_mysql("mysql-8.0.36", tls=True)
    ssl = {"ca": str(sandbox_ca.bundle_path), "check_hostname": True}
    with pymysql.connect(**server.connect_kwargs(), ssl=ssl) as conn:
        [(_, cipher)] = query(conn, "SHOW STATUS LIKE 'Ssl_cipher'")
        assert cipher
    untrusted = {"ca": str(sandbox_ca.private_bundle_path)}
    assert error_code(lambda: pymysql.connect(**server.connect_kwargs(), ssl=untrusted)) == 2003
    with pymysql.connect(**server.connect_kwargs(), ssl=ssl) as conn:  # still serving after a refused handshake
        assert query(conn, "SELECT 1") == [(1,)]


def test_require_tls_refuses_plain_logins(sandbox_mysql):
    server = sandbox_mysql("mysql-8.0.36", tls=True, require_tls=True)
    assert error_code(lambda: connect(server)) == 3159


def test_plain_connection_reports_no_cipher(sandbox_mysql):
    with connect(sandbox_mysql("mysql-8.0.36")) as conn:
        assert query(conn, "SHOW STATUS LIKE 'Ssl_cipher'") == [("Ssl_cipher", "")]


def test_stop_leaves_no_thread_and_frees_the_port():
    server = MimicMySQL(preset("mysql-8.0.36")).start()
    port = server.port
    with connect(server) as conn:
        query(conn, "SELECT 1")
        server.stop()
    assert not [t for t in threading.enumerate() if t.name == "mysql-mimic"]
    assert error_code(lambda: pymysql.connect(host="127.0.0.1", port=port, user="x", connect_timeout=2)) == 2003


@pytest.mark.parametrize("name", [p for p in PRESETS if not p.startswith("mysql-5.")])
def test_current_role_is_none_without_an_active_role(sandbox_mysql, name):
    with connect(sandbox_mysql(name)) as conn:
        assert query(conn, "SELECT CURRENT_ROLE()") == [("NONE",)]


def test_current_role_and_show_grants_using_the_active_role(sandbox_mysql):
    lines = ["GRANT USAGE ON *.* TO `wandb_local`@`%`", "GRANT `wandb_rw`@`%` TO `wandb_local`@`%`"]
    extra = ["GRANT ALL PRIVILEGES ON `wandb_local`.* TO `wandb_local`@`%`"]
    users = [MysqlUser(DEFAULT_USER, DEFAULT_PASSWORD, grants=lines, databases=[DEFAULT_DATABASE],
                       active_roles=["`wandb_rw`@`%`"], role_grants=extra)]
    with connect(sandbox_mysql("mysql-8.0.36", users=users)) as conn:
        assert query(conn, "SELECT CURRENT_ROLE()") == [("`wandb_rw`@`%`",)]
        assert query(conn, "SHOW GRANTS FOR CURRENT_USER() USING `wandb_rw`@`%`") == [(g,) for g in lines + extra]
        assert error_code(lambda: query(conn, "SHOW GRANTS FOR CURRENT_USER() USING `other`@`%`")) == 3530


def test_a_server_without_roles_answers_with_its_own_errors(sandbox_mysql):
    # MySQL 5.7: CURRENT_ROLE() is an unknown function (1305; 1046 before a database is chosen)
    # and SHOW GRANTS ... USING a syntax error (1064), never a traceback.
    server = sandbox_mysql("mysql-5.7.44")
    with connect(server) as conn:
        with pytest.raises(pymysql.MySQLError) as failure:
            query(conn, "SELECT CURRENT_ROLE()")
        assert failure.value.args == (1305, f"FUNCTION {DEFAULT_DATABASE}.CURRENT_ROLE does not exist")
        assert error_code(lambda: query(conn, "SHOW GRANTS FOR CURRENT_USER() USING `r`@`%`")) == 1064
    with connect(server, database=None) as conn:
        assert error_code(lambda: query(conn, "SELECT CURRENT_ROLE()")) == 1046
