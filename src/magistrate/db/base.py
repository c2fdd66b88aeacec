"""What Magistrate keeps in a database: audit chains and approval requests.

Two backends implement it with the same schema and behaviour: SQLite (the embedded default)
and PostgreSQL (shared by many servers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class StoreUnavailable(Exception):
    """The database cannot be reached (records go to the spool; approvals fail closed)."""


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One stored audit record, as read back."""

    row_id: int
    chain_id: str
    seq: int
    record_id: str
    time: str
    type: str
    principal: str
    decision: str
    risk: str
    body: str  # canonical JSON, the hashed content
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which records to read."""

    chain_id: str | None = None
    since: str | None = None  # ISO-8601 UTC, inclusive
    until: str | None = None
    principal: str | None = None
    decision: str | None = None
    risk: str | None = None
    type: str | None = None


# Chaining happens inside the write transaction: given the chain's head (seq, hash) and the
# record ids already stored, it returns the rows to insert:
# (seq, record_id, time, type, principal, decision, risk, body, prev_hash, hash).
Chainer = Callable[[int, str, set[str]], list[tuple[Any, ...]]]
GENESIS = "0" * 64  # the previous hash of a chain's first record

APPROVAL_COLUMNS = (
    "id",
    "fingerprint",
    "content_hash",
    "principal",
    "constitution_version",
    "summary",
    "kind",
    "tool",
    "risk",
    "citations",
    "reasons",
    "requested_at",
    "expires_at",
    "status",
    "resolved_by",
    "resolved_at",
    "note",
    "used_at",
    "verdict_id",
)


class Database(Protocol):
    """A backend for audit chains and approvals."""

    url: str

    def audit_write(self, chain_id: str, chain: Chainer, record_ids: Sequence[str]) -> int:
        """Chain and insert records in one transaction, skipping those of `record_ids` already
        stored (a replayed spool; empty for fresh records). Returns how many were inserted."""
        ...

    def audit_rows(
        self, where: AuditFilter, limit: int | None = None, newest_first: bool = False
    ) -> Iterator[AuditRow]:
        """Stored records in insertion order (or newest first), filtered."""
        ...

    def audit_chains(self) -> list[tuple[str, int, str]]:
        """(chain id, last seq, last hash) of every chain."""
        ...

    def approval_insert(self, row: dict[str, Any]) -> None:
        """Store a new approval request."""
        ...

    def approval_get(self, approval_id: str) -> dict[str, Any] | None:
        """One approval request."""
        ...

    def approval_list(self, status: str | None, limit: int = 1000) -> list[dict[str, Any]]:
        """Approval requests, newest first."""
        ...

    def approval_transition(
        self, approval_id: str, from_status: str, to_status: str, fields: dict[str, Any]
    ) -> bool:
        """Atomically move a request from one status to another; False when it was not in
        `from_status` (someone else won)."""
        ...

    def approval_find(
        self, where: dict[str, Any], status: str | Sequence[str], now: float
    ) -> dict[str, Any] | None:
        """The oldest unexpired request with these column values and status (of several
        statuses, the first listed wins)."""
        ...

    def approval_count(self, status: str, now: float) -> int:
        """How many unexpired requests have this status."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
