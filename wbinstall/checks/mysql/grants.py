"""Read SHOW GRANTS lines (MySQL 5.7/8.x and MariaDB formats) into what a user may do on a database.

    GRANT USAGE ON *.* TO `wandb`@`%`
    GRANT ALL PRIVILEGES ON `wandb\\_local`.* TO `wandb`@`%` WITH GRANT OPTION
    GRANT SELECT, INSERT ON `wandb_local`.* TO 'wandb'@'%'             (5.7 quotes the user with ')
    GRANT `wandb_role`@`%` TO `wandb`@`%`                               (a MySQL 8 role)
    REVOKE INSERT ON `wandb_local`.* FROM `wandb`@`%`                   (partial_revokes)
    GRANT USAGE ON *.* TO `wandb`@`%` IDENTIFIED BY PASSWORD '*A357...'  (MariaDB)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

# What `ALL [PRIVILEGES]` grants at database level in MySQL 8 (GRANT OPTION aside): the set
# W&B's documented `GRANT ALL ON <db>.*` gives (wandb-operator.md §3.4).
DATABASE_PRIVILEGES: tuple[str, ...] = (
    "SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "REFERENCES", "INDEX", "ALTER",
    "CREATE TEMPORARY TABLES", "LOCK TABLES", "EXECUTE", "CREATE VIEW", "SHOW VIEW",
    "CREATE ROUTINE", "ALTER ROUTINE", "EVENT", "TRIGGER",
)
_ALL = frozenset(DATABASE_PRIVILEGES)

Level = Literal["global", "database", "table", "routine", "proxy", "role"]


@dataclass(frozen=True)
class Grant:
    revoke: bool
    level: Level
    privileges: frozenset[str] = frozenset()  # upper case; ALL expanded to DATABASE_PRIVILEGES
    database: str | None = None  # unquoted, as a LIKE pattern when written so (`wandb\_local`)
    grant_option: bool = False
    roles: tuple[str, ...] = ()  # for role grants: the roles, as written


@dataclass(frozen=True)
class Access:
    """What the grants allow on one database."""

    privileges: frozenset[str]
    grant_option: bool
    roles: tuple[str, ...]  # roles granted to the user (their privileges are not in `privileges`)
    via: tuple[str, ...] = field(default=())  # the grant lines that contributed, for evidence

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(p for p in DATABASE_PRIVILEGES if p not in self.privileges)


def _split_top(text: str, sep: str = ",") -> list[str]:
    """Split on `sep` outside quotes and parentheses."""
    parts, depth, quote, cur = [], 0, None, []
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "`'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def _find_keyword(text: str, word: str) -> int:
    """Index of ` word ` outside quotes and parentheses, or -1."""
    depth, quote = 0, None
    pattern = re.compile(rf"\s{word}\s", re.IGNORECASE)
    for i, ch in enumerate(text):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "`'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and ch.isspace() and pattern.match(text, i):
            return i
    return -1


def _name(text: str) -> tuple[str, str]:
    """One possibly-quoted identifier at the start of text -> (unquoted, rest)."""
    text = text.lstrip()
    if text[:1] in ("`", "'", '"'):
        q = text[0]
        i, out = 1, []
        while i < len(text):
            if text[i] == q:
                if text[i + 1:i + 2] == q:  # doubled quote inside a name
                    out.append(q)
                    i += 2
                    continue
                return "".join(out), text[i + 1:]
            out.append(text[i])
            i += 1
        return "".join(out), ""
    m = re.match(r"[^\s.]+", text)
    return (m[0], text[m.end():]) if m else ("", text)


def _privileges(text: str) -> frozenset[str]:
    out: set[str] = set()
    for item in _split_top(text):
        if "(" in item:  # column-level (SELECT (`a`, `b`)): not a database-wide right
            continue
        name = " ".join(item.upper().split())
        if name in ("ALL", "ALL PRIVILEGES"):
            out |= _ALL
        elif name != "USAGE":
            out.add(name)
    return frozenset(out)


def parse(line: str) -> Grant | None:
    """One SHOW GRANTS line; None for lines that grant nothing wbinstall reads (SET DEFAULT ROLE)."""
    text = line.strip().rstrip(";")
    m = re.match(r"(GRANT|REVOKE)\s+", text, re.IGNORECASE)
    if not m:
        return None
    revoke = m[1].upper() == "REVOKE"
    body = text[m.end():]
    on = _find_keyword(" " + body, "ON")
    if on < 0:
        to = _find_keyword(" " + body, "FROM" if revoke else "TO")
        roles = tuple(_split_top(body[:to - 1] if to > 0 else body))
        return Grant(revoke, "role", roles=roles)
    privs, rest = body[:on - 1], body[on - 1:].lstrip()[2:].lstrip()
    level: Level | None = None
    kind = re.match(r"(TABLE|FUNCTION|PROCEDURE|PACKAGE\s+BODY|PACKAGE)\s+", rest, re.IGNORECASE)
    if kind:
        rest = rest[kind.end():]
        level = "table" if kind[1].upper() == "TABLE" else "routine"
    if privs.strip().upper() == "PROXY":
        return Grant(revoke, "proxy")
    first, rest = _name(rest)
    database: str | None = None
    if rest.startswith("."):
        second, rest = _name(rest[1:])
        database = None if first == "*" else first
        if level is None:
            level = "global" if first == "*" else ("database" if second == "*" else "table")
    else:  # `ON *` (current database) or `ON tbl`: no database-wide grant we can place
        level = level or "table"
    grant_option = bool(re.search(r"\bWITH\b.*\bGRANT\s+OPTION\b", rest, re.IGNORECASE))
    privileges = _privileges(privs)
    if "GRANT OPTION" in privileges:
        grant_option = True
        privileges = privileges - {"GRANT OPTION"}
    return Grant(revoke, level, privileges, database, grant_option)


def like(pattern: str, name: str, case_sensitive: bool = True) -> bool:
    """MySQL's database-name match in grants: % and _ are wildcards, backslash escapes them."""
    out, i = [], 0
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
    flags = re.DOTALL | (0 if case_sensitive else re.IGNORECASE)
    return re.fullmatch("".join(out), name, flags) is not None


def access(lines: Iterable[str], database: str, case_sensitive: bool = True) -> Access:
    """Privileges the lines give on `database` (global and database level, less partial revokes)."""
    privileges: set[str] = set()
    revoked: set[str] = set()
    grant_option = False
    roles: list[str] = []
    via: list[str] = []
    for line in lines:
        g = parse(line)
        if g is None:
            continue
        if g.level == "role" and not g.revoke:
            roles += [r for r in g.roles if r not in roles]
            continue
        applies = g.level == "global" or (
            g.level == "database" and g.database is not None
            and (like(g.database, database, case_sensitive) if not g.revoke
                 # partial revokes name the database literally
                 else (g.database == database if case_sensitive else g.database.lower() == database.lower()))
        )
        if not applies:
            continue
        if g.revoke:
            revoked |= g.privileges
        else:
            if g.privileges or g.grant_option:
                via.append(line.strip())
            privileges |= g.privileges
            grant_option = grant_option or g.grant_option
    return Access(frozenset(privileges - revoked), grant_option, tuple(roles), tuple(via))
