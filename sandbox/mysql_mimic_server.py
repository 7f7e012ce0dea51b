"""A MySQL-wire-protocol server (mysql-mimic) that impersonates MySQL 8 and its look-alikes.

    with MimicMySQL(preset("aurora-3.05.2")) as db:
        pymysql.connect(host=db.host, port=db.port, user=db.user, password=db.password, database=db.database)

Runs on 127.0.0.1 and a free port, in its own thread and event loop. Logins use
mysql_native_password against the configured users (unknown user or wrong password: 1045).
There is no storage engine: it answers exactly the statements a preflight check sends.

Statements answered (case-insensitive; anything else gets error 1235 "not supported"):
    SELECT <expressions>          no FROM: literals, VERSION(), @@var / @@global.var / @@session.var,
                                  DATABASE(), USER(), CURRENT_USER(), CONNECTION_ID(), NOW() ...,
                                  CURRENT_ROLE() (the user's active roles, NONE without; a server
                                  without roles, 5.7: 1305 as for any unknown function),
                                  and the preset's vendor functions (AURORA_VERSION(), TIDB_VERSION());
                                  an unknown function: 1305 (1046 when no database is selected);
                                  an unknown @@variable: 1193
    SELECT ... FROM information_schema.<table> ...   SCHEMATA has the configured databases with their
                                  charset/collation (plus information_schema, mysql,
                                  performance_schema, sys)
    SHOW [GLOBAL|SESSION] VARIABLES [LIKE 'pattern' | WHERE <condition on Variable_name/Value>]
    SHOW DATABASES [LIKE ...]     (only the databases the user may open)
    SHOW [SESSION] STATUS [LIKE ...]   only Ssl_cipher and Ssl_version (empty without TLS)
    SHOW GRANTS, SHOW GRANTS FOR CURRENT_USER[()], SHOW GRANTS FOR 'user'[@'host']
                                  the user's configured grant lines; another user: 1141
    SHOW GRANTS FOR ... USING role[, role]   plus the user's role_grants; a role not granted: 3530;
                                  a server without roles: 1064
    USE db / COM_INIT_DB / database at login     a database the user has no rights on: 1044 (whether
                                  it exists or not, as MySQL); unknown to a user with rights: 1049
    SET [SESSION] var = value, SET NAMES ..., BEGIN, COMMIT, ROLLBACK, KILL   (as mysql-mimic does)
Booleans show as ON/OFF in SHOW VARIABLES and as 1/0 in SELECT @@var, as MySQL does.
With `require_tls`, a login without TLS gets 3159 (require_secure_transport).
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from dataclasses import dataclass, field, replace
from ssl import SSLContext, SSLError
from typing import Any

from mysql_mimic import MysqlServer, Session
from mysql_mimic.auth import AbstractClearPasswordAuthPlugin, IdentityProvider, NativePasswordAuthPlugin, User
from mysql_mimic.connection import Connection
from mysql_mimic.errors import ErrorCode, MysqlError
from mysql_mimic.packets import make_error
from mysql_mimic.schema import InfoSchema, info_schema_tables
from mysql_mimic.session import mysql_function_mapping
from mysql_mimic.stream import ConnectionClosed, MysqlStream
from mysql_mimic.types import Capabilities
from mysql_mimic.variable_processor import VariableProcessor
from mysql_mimic.variables import SYSTEM_VARIABLES, GlobalVariables, SessionVariables
from sqlglot import exp
from sqlglot.executor import execute
from sqlglot.executor.table import Table

from sandbox.procs import LOOPBACK
from wbinstall import requirements


class _OnlyTracebacks(logging.Filter):
    """mysql-mimic logs every error it answers a client with (1045, 1049...): keep real failures only."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < logging.ERROR or record.exc_info is not None


_log = logging.getLogger("sandbox.mysql")
logging.getLogger("mysql_mimic.connection").addFilter(_OnlyTracebacks())
# asyncio warns on every TLS client that hangs up (a stream protocol over start_tls); harmless here.
logging.getLogger("asyncio").addFilter(lambda r: "eof_received() has no effect when using ssl" not in r.getMessage())

