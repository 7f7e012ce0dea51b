"""Gather the MySQL facts: one connection, a few read-only statements, all inside the deadline.

The connection is made in steps (resolve, TCP, then MySQL's handshake over that socket) so that
each way of failing is told apart precisely, and each step is bounded by ctx.remaining().
pymysql is imported here, never at module level (startup time of the CLI).
"""

from __future__ import annotations

import errno
import ipaddress
import re
import threading
import time
from dataclasses import fields, replace
from typing import Any

from wbinstall import requirements
from wbinstall.checks.context import ProbeContext
from wbinstall.checks.mysql.facts import Failure, MysqlFacts

# Read besides W&B's settings: they tell the vendor and build apart (see versions.identify).
HINT_VARIABLES = ("aurora_version", "basedir", "log_bin", "lower_case_table_names", "aad_auth_only", "wsrep_on")
_LOST = {2006, 2013, 2014, 2055}  # server gone / lost connection / out of sync: stop reading
_HASH = re.compile(r"\s+IDENTIFIED\b.*?(?=\s+(?:REQUIRE|WITH)\b|$)", re.IGNORECASE)


class _Failed(Exception):
    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.detail)
        self.failure = failure


class _Stop(Exception):
    """Gathering cannot go on (deadline reached or connection lost); keep what was read."""


def gather(ctx: ProbeContext) -> MysqlFacts:
    m = ctx.answers.mysql
    address = f"{m.host}:{m.port}"
    password = ctx.secrets.get(("mysql", "password"))
    if not password:
        return MysqlFacts(address, Failure("no-password", "mysql.password has no value"))
    try:
        conn, tls = _connect(ctx, password)
    except _Failed as failed:
        return _scrub(MysqlFacts(address, failed.failure), password)
    try:
        return _scrub(_read(ctx, conn, address, tls), password)
    finally:
        _close(conn)


# -- connecting -------------------------------------------------------------------------------

def _connect(ctx: ProbeContext, password: str) -> tuple[Any, str | None]:
    import ssl

    import pymysql

    m = ctx.answers.mysql
    tls_context = _tls_context(ctx) if m.tls else None
    sock = _tcp(ctx, _resolve(ctx, m.host, m.port))
    left = ctx.remaining()
    conn = pymysql.connections.Connection(
        host=m.host, port=m.port, user=m.user, password=password, database=m.database,
        connect_timeout=left, read_timeout=left, write_timeout=left,
        ssl=tls_context, ssl_disabled=not m.tls, defer_connect=True, autocommit=True, charset="utf8mb4",
        # Without TLS, a server asking for the password as plain text never receives it.
        auth_plugin_map={} if m.tls else _PLAIN_TEXT_REFUSED,
    )
    start = time.monotonic()
    try:
        conn.connect(sock)
    except _ClearTextRefused as refused:
        raise _Failed(Failure("clear-text", refused.plugin)) from None
    except Exception as exc:  # noqa: BLE001 - every failure becomes a fact
        greeted = bool(getattr(conn, "server_version", None))
        raise _Failed(_classify(exc, greeted=greeted, tls=m.tls, waited=time.monotonic() - start)) from None
    tls = None
    if isinstance(conn._sock, ssl.SSLSocket):
        cipher = conn._sock.cipher()
        tls = f"{conn._sock.version()} {cipher[0] if cipher else ''}".strip()
    elif m.tls:  # pymysql before 1.2 falls back to plain text silently when the server has no TLS
        _close(conn)
        raise _Failed(Failure("tls-unsupported", "the server offered no TLS; the session was not encrypted"))
    return conn, tls


class _ClearTextRefused(Exception):
    def __init__(self, plugin: str) -> None:
        super().__init__(plugin)
        self.plugin = plugin


class _RefuseClearText:
    """pymysql's handler for an authentication plugin that sends the password as it is
    (mysql_clear_password; MariaDB's dialog, which prompts for it): on a plain connection it
    stops the login before anything is written."""

    plugin = ""

    def __init__(self, _connection) -> None:
        pass

    def authenticate(self, _packet):
        raise _ClearTextRefused(self.plugin)


class _RefuseClear(_RefuseClearText):
    plugin = "mysql_clear_password"


class _RefuseDialog(_RefuseClearText):
    plugin = "dialog"


_PLAIN_TEXT_REFUSED = {"mysql_clear_password": _RefuseClear, "dialog": _RefuseDialog}


def _tls_context(ctx: ProbeContext):
    import ssl

    m = ctx.answers.mysql
    context = ssl.create_default_context()  # the system store, hostname checked
    if m.ca_file:
        path = ctx.path(m.ca_file)
        try:
            context.load_verify_locations(cafile=str(path))
        except (OSError, ssl.SSLError) as exc:
            raise _Failed(Failure("ca-file", f"{path}: {getattr(exc, 'strerror', None) or exc}")) from None
    return context


