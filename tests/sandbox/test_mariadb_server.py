"""Real MariaDB: the engine the wizard must tell apart from MySQL, with and without a faked version."""

import os

import pymysql
import pytest

from sandbox.mariadb import ADMIN_PASSWORD, ADMIN_USER, SandboxMariaDB


def connect(server, **overrides):
    return pymysql.connect(**{**server.connect_kwargs(), "ssl_disabled": True, "connect_timeout": 5, **overrides})


def query(conn, sql, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return list(cur.fetchall())


def error_code(call):
    with pytest.raises(pymysql.MySQLError) as failure:
        call()
    return failure.value.args[0]


def test_reports_itself_as_mariadb(sandbox_mariadb):
    with connect(sandbox_mariadb) as conn:
        [(version, comment)] = query(conn, "SELECT VERSION(), @@version_comment")
        assert "-MariaDB" in version
        assert comment
        assert conn.get_server_info() == f"5.5.5-{version}"  # MariaDB 10+ handshake prefix


def test_version_override_fakes_version_but_not_comment(sandbox_mariadb_as_mysql, sandbox_mariadb):
    with connect(sandbox_mariadb_as_mysql) as faked, connect(sandbox_mariadb) as real:
        assert faked.get_server_info() == "8.0.36"
        assert query(faked, "SELECT VERSION(), @@version") == [("8.0.36", "8.0.36")]
        assert query(faked, "SELECT @@version_comment") == query(real, "SELECT @@version_comment")
        assert query(faked, "SELECT @@version_source_revision") == query(real, "SELECT @@version_source_revision")


def test_listens_on_loopback_only(sandbox_mariadb):
    with connect(sandbox_mariadb) as conn:
        assert query(conn, "SELECT @@bind_address, @@port") == [("127.0.0.1", sandbox_mariadb.port)]


def test_wandb_database_charset_and_grants(sandbox_mariadb):
    with connect(sandbox_mariadb) as conn:
        rows = query(conn, "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA "
                           "WHERE SCHEMA_NAME = %s", ("wandb_local",))
        assert rows == [("utf8mb4", "utf8mb4_general_ci")]
        grants = [line for (line,) in query(conn, "SHOW GRANTS FOR CURRENT_USER()")]
        assert "GRANT ALL PRIVILEGES ON `wandb_local`.* TO `wandb_local`@`%` WITH GRANT OPTION" in grants


def test_wrong_password_is_error_1045(sandbox_mariadb):
    assert error_code(lambda: connect(sandbox_mariadb, password="wrong")) == 1045


def test_unknown_database_is_1049_for_a_privileged_user_and_1044_otherwise(sandbox_mariadb):
    assert error_code(lambda: connect(sandbox_mariadb, user=ADMIN_USER, password=ADMIN_PASSWORD,
                                      database="missing")) == 1049
    assert error_code(lambda: connect(sandbox_mariadb, database="missing")) == 1044


def test_real_engine_stores_rows(sandbox_mariadb):
    with connect(sandbox_mariadb) as conn:
        query(conn, "CREATE TABLE IF NOT EXISTS sandbox_probe (id INT PRIMARY KEY, note VARCHAR(20))")
        query(conn, "REPLACE INTO sandbox_probe VALUES (1, 'stored')")
        conn.commit()
        assert query(conn, "SELECT note FROM sandbox_probe WHERE id = 1") == [("stored",)]


def test_settings_can_be_changed_by_the_admin(sandbox_mariadb):
    old = sandbox_mariadb.admin("SELECT @@GLOBAL.sort_buffer_size")[0][0]
    try:
        sandbox_mariadb.admin("SET GLOBAL sort_buffer_size = 67108864")
        with connect(sandbox_mariadb) as conn:
            assert query(conn, "SHOW GLOBAL VARIABLES LIKE 'sort_buffer_size'") == [("sort_buffer_size", "67108864")]
    finally:
        sandbox_mariadb.admin("SET GLOBAL sort_buffer_size = %s", (old,))


def test_stop_ends_the_server_and_removes_its_files():
    server = SandboxMariaDB().start()
    pid, workdir = server.pid, server.workdir
    with connect(server) as conn:
        assert query(conn, "SELECT 1") == [(1,)]
    server.stop()
    assert not os.path.exists(f"/proc/{pid}")
    assert not workdir.exists()