# MySQL error codes mysql-mimic has no names for.
ER_DBACCESS_DENIED = 1044
ER_BAD_DB = 1049
ER_NONEXISTING_GRANT = 1141
ER_PARSE_ERROR = 1064
ER_SP_DOES_NOT_EXIST = 1305
ER_SECURE_TRANSPORT_REQUIRED = 3159
ER_ROLE_NOT_GRANTED = 3530

DEFAULT_USER = "wandb_local"
DEFAULT_PASSWORD = "sandbox-db-password"
DEFAULT_DATABASE = "wandb_local"
ADMIN_USER = "sandbox_admin"  # all privileges: the login that sees 1049 for an unknown database
ADMIN_PASSWORD = "sandbox-admin-password"


@dataclass
class MysqlUser:
    """A login. `grants`: the SHOW GRANTS lines (None: USAGE plus ALL on each of `databases`).
    `databases`: the databases the user may open (None: all). `active_roles`: what CURRENT_ROLE()
    says after login, as MySQL 8 writes them (`r`@`%`); `role_grants`: the lines SHOW GRANTS ...
    USING those roles adds (the roles' privileges, shown as the user's, as MySQL does)."""

    name: str
    password: str
    host: str = "%"
    grants: list[str] | None = None
    databases: list[str] | None = None
    active_roles: list[str] = field(default_factory=list)
    role_grants: list[str] = field(default_factory=list)


@dataclass
class Database:
    name: str
    charset: str = "utf8mb4"
    collation: str = "utf8mb4_general_ci"


@dataclass
class MimicConfig:
    """What the server claims to be. `variables` are added to/override mysql-mimic's system
    variables (values: str, int or bool); `functions` are extra SQL functions (upper-case name ->
    returned value), e.g. AURORA_VERSION. Changes apply to connections opened afterwards."""

    version: str
    version_comment: str
    variables: dict[str, Any] = field(default_factory=dict)
    functions: dict[str, Any] = field(default_factory=dict)
    users: list[MysqlUser] = field(default_factory=list)
    databases: list[Database] = field(default_factory=list)
    require_tls: bool = False
    grant_quote: str = "`"  # MySQL 8 quotes names in SHOW GRANTS with backticks, 5.7 with '
    roles: bool = True  # MySQL 8 roles (CURRENT_ROLE(), SHOW GRANTS ... USING); 5.7 has none
    # Accounts authenticate with mysql_clear_password (as RDS IAM, LDAP or PAM logins do): the
    # client sends the password itself. Each one received is kept in `clear_passwords_received`.
    clear_password: bool = False
    clear_passwords_received: list[str] = field(default_factory=list)


# Stock MySQL 8.0 defaults for the settings W&B documents (wandb-operator.md §3.3), so a check
# against a fresh preset sees what an untuned server reports.
MYSQL80_DEFAULTS: dict[str, Any] = {
    "binlog_format": "ROW",
    "binlog_row_image": "FULL",
    "innodb_flush_log_at_trx_commit": 1,
    "innodb_online_alter_log_max_size": 134217728,
    "max_prepared_stmt_count": 16382,
    "sort_buffer_size": 262144,
    "sync_binlog": 1,
    "log_bin": True,
    "character_set_server": "utf8mb4",
    "collation_server": "utf8mb4_0900_ai_ci",
    "default_authentication_plugin": "caching_sha2_password",
    "have_ssl": "YES",
    "require_secure_transport": False,
    "sql_mode": "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
    "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION",
    "default_storage_engine": "InnoDB",
    "default_tmp_storage_engine": "InnoDB",
    "license": "GPL",
    "performance_schema": True,
    "transaction_isolation": "REPEATABLE-READ",
}

# The values W&B documents (assets/requirements.yaml, read as the checks read it): pass as `variables=` to get a tuned server.
WANDB_RECOMMENDED: dict[str, Any] = dict(requirements.load().mysql.settings)

_MYSQL57_DEFAULTS = {
    **{k: v for k, v in MYSQL80_DEFAULTS.items() if k != "default_authentication_plugin"},
    "log_bin": False,
    "character_set_server": "latin1",
    "collation_server": "latin1_swedish_ci",
    "default_authentication_plugin": "mysql_native_password",
    "sql_mode": "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
    "ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION",
    "transaction_isolation": "REPEATABLE-READ",
}

