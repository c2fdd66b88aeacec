"""PostgreSQL backend (psycopg 3 with its connection pool): shared by many servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from magistrate.breaker import Breaker
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
from magistrate.wakeups import APPROVALS_CHANNEL

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_records (
    id BIGSERIAL PRIMARY KEY,
    chain_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
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
    last_seq BIGINT NOT NULL,
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
    requested_at DOUBLE PRECISION NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL,
    status TEXT NOT NULL,
    resolved_by TEXT,
    resolved_at DOUBLE PRECISION,
    note TEXT,
    used_at DOUBLE PRECISION,
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
    created_at DOUBLE PRECISION NOT NULL,
    revoked_at DOUBLE PRECISION
);
CREATE INDEX IF NOT EXISTS api_keys_name ON api_keys (name);
-- The record of suspensions (Redis, when configured, is only a cache of it): a row per
-- principal ever suspended; lifted_at NULL while the suspension holds.
CREATE TABLE IF NOT EXISTS suspensions (
    principal TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    suspended_at DOUBLE PRECISION NOT NULL,
    lifted_at DOUBLE PRECISION,
    lifted_by TEXT
);
CREATE TABLE IF NOT EXISTS worker_stats (
    worker_id TEXT PRIMARY KEY,
    updated_at DOUBLE PRECISION NOT NULL,
    body TEXT NOT NULL
);
"""
_SCHEMA_LOCK = 0x4D61676973  # advisory lock id: workers starting together create tables once
_KEYS_LOCK = 0x4D61676974  # advisory lock id: servers starting together bootstrap one key
T = TypeVar("T")
_UNAVAILABLE = (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout)
_COPY_FROM_ROWS = 16  # batches from this size are stored by COPY (when writing alone)
_INSERT_RECORD = (
    f"INSERT INTO audit_records ({AUDIT_RECORD_COLUMNS})"
    f" VALUES ({', '.join(['%s'] * AUDIT_RECORD_WIDTH)})"
)
_COPY_RECORDS = f"COPY audit_records ({AUDIT_RECORD_COLUMNS}) FROM STDIN"


