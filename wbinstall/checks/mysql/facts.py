"""What the MySQL probe saw: the connection outcome and, once connected, what the server said.

Text here is verbatim from the server or the OS (with the password and password hashes cut
out by the probe), so that judges can quote it as evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

# Why a connection failed; each kind gets its own message and remedy.
FailureKind = Literal[
    "no-password",         # no resolved password (a secret reference that did not resolve)
    "ca-file",             # mysql.caFile cannot be read or is not PEM
    "bad-host",            # not a host name at all (e.g. "https://db.example.com")
    "dns",                 # the host name does not resolve
    "dns-timeout",         # the resolver did not answer in time
    "refused",             # nothing listens on host:port
    "unreachable",         # no route to the host / network
    "timeout",             # no answer to the TCP connection attempt (firewall dropping packets)
    "no-greeting",         # TCP connected but no MySQL greeting came back
    "not-mysql",           # something answered, but not the MySQL protocol
    "tls-untrusted",       # certificate chain not trusted by the system store (+ caFile)
    "tls-hostname",        # certificate not issued for mysql.host
    "tls-expired",         # certificate expired (or not yet valid)
    "tls-handshake",       # TLS failed for another reason (protocol, cipher, reset)
    "tls-unsupported",     # tls: true but the server does not offer TLS
    "tls-required",        # tls: false but the server requires secure transport (3159)
    "clear-text",          # the server asked for the password in clear text over a plain connection
    "auth",                # 1045: wrong password, unknown user, or account needs TLS
    "host-not-allowed",    # 1130: the account does not exist for this client host
    "no-database-access",  # 1044: the user has no rights on the database (or it does not exist)
    "unknown-database",    # 1049: the database does not exist
    "other",               # any other server or client error
]


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    detail: str  # the error text, verbatim
    code: int | None = None  # MySQL (or client) error code
    verify_code: int | None = None  # OpenSSL verify code when a certificate was rejected
    waited: float | None = None  # seconds waited, for timeouts


@dataclass(frozen=True)
class MysqlFacts:
    address: str  # host:port as configured
    failure: Failure | None = None
    tls: str | None = None  # e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384" when the session is encrypted
    version: str | None = None  # SELECT VERSION()
    version_comment: str | None = None  # @@version_comment
    aurora_version: str | None = None  # @@aurora_version / AURORA_VERSION() on Aurora only
    # SHOW GLOBAL VARIABLES, only the names wbinstall reads (W&B's settings and vendor hints).
    variables: Mapping[str, str] = field(default_factory=dict)
    variables_error: str | None = None
    charset: str | None = None  # information_schema.SCHEMATA for the database
    collation: str | None = None
    schema_error: str | None = None
    current_user: str | None = None  # CURRENT_USER(): 'user@host' the server matched
    grants: tuple[str, ...] = ()  # SHOW GRANTS lines
    grants_error: str | None = None
    active_roles: tuple[str, ...] | None = None  # CURRENT_ROLE(); None: could not tell
    role_grants: tuple[str, ...] = ()  # SHOW GRANTS ... USING <active roles>
    role_grants_error: str | None = None
    incomplete: str | None = None  # why gathering stopped early (deadline, connection lost)

    @property
    def connected(self) -> bool:
        return self.failure is None