_TIDB_VERSION_TEXT = (
    "Release Version: v7.5.0\nEdition: Community\nGit Commit Hash: (sandbox)\nGit Branch: HEAD\n"
    "UTC Build Time: (sandbox)\nGoVersion: go1.21\nRace Enabled: false\nStore: tikv"
)

# name -> (version, version_comment, extra variables, functions, grant quote)
_PRESETS: dict[str, tuple[str, str, dict, dict, str]] = {
    "mysql-8.0.36": ("8.0.36", "MySQL Community Server - GPL", {}, {}, "`"),
    "mysql-8.4.8": (
        "8.4.8", "MySQL Community Server - GPL",
        {"default_authentication_plugin": None, "authentication_policy": "*,,"}, {}, "`",
    ),
    # A pre-GA 8.0 milestone (GA is 8.0.11): version parsers must not take it for 8.0.x GA.
    "mysql-8.0.4-rc": ("8.0.4-rc", "MySQL Community Server (GPL)", {}, {}, "`"),
    "aurora-3.05.2": (
        "8.0.32", "Source distribution", {"aurora_version": "3.05.2"}, {"AURORA_VERSION": "3.05.2"}, "`",
    ),
    "cloudsql-8.0.31": ("8.0.31-google", "(Google)", {}, {}, "`"),
    # The revision hash is a placeholder; checks should key on "Percona Server".
    "percona-8.0.36-28": ("8.0.36-28", "Percona Server (GPL), Release 28, Revision 47601f19", {}, {}, "`"),
    "tidb-7.5.0": (
        "8.0.11-TiDB-v7.5.0",
        "TiDB Server (Apache License 2.0) Community Edition, MySQL 8.0 compatible",
        {"max_prepared_stmt_count": -1},
        {"TIDB_VERSION": _TIDB_VERSION_TEXT},
        "`",
    ),
    "mysql-5.7.44": ("5.7.44", "MySQL Community Server (GPL)", {}, {}, "'"),
}
PRESETS = tuple(_PRESETS)


def grant_lines(user: str, host: str, databases: list[str], quote: str = "`") -> list[str]:
    """SHOW GRANTS lines for W&B's documented setup: USAGE, then ALL on each database WITH GRANT OPTION."""
    q = quote
    who = f"{q}{user}{q}@{q}{host}{q}"
    return [f"GRANT USAGE ON *.* TO {who}"] + [
        f"GRANT ALL PRIVILEGES ON `{db}`.* TO {who} WITH GRANT OPTION" for db in databases
    ]


def preset(
    name: str,
    *,
    variables: dict[str, Any] | None = None,
    users: list[MysqlUser] | None = None,
    databases: list[Database] | None = None,
    **overrides: Any,
) -> MimicConfig:
    """A MimicConfig for one of PRESETS. Default logins: DEFAULT_USER / DEFAULT_PASSWORD with
    W&B's grants on DEFAULT_DATABASE (utf8mb4 / utf8mb4_general_ci), and ADMIN_USER /
    ADMIN_PASSWORD with all privileges. `variables` are laid over the preset's; other keyword
    arguments replace MimicConfig fields (e.g. require_tls=True, version="8.0.40")."""
    try:
        version, comment, extra_vars, functions, quote = _PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown MySQL preset {name!r}; known: {', '.join(PRESETS)}") from None
    base = _MYSQL57_DEFAULTS if version.startswith("5.") else MYSQL80_DEFAULTS
    merged = {**base, **extra_vars, **(variables or {})}
    dbs = databases if databases is not None else [Database(DEFAULT_DATABASE)]
    if users is None:
        db_names = [d.name for d in dbs]
        users = [
            MysqlUser(DEFAULT_USER, DEFAULT_PASSWORD, grants=grant_lines(DEFAULT_USER, "%", db_names, quote),
                      databases=db_names),
            MysqlUser(ADMIN_USER, ADMIN_PASSWORD, databases=None,
                      grants=[f"GRANT ALL PRIVILEGES ON *.* TO {quote}{ADMIN_USER}{quote}@{quote}%{quote} WITH GRANT OPTION"]),
        ]
    config = MimicConfig(
        version=version,
        version_comment=comment,
        variables={k: v for k, v in merged.items() if v is not None},
        functions=dict(functions),
        users=users,
        databases=dbs,
        grant_quote=quote,
        roles=not version.startswith("5."),
    )
    return replace(config, **overrides)