def _resolve(ctx: ProbeContext, host: str, port: int) -> list[tuple]:
    import socket

    try:
        ipaddress.ip_address(host)
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except ValueError:
        pass
    # A URL, a path or host:port is a mistake in the answers, not something DNS should be asked.
    if not host or any(c in host for c in "/:@") or any(c.isspace() for c in host):
        raise _Failed(Failure("bad-host", f"mysql.host is {host!r}"))
    # getaddrinfo has no timeout: run it aside and stop waiting at the deadline.
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["addrs"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except BaseException as exc:  # noqa: BLE001 - reported below
            outcome["error"] = exc

    start = time.monotonic()
    thread = threading.Thread(target=work, name="mysql-resolve", daemon=True)
    thread.start()
    thread.join(ctx.remaining())
    if thread.is_alive():
        raise _Failed(Failure("dns-timeout", f"no answer from the resolver for {host}", waited=time.monotonic() - start))
    error = outcome.get("error")
    if isinstance(error, UnicodeError):  # labels too long or empty: not a name at all
        raise _Failed(Failure("bad-host", f"{host}: {error}"))
    if isinstance(error, socket.gaierror):
        raise _Failed(Failure("dns", f"{host}: {error.strerror or error}"))
    if error is not None:
        raise _Failed(Failure("other", f"resolving {host}: {error}"))
    return outcome["addrs"]


def _tcp(ctx: ProbeContext, addrs: list[tuple]):
    import socket

    last: tuple[OSError, float] | None = None
    for family, kind, proto, _, sockaddr in addrs:
        sock = socket.socket(family, kind, proto)
        sock.settimeout(ctx.remaining())
        start = time.monotonic()
        try:
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            last = (exc, time.monotonic() - start)
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return sock
    exc, waited = last if last else (OSError("no address"), 0.0)
    if isinstance(exc, ConnectionRefusedError):
        raise _Failed(Failure("refused", str(exc)))
    if isinstance(exc, TimeoutError):
        raise _Failed(Failure("timeout", "TCP connection attempt timed out", waited=waited))
    if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EADDRNOTAVAIL):
        raise _Failed(Failure("unreachable", str(exc)))
    raise _Failed(Failure("other", str(exc)))


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = getattr(exc, "original_exception", None) or exc.__cause__ or exc.__context__


def _classify(exc: Exception, *, greeted: bool, tls: bool, waited: float) -> Failure:
    import ssl

    import pymysql

    for e in _chain(exc):
        if isinstance(e, ssl.SSLCertVerificationError):
            code = e.verify_code
            # 62/64: host name / IP address mismatch; 9/10: not yet valid / expired; else an unknown issuer
            kind = "tls-hostname" if code in (62, 64) else "tls-expired" if code in (9, 10) else "tls-untrusted"
            return Failure(kind, f"certificate verify failed: {e.verify_message} (OpenSSL verify code {code})",
                           verify_code=code)
        if isinstance(e, ssl.SSLError):
            return Failure("tls-handshake", str(e))
        if isinstance(e, TimeoutError):
            if not greeted:
                return Failure("no-greeting", "no MySQL greeting received", waited=waited)
            return Failure("timeout", "the server stopped answering during login", waited=waited)
    if isinstance(exc, pymysql.err.MySQLError) and len(exc.args) >= 2 and isinstance(exc.args[0], int):
        code, message = exc.args[0], str(exc.args[1])
        detail = f"error {code}: {message}"
        kinds = {1045: "auth", 1130: "host-not-allowed", 1044: "no-database-access", 1049: "unknown-database",
                 3159: "tls-required"}
        if code in kinds:
            return Failure(kinds[code], detail, code=code)
        if code == 2026 and "support" in message:  # CR_SSL_CONNECTION_ERROR: server offers no TLS
            return Failure("tls-unsupported", detail, code=code)
        if code in _LOST and not greeted:
            return Failure("not-mysql", detail, code=code)
        if code in _LOST and tls:
            return Failure("tls-handshake", detail, code=code)
        return Failure("other", detail, code=code)
    if not greeted:  # a greeting pymysql could not parse
        return Failure("not-mysql", f"{type(exc).__name__}: {exc}")
    return Failure("other", f"{type(exc).__name__}: {exc}")


def _close(conn: Any) -> None:
    try:
        conn._write_timeout = 0.1  # COM_QUIT is a courtesy: never let it delay the facts
        conn.close()
    except Exception:  # noqa: BLE001 - already closed or gone
        pass


# -- reading ----------------------------------------------------------------------------------

