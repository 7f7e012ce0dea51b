"""Quoting for the SQL statements remedies show (the user's own names, pasted into a mysql shell)."""

from __future__ import annotations


def ident(name: str) -> str:
    """`name` with backticks doubled: safe for any database name (hyphens included)."""
    return "`" + name.replace("`", "``") + "`"


def string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def account(user: str, host: str = "%") -> str:
    return f"{string(user)}@{string(host)}"


def split_account(current_user: str | None, fallback_user: str) -> tuple[str, str]:
    """CURRENT_USER() ('wandb@%', 'wandb@10.0.%') -> (user, host); the answers' user on '%' otherwise."""
    if current_user and "@" in current_user:
        user, host = current_user.rsplit("@", 1)
        return user.strip("`'"), host.strip("`'")
    return fallback_user, "%"


def create_database(database: str, charset: str, collation: str) -> str:
    return f"CREATE DATABASE IF NOT EXISTS {ident(database)} CHARACTER SET {charset} COLLATE {collation};"


def grant_all(database: str, user: str, host: str = "%") -> str:
    # W&B's documented grant (wandb-operator.md §3.4).
    return f"GRANT ALL ON {ident(database)}.* TO {account(user, host)} WITH GRANT OPTION;"