_SYSTEM_SCHEMATA = [
    ("information_schema", "utf8mb3", "utf8mb3_general_ci"),
    ("mysql", "utf8mb4", "utf8mb4_0900_ai_ci"),
    ("performance_schema", "utf8mb4", "utf8mb4_0900_ai_ci"),
    ("sys", "utf8mb4", "utf8mb4_0900_ai_ci"),
]
_SHOW_GRANTS = re.compile(r"^\s*SHOW\s+GRANTS(?:\s+FOR\s+(?P<who>.+?)(?:\s+USING\s+(?P<using>.+?))?)?\s*;?\s*$",
                          re.IGNORECASE | re.DOTALL)
_ROLE_GRANT = re.compile(r"^\s*GRANT\s+(?P<roles>(?:(?!\sON\s).)+?)\s+TO\s", re.IGNORECASE)


def _like(pattern: str) -> re.Pattern:
    """SQL LIKE as a regex: whole-string, case-insensitive (mysql-mimic's is prefix/case-sensitive)."""
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        elif ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def _bare(role: str) -> str:
    """A role name as written in grants or USING, compared without quotes and spaces."""
    return re.sub(r"[`'\"\s]", "", role)


def _show_value(value: Any) -> str | None:
    if isinstance(value, bool):
        return "ON" if value else "OFF"
    return None if value is None else str(value)


