"""SQLite backend: the embedded default (WAL mode; one writer at a time, readers never wait)."""

from __future__ import annotations

import contextlib
import itertools
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from magistrate.db.base import (
    AUDIT_RECORD_COLUMNS,
    AUDIT_RECORD_WIDTH,
    GENESIS,
    KEY_COLUMNS,
    AuditFilter,
    AuditRow,
    Chainer,
    StoreUnavailable,
)
from magistrate.db.queries import SharedQueries, approval_values, decode

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_records (
    id INTEGER PRIMARY KEY,  -- append-only: rowids grow without AUTOINCREMENT's bookkeeping
    chain_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    record_id TEXT NOT NULL UNIQUE,
    time TEXT NOT NULL,
    type TEXT NOT NULL,
    principal TEXT NOT NULL,
    decision TEXT NOT NULL,
    risk TEXT NOT NULL,
    body TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (chain_id, seq)
);
CREATE INDEX IF NOT EXISTS audit_time ON audit_records (time);
CREATE INDEX IF NOT EXISTS audit_principal ON audit_records (principal);
CREATE TABLE IF NOT EXISTS audit_chains (
    chain_id TEXT PRIMARY KEY,
    last_seq INTEGER NOT NULL,
    last_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS approvals (
    id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    principal TEXT NOT NULL,
    constitution_version TEXT NOT NULL,
    summary TEXT NOT NULL,
    kind TEXT NOT NULL,
    tool TEXT,
    risk TEXT NOT NULL,
    citations TEXT NOT NULL,
    reasons TEXT NOT NULL,
    requested_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    status TEXT NOT NULL,
    resolved_by TEXT,
    resolved_at REAL,
    note TEXT,
    used_at REAL,
    verdict_id TEXT
);
-- The binding look-up on every escalation: equality on all five, oldest first, one index seek.
CREATE INDEX IF NOT EXISTS approvals_binding
    ON approvals (fingerprint, content_hash, principal, constitution_version, status, requested_at);
CREATE INDEX IF NOT EXISTS approvals_status ON approvals (status, requested_at);
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    may_act_as TEXT,
    hash TEXT NOT NULL,
    created_at REAL NOT NULL,
    revoked_at REAL
);
CREATE INDEX IF NOT EXISTS api_keys_name ON api_keys (name);
-- The record of suspensions (Redis, when configured, is only a cache of it): a row per
-- principal ever suspended; lifted_at NULL while the suspension holds.
CREATE TABLE IF NOT EXISTS suspensions (
    principal TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    suspended_at REAL NOT NULL,
    lifted_at REAL,
    lifted_by TEXT
);
CREATE TABLE IF NOT EXISTS worker_stats (
    worker_id TEXT PRIMARY KEY,
    updated_at REAL NOT NULL,
    body TEXT NOT NULL
);
"""
_JSON_INSERT = sqlite3.sqlite_version_info >= (3, 38, 0)  # the ->> operator
_INSERT_FROM_JSON = (
    f"INSERT INTO audit_records ({AUDIT_RECORD_COLUMNS}) SELECT "
    + ", ".join(f"value->>{i}" for i in range(AUDIT_RECORD_WIDTH))
    + " FROM json_each(?) ORDER BY key"
)
_INSERT_RECORD = (
    f"INSERT INTO audit_records ({AUDIT_RECORD_COLUMNS})"
    f" VALUES ({', '.join('?' * AUDIT_RECORD_WIDTH)})"
)


def _rows_json(chain_id: str, rows: Sequence[tuple[Any, ...]]) -> str:
    """The batch as one JSON array of rows (values orjson refuses fall back to `json`)."""
    try:
        return orjson.dumps([(chain_id, *row) for row in rows]).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps([(chain_id, *row) for row in rows])


_memory_ids = itertools.count(1)


class SQLiteDatabase(SharedQueries):
    """Audit chains and approvals in one SQLite file."""

    def __init__(self, url: str, *, durable: bool = False) -> None:
        self.url = url
        target = url.split(":", 1)[1].removeprefix("///").removeprefix("//")
        if target in ("", ":memory:"):
            # A named shared-cache memory database, alive while this object holds it open.
            self._path = f"file:magistrate-{next(_memory_ids)}?mode=memory&cache=shared"
            self._uri = True
        else:
            Path(target).expanduser().parent.mkdir(parents=True, exist_ok=True)
            self._path = str(Path(target).expanduser())
            self._uri = False
        self._durable = durable
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        conn = self._conn()
        if not self._uri:
            conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(SCHEMA)

    @property
    def in_memory(self) -> bool:
        """True for a memory database (only this process can open it)."""
        return self._uri

    @property
    def durable(self) -> bool:
        """Whether every commit is fsynced."""
        return self._durable

    @property
    def path(self) -> str:
        """The database file (or memory name)."""
        return self._path

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(
                    self._path,
                    uri=self._uri,
                    timeout=10.0,
                    isolation_level=None,
                    check_same_thread=False,
                )
            except sqlite3.Error as exc:
                raise StoreUnavailable(f"cannot open {self._path}: {exc}") from exc
            conn.execute(f"PRAGMA synchronous={'FULL' if self._durable else 'NORMAL'}")
            conn.execute("PRAGMA busy_timeout=10000")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    # ------------------------------------------------------------------ audit
    def audit_write(
        self,
        chain_id: str,
        chain: Chainer,
        record_ids: Sequence[str],
        approvals: Sequence[dict[str, Any]] = (),
    ) -> int:
        """Chain and insert records in one transaction, skipping those of `record_ids` already
        stored (empty: fresh records, no look-up), with the batch's approval requests."""
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                if approvals:
                    conn.executemany(self._approval_rows_sql(), approval_values(approvals))
                existing = self._existing(conn, record_ids) if record_ids else set()
                head = conn.execute(
                    "SELECT last_seq, last_hash FROM audit_chains WHERE chain_id = ?", (chain_id,)
                ).fetchone()
                seq, last = head if head else (0, GENESIS)
                rows = chain(seq, last, existing)
                if rows:
                    if _JSON_INSERT and not self.writes_alone:
                        # One statement for the whole batch: SQLite unpacks the rows in C with
                        # the GIL released once, where executemany takes the GIL back for every
                        # row (and waits for a checking thread to hand it over, each time);
                        # writing alone, executemany costs half the CPU.
                        conn.execute(_INSERT_FROM_JSON, (_rows_json(chain_id, rows),))
                    else:
                        conn.executemany(_INSERT_RECORD, [(chain_id, *row) for row in rows])
                    conn.execute(
                        "INSERT INTO audit_chains (chain_id, last_seq, last_hash) VALUES (?, ?, ?)"
                        " ON CONFLICT (chain_id) DO UPDATE SET last_seq = excluded.last_seq,"
                        " last_hash = excluded.last_hash",
                        (chain_id, rows[-1][0], rows[-1][-1]),
                    )
                conn.execute("COMMIT")
                return len(rows)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"sqlite {self._path}: {exc}") from exc

    @staticmethod
    def _existing(conn: sqlite3.Connection, record_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(record_ids), 500):
            chunk = list(record_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            found.update(
                r[0]
                for r in conn.execute(
                    f"SELECT record_id FROM audit_records WHERE record_id IN ({marks})", chunk
                )
            )
        return found

    def audit_rows(
        self, where: AuditFilter, limit: int | None = None, newest_first: bool = False
    ) -> Iterator[AuditRow]:
        """Stored records in insertion order (or newest first), filtered."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, value, op in (
            ("chain_id", where.chain_id, "="),
            ("time", where.since, ">="),
            ("time", where.until, "<"),
            ("principal", where.principal, "="),
            ("decision", where.decision, "="),
            ("risk", where.risk, "="),
            ("type", where.type, "="),
            ("id", where.after_id, ">"),
        ):
            if value is not None:
                clauses.append(f"{column} {op} ?")
                params.append(value)
        sql = (
            "SELECT id, chain_id, seq, record_id, time, type, principal, decision, risk, body,"
            " prev_hash, hash FROM audit_records"
        )
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY id DESC" if newest_first else " ORDER BY id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        try:
            cursor = self._conn().execute(sql, params)
            for row in cursor:
                yield AuditRow(*row)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"sqlite {self._path}: {exc}") from exc

    def audit_chains(self) -> list[tuple[str, int, str]]:
        """(chain id, last seq, last hash) of every chain."""
        rows = self._conn().execute(
            "SELECT chain_id, last_seq, last_hash FROM audit_chains ORDER BY chain_id"
        )
        return [(r[0], r[1], r[2]) for r in rows]

    # ------------------------------------------------------------------ approvals
    def approval_transition(
        self, approval_id: str, from_status: str, to_status: str, fields: dict[str, Any]
    ) -> bool:
        """Atomically move a request between statuses; False when another writer won."""
        sets = "".join(f", {k} = ?" for k in fields)
        sql = f"UPDATE approvals SET status = ?{sets} WHERE id = ? AND status = ?"
        cursor = self._execute(sql, [to_status, *fields.values(), approval_id, from_status])
        return cursor.rowcount == 1

    # ------------------------------------------------------------------ keys, worker figures
    def key_insert(self, row: dict[str, Any], *, only_if_none: bool = False) -> bool:
        """Store a new API key; with `only_if_none`, only when the table is empty."""
        values = [row.get(c) for c in KEY_COLUMNS]
        marks = ", ".join("?" * len(KEY_COLUMNS))
        sql = f"INSERT INTO api_keys ({', '.join(KEY_COLUMNS)}) "
        if only_if_none:  # one statement: atomic under SQLite's single writer
            sql += f"SELECT {marks} WHERE NOT EXISTS (SELECT 1 FROM api_keys)"
        else:
            sql += f"VALUES ({marks})"
        return self._execute(sql, values).rowcount == 1

    def _execute(self, sql: str, params: Sequence[Any]) -> sqlite3.Cursor:
        try:
            return self._conn().execute(sql, params)
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"sqlite {self._path}: {exc}") from exc

    def _query(self, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        cursor = self._execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [decode(dict(zip(names, row, strict=True))) for row in cursor.fetchall()]

    def close(self) -> None:
        """Close every connection this object opened."""
        with self._lock:
            for conn in self._all:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._all.clear()
        self._local = threading.local()