class _Session:
    def __init__(self, ctx: ProbeContext, conn: Any) -> None:
        self.ctx, self.conn = ctx, conn

    def rows(self, statement: str, args: Any = None) -> tuple[list[tuple] | None, str | None]:
        import pymysql

        left = self.ctx.deadline - time.monotonic()
        if left <= 0:
            raise _Stop(f"out of time before {statement}")
        # pymysql applies these per packet: narrowing them keeps each statement inside the deadline.
        self.conn._read_timeout = self.conn._write_timeout = left
        try:
            with self.conn.cursor() as cur:
                cur.execute(statement, args)
                return list(cur.fetchall()), None
        except pymysql.err.MySQLError as exc:
            code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
            if code in _LOST or not self.conn.open:
                raise _Stop(f"connection lost during {statement}: {exc}") from None
            return None, f"{statement}: error {code}: {exc.args[1] if len(exc.args) > 1 else exc}"
        except Exception as exc:  # noqa: BLE001 - an answer pymysql cannot parse: stop, keep the rest
            raise _Stop(f"unreadable answer to {statement}: {type(exc).__name__}: {exc}") from None

    def value(self, statement: str) -> tuple[Any, str | None]:
        rows, error = self.rows(statement)
        return (rows[0][0] if rows else None), error


def _read(ctx: ProbeContext, conn: Any, address: str, tls: str | None) -> MysqlFacts:
    m = ctx.answers.mysql
    s = _Session(ctx, conn)
    seen: dict[str, Any] = {"address": address, "tls": tls}
    try:
        rows, _ = s.rows("SELECT VERSION(), @@version_comment")
        if rows:
            seen["version"], seen["version_comment"] = (str(v) if v is not None else None for v in rows[0])
        else:
            seen["version"] = conn.get_server_info()  # the handshake's version string

        variables, seen["variables_error"] = _variables(s)
        seen["variables"] = variables
        seen["aurora_version"] = variables.get("aurora_version") or _aurora_version(s)

        rows, seen["schema_error"] = s.rows(
            "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA "
            "WHERE SCHEMA_NAME = %s", (m.database,))
        if rows:
            seen["charset"], seen["collation"] = rows[0]
        elif rows is not None:
            seen["schema_error"] = f"no row for {m.database} in information_schema.SCHEMATA"

        seen["current_user"], _ = s.value("SELECT CURRENT_USER()")
        rows, error = s.rows("SHOW GRANTS FOR CURRENT_USER()")
        if rows is None:
            rows, error = s.rows("SHOW GRANTS")
        seen["grants"] = tuple(_hide_hash(r[0]) for r in rows or ())
        seen["grants_error"] = error

        roles = _active_roles(s)
        seen["active_roles"] = roles
        if roles:  # what W&B's connections actually get: the user's grants plus the default roles'
            rows, seen["role_grants_error"] = s.rows("SHOW GRANTS FOR CURRENT_USER() USING " + ", ".join(roles))
            seen["role_grants"] = tuple(_hide_hash(r[0]) for r in rows or ())
    except _Stop as stop:
        seen["incomplete"] = str(stop)
    return MysqlFacts(**seen)


def _variables(s: _Session) -> tuple[dict[str, str], str | None]:
    wanted = set(requirements.load().mysql.settings) | set(HINT_VARIABLES)
    rows, error = s.rows("SHOW GLOBAL VARIABLES")
    if rows is None:
        rows, error = s.rows("SHOW VARIABLES")
    out: dict[str, str] = {}
    for name, value in rows or ():
        name = str(name).lower()
        if value is not None and (name in wanted or (name.startswith("aria_") and not any(k.startswith("aria_") for k in out))):
            out[name] = str(value)
    return out, error


def _aurora_version(s: _Session) -> str | None:
    # Only Aurora knows these; elsewhere they fail (1193 / 1305), which is the expected answer.
    for statement in ("SELECT @@aurora_version", "SELECT AURORA_VERSION()"):
        value, error = s.value(statement)
        if error is None and value:
            return str(value)
    return None


def _active_roles(s: _Session) -> tuple[str, ...] | None:
    """CURRENT_ROLE(): MySQL 8 says NONE or `r`@`%`,...; MariaDB NULL or one name; else unknown."""
    rows, error = s.rows("SELECT CURRENT_ROLE()")
    if error is not None or not rows:
        return None
    value = rows[0][0]
    if value is None or str(value).upper() == "NONE":
        return ()
    value = str(value)
    if "@" not in value:  # MariaDB's single role: SHOW GRANTS ... USING is MySQL-only
        return None
    return tuple(r.strip() for r in re.split(r",(?=\s*`)", value) if r.strip())


def _hide_hash(line: Any) -> str:
    """MariaDB shows the password hash in SHOW GRANTS: keep it out of the facts."""
    return _HASH.sub(" IDENTIFIED BY <password hash hidden>", str(line))


def _scrub(facts: MysqlFacts, password: str) -> MysqlFacts:
    """No fact carries the password, whatever a server or library echoed. Like the engine's last
    defence, very short values are left alone: replacing every "ab" would garble the evidence."""
    if len(password) < 4:
        return facts

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(password, "<redacted>")
        if isinstance(value, tuple):
            return tuple(clean(v) for v in value)
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, Failure):
            return replace(value, detail=clean(value.detail))
        return value

    return replace(facts, **{f.name: clean(getattr(facts, f.name)) for f in fields(facts)})