class _SandboxSession(Session):
    def __init__(self, config: MimicConfig) -> None:
        schema = dict(SYSTEM_VARIABLES)
        schema["version"] = (str, config.version, False)
        schema["version_comment"] = (str, config.version_comment, False)
        for name, value in config.variables.items():
            schema[name.lower()] = (type(value), value, name.lower() not in ("version", "version_comment"))
        super().__init__(SessionVariables(GlobalVariables(schema)))
        self.config = config

    # -- who and where ------------------------------------------------------------------------
    @property
    def user(self) -> MysqlUser | None:
        return next((u for u in self.config.users if u.name == self.username), None)

    def knows_database(self, name: str) -> bool:
        return any(d.name == name for d in self.config.databases) or name.lower() in (
            s[0] for s in _SYSTEM_SCHEMATA
        )

    def may_open(self, name: str) -> bool:
        user = self.user
        return name.lower() == "information_schema" or user is None or user.databases is None or name in user.databases

    def check_database(self, name: str) -> MysqlError | None:
        # Like MySQL: a user without rights on the name learns nothing about whether it exists.
        if not self.may_open(name):
            user = self.user
            return MysqlError(
                f"Access denied for user '{user.name}'@'{user.host}' to database '{name}'", code=ER_DBACCESS_DENIED
            )
        if not self.knows_database(name):
            return MysqlError(f"Unknown database '{name}'", code=ER_BAD_DB)
        return None

    async def use(self, database: str) -> None:
        error = self.check_database(database)
        if error:
            raise error
        self.database = database

    # -- statements ---------------------------------------------------------------------------
    async def handle_query(self, sql: str, attrs: dict[str, str]):
        # sqlglot cannot parse SHOW GRANTS FOR CURRENT_USER() or 'u'@'h': answer before parsing.
        match = _SHOW_GRANTS.match(sql)
        if match:
            return self._show_grants(match.group("who"), match.group("using"))
        return await super().handle_query(sql, attrs)

    def _show_grants(self, who: str | None, using: str | None = None) -> tuple[list, list[str]]:
        user = self.user
        if user is None:
            raise MysqlError("Not logged in", code=ErrorCode.ACCESS_DENIED_ERROR)
        if who and not re.fullmatch(r"CURRENT_USER(\s*\(\s*\))?", who.strip(), re.IGNORECASE):
            name = who.strip().split("@")[0].strip("`'\" ")
            if name != user.name:
                raise MysqlError(
                    f"There is no such grant defined for user '{name}' on host '%'", code=ER_NONEXISTING_GRANT
                )
        lines = user.grants
        if lines is None:
            lines = grant_lines(user.name, user.host, user.databases or [], self.config.grant_quote)
        if using:
            if not self.config.roles:
                raise MysqlError("You have an error in your SQL syntax; check the manual that corresponds to your "
                                 f"MySQL server version for the right syntax to use near 'USING {using}'",
                                 code=ER_PARSE_ERROR)
            granted = {_bare(r) for line in lines if (m := _ROLE_GRANT.match(line)) for r in m["roles"].split(",")}
            for role in using.split(","):
                if _bare(role) not in granted:
                    raise MysqlError(f"{role.strip()} is not granted to `{user.name}`@`{user.host}`",
                                     code=ER_ROLE_NOT_GRANTED)
            lines = [*lines, *user.role_grants]
        return [(line,) for line in lines], [f"Grants for {user.name}@{user.host}"]

    async def _set_var_middleware(self, q):
        """mysql-mimic's function/variable substitution, plus vendor functions and MySQL's errors
        for unknown functions (otherwise they fail deep inside sqlglot's executor)."""
        functions = mysql_function_mapping(self)
        functions["CURRENT_USER"] = lambda: f"{self.username}@{self.user.host if self.user else '%'}"
        functions["USER"] = functions["SESSION_USER"] = functions["SYSTEM_USER"] = lambda: f"{self.username}@localhost"
        if self.config.roles:
            functions["CURRENT_ROLE"] = lambda: ",".join(self.user.active_roles) if self.user and self.user.active_roles else "NONE"
        for name, value in self.config.functions.items():
            functions[name.upper()] = lambda value=value: value
        expression = q.expression
        if not isinstance(expression, exp.Set):
            for node in expression.find_all(exp.SessionParameter):
                if node.name.lower() not in self.variables.schema:
                    raise MysqlError(f"Unknown system variable '{node.name}'", code=ErrorCode.UNKNOWN_SYSTEM_VARIABLE)
        if isinstance(expression, exp.Select):
            # Name result columns after the expression, as MySQL does (mysql-mimic: CURRENT_VERSION()).
            for item in list(expression.expressions):
                if not isinstance(item, (exp.Alias, exp.Star)):
                    item.replace(exp.alias_(item.copy(), item.sql(dialect="mysql"), quoted=True))
        with VariableProcessor(functions, self.variables, expression).set_variables():
            # Functions nothing replaced: sqlglot's executor would fail on them with a traceback.
            # (CURRENT_ROLE() is left only on a server without roles, where it is unknown too.)
            unknown = [n.name for n in expression.find_all(exp.Anonymous)]
            unknown += ["CURRENT_ROLE" for _ in expression.find_all(exp.CurrentRole)]
            if unknown:
                if not self.database:
                    raise MysqlError("No database selected", code=ErrorCode.NO_DB_ERROR)
                raise MysqlError(f"FUNCTION {self.database}.{unknown[0]} does not exist", code=ER_SP_DOES_NOT_EXIST)
            return await q.next()

    async def _show(self, expression: exp.Show):
        kind = expression.name.upper()
        if kind == "VARIABLES":
            rows = [(name, _show_value(value)) for name, value in self.variables.list()]
            return self._filter(rows, ["Variable_name", "Value"], expression)
        if kind == "STATUS":  # only the TLS facts, from this connection's transport
            tls = self.connection.stream.writer.get_extra_info("ssl_object")
            rows = [("Ssl_cipher", tls.cipher()[0] if tls else ""), ("Ssl_version", tls.version() if tls else "")]
            return self._filter(rows, ["Variable_name", "Value"], expression)
        if kind == "DATABASES":
            names = [s[0] for s in _SYSTEM_SCHEMATA] + [d.name for d in self.config.databases]
            rows = sorted((n,) for n in names if self.may_open(n))
            return self._filter(rows, ["Database"], expression)
        return await super()._show(expression)

    @staticmethod
    def _filter(rows: list[tuple], columns: list[str], show: exp.Show) -> tuple[list, list[str]]:
        like = show.text("like")
        if like:
            pattern = _like(like)
            rows = [r for r in rows if pattern.fullmatch(r[0])]
        where = show.args.get("where")
        if where is not None:
            names = [c.lower() for c in columns]  # sqlglot normalises unquoted identifiers to lower case
            select = exp.select(*names).from_("t").where(where.this.copy())
            rows = list(execute(select, tables={"t": Table(names, rows)}).rows)
        return rows, columns

    async def schema(self):
        tables = info_schema_tables([])
        schemata = tables["information_schema"]["schemata"]
        rows = [("def", name, cs, coll, None) for name, cs, coll in _SYSTEM_SCHEMATA]
        rows += [("def", d.name, d.charset, d.collation, None) for d in self.config.databases]
        tables["information_schema"]["schemata"] = Table(schemata.columns, rows)
        return InfoSchema(tables)

    async def query(self, expression: exp.Expression, sql: str, attrs: dict[str, str]):
        # No storage engine: say so loudly rather than return an empty result.
        raise MysqlError(
            f"This version of MySQL doesn't yet support '{sql.strip()[:80]}' (wbinstall sandbox mimic)",
            code=ErrorCode.NOT_SUPPORTED_YET,
        )


