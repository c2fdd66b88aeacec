"""The queries both backends run with the same SQL: approvals, API keys and worker figures.

Written once with `?` placeholders; a backend names its own placeholder (`%s` for psycopg) and
supplies `_query` (rows as dicts, JSON columns decoded) and `_execute`. Statements whose SQL
differs (audit writes, the approval transition that notifies in PostgreSQL, key insertion)
stay in each backend.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from magistrate.db.base import APPROVAL_COLUMNS

JSON_COLUMNS = ("citations", "reasons")


def encode(column: str, value: Any) -> Any:
    """A value as stored: JSON text for the JSON columns."""
    return json.dumps(value) if column in JSON_COLUMNS else value


def approval_values(rows: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """Approval rows as the parameter lists of an insert."""
    return [[encode(c, row.get(c)) for c in APPROVAL_COLUMNS] for row in rows]


def decode(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row with its JSON columns parsed (in place)."""
    for column in JSON_COLUMNS:
        if isinstance(row.get(column), str):
            row[column] = json.loads(row[column])
    return row


class SharedQueries:
    """Approval, key and worker-figure queries common to SQLite and PostgreSQL."""

    placeholder = "?"
    writes_alone = False  # see Database.writes_alone

    def _query(self, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _execute(self, sql: str, params: Sequence[Any]) -> Any:
        raise NotImplementedError

    def _sql(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    def _rows(self, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        return self._query(self._sql(sql), params)

    # ------------------------------------------------------------------ approvals
    def approval_insert(self, row: dict[str, Any]) -> None:
        """Store a new approval request."""
        values = [encode(c, row.get(c)) for c in APPROVAL_COLUMNS]
        marks = ", ".join(["?"] * len(APPROVAL_COLUMNS))
        self._execute(
            self._sql(f"INSERT INTO approvals ({', '.join(APPROVAL_COLUMNS)}) VALUES ({marks})"),
            values,
        )

    def _approval_rows_sql(self) -> str:
        """The batched writer's insert: idempotent, so a replayed spool stores a request once."""
        marks = ", ".join([self.placeholder] * len(APPROVAL_COLUMNS))
        return (
            f"INSERT INTO approvals ({', '.join(APPROVAL_COLUMNS)}) VALUES ({marks})"
            " ON CONFLICT (id) DO NOTHING"
        )

    def approval_get(self, approval_id: str) -> dict[str, Any] | None:
        """One approval request."""
        rows = self._rows("SELECT * FROM approvals WHERE id = ?", [approval_id])
        return rows[0] if rows else None

    def approval_list(self, status: str | None, limit: int = 1000) -> list[dict[str, Any]]:
        """Approval requests, newest first."""
        if status is None:
            return self._rows("SELECT * FROM approvals ORDER BY requested_at DESC LIMIT ?", [limit])
        return self._rows(
            "SELECT * FROM approvals WHERE status = ? ORDER BY requested_at DESC LIMIT ?",
            [status, limit],
        )

    def approval_find(
        self, where: dict[str, Any], status: str | Sequence[str], now: float
    ) -> dict[str, Any] | None:
        """The oldest unexpired request with these column values and status (of several
        statuses, the first listed wins)."""
        statuses = [status] if isinstance(status, str) else list(status)
        clauses = " AND ".join(f"{k} = ?" for k in where)
        marks = ", ".join(["?"] * len(statuses))
        rows = self._rows(
            f"SELECT * FROM approvals WHERE {clauses} AND status IN ({marks}) "
            "AND expires_at > ? ORDER BY (status = ?) DESC, requested_at LIMIT 1",
            [*where.values(), *statuses, now, statuses[0]],
        )
        return rows[0] if rows else None

    def approval_count(self, status: str, now: float) -> int:
        """How many unexpired requests have this status."""
        rows = self._rows(
            "SELECT count(*) AS n FROM approvals WHERE status = ? AND expires_at > ?",
            [status, now],
        )
        return int(rows[0]["n"])

    # ------------------------------------------------------------------ keys, worker figures
    def ping(self) -> None:
        """Raise StoreUnavailable unless the store answers a trivial query."""
        self._execute("SELECT 1", [])

    def key_get(self, key_id: str) -> dict[str, Any] | None:
        """One API key row by id."""
        rows = self._rows("SELECT * FROM api_keys WHERE id = ?", [key_id])
        return rows[0] if rows else None

    def key_list(self, include_revoked: bool = False) -> list[dict[str, Any]]:
        """API key rows, oldest first."""
        where = "" if include_revoked else " WHERE revoked_at IS NULL"
        return self._rows(f"SELECT * FROM api_keys{where} ORDER BY created_at, id", [])

    def key_revoke(self, id_or_name: str, now: float) -> list[str]:
        """Revoke the active key with this id, or every active key with this name."""
        rows = self._rows(
            "UPDATE api_keys SET revoked_at = ? WHERE revoked_at IS NULL AND (id = ? OR name = ?)"
            " RETURNING id",
            [now, id_or_name, id_or_name],
        )
        return sorted(r["id"] for r in rows)

    def suspension_put(self, principal: str, reason: str, now: float) -> None:
        """Record a suspension (a principal already suspended keeps its first reason)."""
        self._execute(
            self._sql(
                "INSERT INTO suspensions (principal, reason, suspended_at) VALUES (?, ?, ?)"
                " ON CONFLICT (principal) DO UPDATE SET reason = excluded.reason,"
                " suspended_at = excluded.suspended_at, lifted_at = NULL, lifted_by = NULL"
                " WHERE suspensions.lifted_at IS NOT NULL"
            ),
            [principal, reason, now],
        )

    def suspension_lift(self, principal: str, by: str, now: float) -> bool:
        """Record a lift; False when the principal was not suspended."""
        rows = self._rows(
            "UPDATE suspensions SET lifted_at = ?, lifted_by = ?"
            " WHERE principal = ? AND lifted_at IS NULL RETURNING principal",
            [now, by, principal],
        )
        return bool(rows)

    def suspension_active(self) -> list[tuple[str, str, float]]:
        """(principal, reason, suspended at) of every suspension in force."""
        rows = self._rows(
            "SELECT principal, reason, suspended_at FROM suspensions WHERE lifted_at IS NULL"
            " ORDER BY principal",
            [],
        )
        return [(r["principal"], r["reason"], float(r["suspended_at"])) for r in rows]

    def stats_put(self, worker_id: str, body: str, now: float) -> None:
        """Publish one worker's figures, replacing its previous ones (and forgetting workers
        silent for a day)."""
        self._execute(
            self._sql(
                "INSERT INTO worker_stats (worker_id, updated_at, body) VALUES (?, ?, ?)"
                " ON CONFLICT (worker_id) DO UPDATE SET updated_at = excluded.updated_at,"
                " body = excluded.body"
            ),
            [worker_id, now, body],
        )
        # workers that are gone (restarted pods have new names): keep a day of them
        self._execute(self._sql("DELETE FROM worker_stats WHERE updated_at < ?"), [now - 86_400])

    def stats_since(self, since: float) -> list[tuple[str, float, str]]:
        """(worker id, updated at, JSON body) of workers that published since `since`."""
        rows = self._rows(
            "SELECT worker_id, updated_at, body FROM worker_stats WHERE updated_at >= ?"
            " ORDER BY worker_id",
            [since],
        )
        return [(r["worker_id"], float(r["updated_at"]), r["body"]) for r in rows]
