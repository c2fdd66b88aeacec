"""Database backends: `sqlite:///path.db` (embedded default) or `postgresql://…` (shared)."""

from __future__ import annotations

from magistrate.db.base import (
    APPROVAL_COLUMNS,
    KEY_COLUMNS,
    AuditFilter,
    AuditRow,
    Database,
    StoreUnavailable,
)

DEFAULT_URL = "sqlite:///.magistrate/magistrate.db"


def open_database(url: str, *, durable: bool = False, breaker_s: float = 2.0) -> Database:
    """Open the database a URL names (creating tables); `durable` fsyncs every commit;
    `breaker_s`: how long a failed PostgreSQL is skipped (calls fail at once meanwhile)."""
    if url.startswith("sqlite:"):
        from magistrate.db.sqlite import SQLiteDatabase

        return SQLiteDatabase(url, durable=durable)
    if url.startswith(("postgresql:", "postgres:")):
        from magistrate.db.postgres import PostgresDatabase

        return PostgresDatabase(url, breaker_s=breaker_s)
    raise ValueError(
        f"database URL {url!r}: expected sqlite:///path.db or postgresql://user@host/db"
    )


__all__ = [
    "APPROVAL_COLUMNS",
    "DEFAULT_URL",
    "KEY_COLUMNS",
    "AuditFilter",
    "AuditRow",
    "Database",
    "StoreUnavailable",
    "open_database",
]