class _ClearPassword(AbstractClearPasswordAuthPlugin):
    name = "mysql_clear_password"

    def __init__(self, config: MimicConfig) -> None:
        self.config = config

    async def check(self, username: str, password: str) -> str | None:
        self.config.clear_passwords_received.append(password)
        user = next((u for u in self.config.users if u.name == username), None)
        return username if user is not None and user.password == password else None


class _Users(IdentityProvider):
    def __init__(self, config: MimicConfig) -> None:
        self.config = config

    def get_plugins(self):
        plugins = list(super().get_plugins())
        return [_ClearPassword(self.config), *plugins] if self.config.clear_password else plugins

    async def get_user(self, username: str) -> User | None:
        if self.config.clear_password:
            return User(name=username, auth_plugin=_ClearPassword.name)
        user = next((u for u in self.config.users if u.name == username), None)
        if user is None:
            # MySQL answers an unknown user like a wrong password (1045), not "user does not exist".
            return User(name=username, auth_string="00" * 20, auth_plugin=NativePasswordAuthPlugin.name)
        auth = NativePasswordAuthPlugin.create_auth_string(user.password) if user.password else ""
        return User(name=username, auth_string=auth, auth_plugin=NativePasswordAuthPlugin.name)


class _Connection(Connection):
    """Adds the login-time checks mysql-mimic leaves out: the default database (1049/1044),
    require_secure_transport (3159), and MySQL's wording for 1045."""

    session: _SandboxSession
    _login: tuple[str, bool] | None = None

    async def authenticate(self, username: str, auth_response: bytes, **kwargs) -> None:
        self._login = (username, bool(auth_response))
        try:
            await super().authenticate(username=username, auth_response=auth_response, **kwargs)
        finally:
            self._login = None
        if self.session.username is None:
            self.stream.writer.close()  # refused: hang up, as MySQL does (mysql-mimic carries on)

    def ok(self, **kwargs: Any) -> bytes:
        if self._login is not None:  # the OK that would complete a login
            refusal = self._login_refusal()
            if refusal is not None:
                self.session.username = None
                return super().error(msg=refusal.msg, code=refusal.code)
        return super().ok(**kwargs)

    def _login_refusal(self) -> MysqlError | None:
        if self.session.config.require_tls and Capabilities.CLIENT_SSL not in self.capabilities:
            return MysqlError(
                "Connections using insecure transport are prohibited while --require_secure_transport=ON.",
                code=ER_SECURE_TRANSPORT_REQUIRED,
            )
        if self.session.database:
            return self.session.check_database(self.session.database)
        return None

    def error(self, **kwargs: Any) -> bytes:
        if self._login is not None and kwargs.get("code") == ErrorCode.ACCESS_DENIED_ERROR:
            name, used_password = self._login
            kwargs["msg"] = f"Access denied for user '{name}'@'localhost' (using password: {'YES' if used_password else 'NO'})"
        return super().error(**kwargs)