class PostgresDatabase(SharedQueries):
    """Audit chains and approvals in PostgreSQL."""

    placeholder = "%s"

    def __init__(
        self,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 8,
        timeout: float = 2.0,
        breaker_s: float = 2.0,
    ) -> None:
        self.url = url
        self._timeout = timeout
        # After a failure, calls fail at once for `breaker_s` (then one probes): an outage
        # costs one caller the connect timeout per window, not every request.
        self.breaker = Breaker("postgresql", breaker_s)
        self.pool = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            open=False,
            timeout=timeout,
            kwargs={"autocommit": True, "connect_timeout": max(1, int(timeout))},
            reconnect_timeout=0,
        )
        self.pool.open(wait=False)
        self._schema_ready = False
        try:
            self._ensure_schema()
        except StoreUnavailable:
            pass  # created on first successful use; audit records spool meanwhile

    def _retry(self, fn: Callable[[], T]) -> T:
        """Run `fn` unless the breaker is open; after a connection failure, re-check the pool's
        connections and retry once (connections cut by an outage are only noticed when used)."""
        self.breaker.check()
        try:
            out = fn()
        except _UNAVAILABLE:
            try:
                self.pool.check()
            except Exception:  # the server may still be down: the retry reports it
                pass
            try:
                out = fn()
            except _UNAVAILABLE as exc:
                self.breaker.failed(exc)
                raise
        self.breaker.succeeded()
        return out

    def _ensure_schema(self) -> None:
        if self._schema_ready:
            return

        def create() -> None:
            with self.pool.connection() as conn, conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                conn.execute(SCHEMA)

        try:
            self._retry(create)
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(f"postgresql: {exc}") from exc
        self._schema_ready = True

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
        self._ensure_schema()

        def write() -> int:
            with self.pool.connection() as conn, conn.transaction():
                if approvals:
                    with conn.cursor() as cur:
                        cur.executemany(self._approval_rows_sql(), approval_values(approvals))
                conn.execute(
                    "INSERT INTO audit_chains (chain_id, last_seq, last_hash) VALUES (%s, 0, %s)"
                    " ON CONFLICT (chain_id) DO NOTHING",
                    (chain_id, GENESIS),
                )
                seq, last = conn.execute(
                    "SELECT last_seq, last_hash FROM audit_chains WHERE chain_id = %s FOR UPDATE",
                    (chain_id,),
                ).fetchone() or (0, GENESIS)
                existing = (
                    {
                        r[0]
                        for r in conn.execute(
                            "SELECT record_id FROM audit_records WHERE record_id = ANY(%s)",
                            (list(record_ids),),
                        )
                    }
                    if record_ids
                    else set()
                )
                rows = chain(int(seq), str(last), existing)
                if self.writes_alone and len(rows) >= _COPY_FROM_ROWS:
                    # COPY: rows formatted in psycopg's C code and sent as one stream, a quarter
                    # of executemany's client CPU per row (its per-row bind and dump in Python).
                    # Only when writing alone: COPY waits on the server three times, and where
                    # a checking thread holds the GIL each wait costs a switch interval.
                    with conn.cursor() as cur, cur.copy(_COPY_RECORDS) as copy:
                        for row in rows:
                            copy.write_row((chain_id, *row))
                elif rows:  # a few rows (`sync` writes one): COPY's extra round trips cost more
                    with conn.cursor() as cur:
                        cur.executemany(_INSERT_RECORD, [(chain_id, *row) for row in rows])
                if rows:
                    conn.execute(
                        "UPDATE audit_chains SET last_seq = %s, last_hash = %s WHERE chain_id = %s",
                        (rows[-1][0], rows[-1][-1], chain_id),
                    )
                return len(rows)

        try:
            return self._retry(write)
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(f"postgresql: {exc}") from exc

    def audit_rows(
        self, where: AuditFilter, limit: int | None = None, newest_first: bool = False
    ) -> Iterator[AuditRow]:
        """Stored records in insertion order (or newest first), filtered."""
        self._ensure_schema()
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
                clauses.append(f"{column} {op} %s")
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

        def read() -> list[Any]:
            with self.pool.connection() as conn, conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall()

        try:
            rows = self._retry(read)
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(f"postgresql: {exc}") from exc
        for row in rows:
            yield AuditRow(*row)

    def audit_chains(self) -> list[tuple[str, int, str]]:
        """(chain id, last seq, last hash) of every chain."""
        self._ensure_schema()

        def read() -> list[Any]:
            with self.pool.connection() as conn:
                return conn.execute(
                    "SELECT chain_id, last_seq, last_hash FROM audit_chains ORDER BY chain_id"
                ).fetchall()

        try:
            rows = self._retry(read)
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(f"postgresql: {exc}") from exc
        return [(r[0], int(r[1]), r[2]) for r in rows]

    # ------------------------------------------------------------------ approvals
    def approval_transition(
        self, approval_id: str, from_status: str, to_status: str, fields: dict[str, Any]
    ) -> bool:
        """Atomically move a request between statuses; False when another writer won. The
        winner notifies `APPROVALS_CHANNEL` in the same statement, so waiters on every server
        wake when it commits."""
        sets = "".join(f", {k} = %s" for k in fields)
        return (
            self._execute(
                f"WITH moved AS (UPDATE approvals SET status = %s{sets}"
                " WHERE id = %s AND status = %s RETURNING id)"
                " SELECT pg_notify(%s, id) FROM moved",
                [to_status, *fields.values(), approval_id, from_status, APPROVALS_CHANNEL],
            )
            == 1
        )

    # ------------------------------------------------------------------ keys, worker figures
    def key_insert(self, row: dict[str, Any], *, only_if_none: bool = False) -> bool:
        """Store a new API key; with `only_if_none`, only when the table is empty (serialized
        by an advisory lock, so servers starting together create one key between them)."""
        self._ensure_schema()
        values = [row.get(c) for c in KEY_COLUMNS]
        marks = ", ".join(["%s"] * len(KEY_COLUMNS))
        columns = ", ".join(KEY_COLUMNS)

        def insert() -> bool:
            with self.pool.connection() as conn, conn.transaction():
                if only_if_none:
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_KEYS_LOCK,))
                    cur = conn.execute(
                        f"INSERT INTO api_keys ({columns}) SELECT {marks}"
                        " WHERE NOT EXISTS (SELECT 1 FROM api_keys)",
                        values,
                    )
                else:
                    cur = conn.execute(f"INSERT INTO api_keys ({columns}) VALUES ({marks})", values)
                return cur.rowcount == 1

        try:
            return self._retry(insert)
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(f"postgresql: {exc}") from exc

    def _execute(self, sql: str, params: Sequence[Any]) -> int:
        self._ensure_schema()

        def run() -> int:
            with self.pool.connection() as conn:
                return conn.execute(sql, params).rowcount

        try:
            return self._retry(run)
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(f"postgresql: {exc}") from exc

    def _query(self, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        self._ensure_schema()

        def read() -> list[dict[str, Any]]:
            with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
                cur.execute(sql, params)
                return cur.fetchall()

        try:
            rows = self._retry(read)
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(f"postgresql: {exc}") from exc
        return [decode(row) for row in rows]

    def close(self) -> None:
        """Close the pool."""
        self.pool.close()
