"""A real MariaDB server (Debian's mariadb-server) in a temporary datadir on 127.0.0.1 and a free port.

    with SandboxMariaDB(tmp_path) as db:
        pymysql.connect(**db.connect_kwargs())
    with SandboxMariaDB(tmp_path, version_override="8.0.36") as db:   # claims to be MySQL 8.0.36

Needs the Debian packages (sandbox/install-system-packages.sh). Never touches the system
service, /etc/mysql or port 3306: every option comes from the command line (--no-defaults).
The W&B user gets the documented setup: database utf8mb4 / utf8mb4_general_ci, ALL on it WITH
GRANT OPTION; ADMIN_USER has all privileges (over TCP). `admin()` runs statements as root
through the unix socket (no password).

What `version_override` (mariadbd --version=STR, MDEV-7780) changes, seen with 10.11.19:
VERSION(), @@version, SHOW VARIABLES 'version' and the handshake's server version all read STR
exactly (no "5.5.5-" prefix, which unmodified MariaDB 10+ sends). Still MariaDB: @@version_comment
("Debian 12"), @@version_source_revision, @@version_ssl_library, no @@innodb_version, MariaDB's
defaults (binlog_format MIXED, sync_binlog 0, sort_buffer_size 2 MiB, character_set_server latin1)
and MariaDB's SHOW GRANTS format.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pymysql

from sandbox.procs import LOOPBACK, ManagedProcess, free_port

DEFAULT_USER = "wandb_local"
DEFAULT_PASSWORD = "sandbox-db-password"
DEFAULT_DATABASE = "wandb_local"
ADMIN_USER = "sandbox_admin"  # all privileges over TCP (root is socket-only)
ADMIN_PASSWORD = "sandbox-admin-password"

# Small InnoDB files: a test server needs seconds to start and ~100 MB, not 128 MB of buffers.
_SMALL = ["--innodb-buffer-pool-size=16M", "--innodb-log-file-size=8M"]


def _binary(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if not path:
        raise FileNotFoundError(f"{name} not found: run sandbox/install-system-packages.sh")
    return path


class SandboxMariaDB:
    """mariadbd with its datadir under `workdir` (default: a new temp dir, removed on stop).

    Attributes once started: host, port, socket_path, datadir, user, password, database, pid."""

    def __init__(
        self,
        workdir: str | Path | None = None,
        *,
        version_override: str | None = None,
        database: str = DEFAULT_DATABASE,
        user: str = DEFAULT_USER,
        password: str = DEFAULT_PASSWORD,
        charset: str = "utf8mb4",
        collation: str = "utf8mb4_general_ci",
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="wbinstall-mariadb-"))
        self.datadir = self.workdir / "data"
        self.socket_path = self.workdir / "mysqld.sock"  # unix sockets allow ~107 bytes: keep workdir short
        self.version_override = version_override
        self.database, self.user, self.password = database, user, password
        self.charset, self.collation = charset, collation
        self.extra_args = tuple(extra_args)
        self.host, self.port = LOOPBACK, 0
        self._proc: ManagedProcess | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def connect_kwargs(self) -> dict[str, Any]:
        """pymysql.connect(**kwargs) for the W&B user over TCP."""
        return {"host": self.host, "port": self.port, "user": self.user, "password": self.password,
                "database": self.database}

    def admin(self, sql: str, args: Any = None) -> list[tuple]:
        """Runs one statement as root over the unix socket; returns the rows (if any)."""
        conn = pymysql.connect(unix_socket=str(self.socket_path), user="root", password="", connect_timeout=5)
        try:
            with conn.cursor() as cur:
                cur.execute(sql, args)
                rows = list(cur.fetchall())
            conn.commit()
            return rows
        finally:
            conn.close()

    def start(self, timeout: float = 60.0) -> SandboxMariaDB:
        as_root = ["--user=root"] if os.geteuid() == 0 else []
        if not (self.datadir / "mysql").is_dir():
            self._install_db(as_root, timeout)
        self.port = free_port()
        argv = [
            _binary("mariadbd"), "--no-defaults",
            f"--datadir={self.datadir}", f"--socket={self.socket_path}", f"--pid-file={self.workdir / 'mysqld.pid'}",
            f"--port={self.port}", f"--bind-address={LOOPBACK}", "--skip-name-resolve", *as_root, *_SMALL,
        ]
        if self.version_override:
            argv.append(f"--version={self.version_override}")
        argv += self.extra_args
        self._proc = ManagedProcess("mariadbd", argv, log_path=self.workdir / "mariadbd.log")
        self._proc.start(ready=self._admin_ready, timeout=timeout)
        try:
            self._create_database_and_user()
        except BaseException:
            self.stop()
            raise
        return self

    def _install_db(self, as_root: list[str], timeout: float) -> None:
        argv = [
            _binary("mariadb-install-db"), "--no-defaults", f"--datadir={self.datadir}",
            "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve", *as_root, *_SMALL,
        ]
        log_path = self.workdir / "install-db.log"
        self.workdir.mkdir(parents=True, exist_ok=True)
        with open(log_path, "wb") as log:
            result = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    timeout=timeout, start_new_session=True)
        if result.returncode != 0:
            tail = log_path.read_text(errors="replace")[-4000:]
            raise RuntimeError(f"mariadb-install-db failed ({result.returncode}):\n{tail}")

    def _admin_ready(self) -> bool:
        pymysql.connect(unix_socket=str(self.socket_path), user="root", password="", connect_timeout=1).close()
        return True

    def _create_database_and_user(self) -> None:
        self.admin(
            f"CREATE DATABASE IF NOT EXISTS `{self.database}` CHARACTER SET {self.charset} COLLATE {self.collation}"
        )
        self.admin(f"CREATE USER IF NOT EXISTS '{self.user}'@'%%' IDENTIFIED BY %s", (self.password,))
        self.admin(f"GRANT ALL PRIVILEGES ON `{self.database}`.* TO '{self.user}'@'%' WITH GRANT OPTION")
        self.admin(f"CREATE USER IF NOT EXISTS '{ADMIN_USER}'@'%%' IDENTIFIED BY %s", (ADMIN_PASSWORD,))
        self.admin(f"GRANT ALL PRIVILEGES ON *.* TO '{ADMIN_USER}'@'%' WITH GRANT OPTION")

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.stop(grace=15.0)  # SIGTERM is MariaDB's clean shutdown
            self._proc = None
        self.port = 0
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> SandboxMariaDB:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"SandboxMariaDB({self.host}:{self.port}, version_override={self.version_override!r})"