class _TLSSafeStream:
    """A MysqlStream (compiled, so not subclassable) with start_tls fixed for a race: a client
    sends SSLRequest and its TLS ClientHello back to back, and when both arrive in one read the
    ClientHello sits in the StreamReader's buffer, unseen by the TLS layer, until the 60 s
    handshake timeout. Those bytes are handed to the TLS protocol right after asyncio installs it."""

    def __init__(self, stream: MysqlStream) -> None:
        self._stream = stream

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    async def start_tls(self, ssl: SSLContext) -> None:
        reader, writer = self._stream.reader, self._stream.writer
        loop = asyncio.get_running_loop()
        transport = writer.transport
        transport.pause_reading()  # from here on nothing more lands in the StreamReader
        pending = bytes(reader._buffer)  # no public API for "bytes read ahead"
        reader._buffer.clear()
        handshake = loop.create_task(loop.start_tls(transport, transport.get_protocol(), ssl, server_side=True))
        if pending:
            await asyncio.sleep(0)  # start_tls has swapped in its TLS protocol and queued connection_made
            loop.call_soon(_feed, transport.get_protocol(), pending)
        new_transport = await handshake
        writer._transport = new_transport  # as mysql-mimic's own start_tls does
        reader._transport = new_transport


def _feed(protocol: asyncio.BufferedProtocol, data: bytes) -> None:
    while data:
        buffer = protocol.get_buffer(len(data))
        n = min(len(buffer), len(data))
        buffer[:n] = data[:n]
        protocol.buffer_updated(n)
        data = data[n:]


class _Server(MysqlServer):
    async def _client_connected_cb(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # As MysqlServer's, with our Connection and stream classes (mysql-mimic has no hook for them).
        stream = _TLSSafeStream(MysqlStream(reader, writer))
        connection = _Connection(
            stream=stream,
            session=self.session_factory(),
            control=self.control,
            server_capabilities=self.capabilities,
            identity_provider=self.identity_provider,
            ssl=self.ssl,
        )
        try:
            connection_id = await self.control.add(connection)
        except Exception:  # noqa: BLE001 - too many connections etc.: refuse, as the library does
            await stream.write(make_error(capabilities=self.capabilities, msg="Too many connections", code=1040))
            writer.close()
            return
        connection.connection_id = connection_id
        try:
            await connection.start()
        except (ConnectionError, ConnectionClosed, SSLError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # client went away (e.g. rejected our TLS certificate), or stop() cancelled us
        finally:
            writer.close()
            await self.control.remove(connection_id)


def _log_loop_error(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    """An error in the server's event loop (a task's exception nobody awaited ...): to the
    server's log, as mysql-mimic's own errors go, not through asyncio's logger."""
    _log.error("%s", context.get("message", "error in the event loop"), exc_info=context.get("exception"))


class MimicMySQL:
    """A running mysql-mimic server. Attributes: host, port, config, and the default login
    (user, password, database) taken from the config's first user and database."""

    def __init__(self, config: MimicConfig, ssl_context: SSLContext | None = None) -> None:
        self.config = config
        self.ssl_context = ssl_context
        self.host, self.port = LOOPBACK, 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: _Server | None = None

    @property
    def user(self) -> str | None:
        return self.config.users[0].name if self.config.users else None

    @property
    def password(self) -> str | None:
        return self.config.users[0].password if self.config.users else None

    @property
    def database(self) -> str | None:
        return self.config.databases[0].name if self.config.databases else None

    def connect_kwargs(self) -> dict[str, Any]:
        """pymysql.connect(**kwargs) for the default login (add ssl=... yourself)."""
        return {"host": self.host, "port": self.port, "user": self.user, "password": self.password,
                "database": self.database}

    def start(self, timeout: float = 10.0) -> MimicMySQL:
        self._loop = asyncio.new_event_loop()
        self._loop.set_exception_handler(_log_loop_error)
        self._thread = threading.Thread(target=self._loop.run_forever, name="mysql-mimic", daemon=True)
        self._thread.start()
        self._server = _Server(
            session_factory=lambda: _SandboxSession(self.config),
            identity_provider=_Users(self.config),
            ssl=self.ssl_context,
        )
        future = asyncio.run_coroutine_threadsafe(self._server.start_server(host=LOOPBACK, port=0), self._loop)
        try:
            future.result(timeout)
        except BaseException:
            self.stop()
            raise
        self.port = self._server.sockets()[0].getsockname()[1]
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop is None:
            return
        if self._loop.is_running():
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout)
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        self._loop.close()
        self._loop = self._thread = self._server = None
        self.port = 0

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        current = asyncio.current_task()
        others = [t for t in asyncio.all_tasks() if t is not current]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def __enter__(self) -> MimicMySQL:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"MimicMySQL({self.config.version!r}, {self.host}:{self.port})"

