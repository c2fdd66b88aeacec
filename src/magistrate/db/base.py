"""What Magistrate keeps in a database: audit chains, approval requests, API keys,
suspensions and the figures each server worker publishes.

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
    after_id: int | None = None  # only rows stored after this row id (paging, live tails)


# Chaining happens inside the write transaction: given the chain's head (seq, hash) and the
# record ids already stored, it returns the rows to insert:
# (seq, record_id, time, type, principal, decision, risk, body, prev_hash, hash).
Chainer = Callable[[int, str, set[str]], list[tuple[Any, ...]]]
# The audit_records columns a write fills, in the order of `(chain_id, *chained row)`.
AUDIT_RECORD_COLUMNS = (
    "chain_id, seq, record_id, time, type, principal, decision, risk, body, prev_hash, hash"
)
AUDIT_RECORD_WIDTH = AUDIT_RECORD_COLUMNS.count(",") + 1
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
KEY_COLUMNS = ("id", "name", "role", "may_act_as", "hash", "created_at", "revoked_at")


class Database(Protocol):
    """A backend for audit chains and approvals."""

    url: str
    # True in a process whose writing thread has the GIL to itself (the audit writer process):
    # each store then stores audit batches the way that is cheapest without a rival thread.
    writes_alone: bool

    def audit_write(
        self,
        chain_id: str,
        chain: Chainer,
        record_ids: Sequence[str],
        approvals: Sequence[dict[str, Any]] = (),
    ) -> int:
        """Chain and insert records in one transaction, skipping those of `record_ids` already
        stored (a replayed spool; empty for fresh records), with the approval requests of the
        same batch (an id already stored is skipped). Returns how many records were inserted."""
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

    def ping(self) -> None:
        """Raise StoreUnavailable unless the store answers a trivial query."""
        ...

    def key_insert(self, row: dict[str, Any], *, only_if_none: bool = False) -> bool:
        """Store a new API key (its hash, never the key); with `only_if_none`, only when no key
        exists yet (first-start bootstrap, atomic across servers). True when inserted."""
        ...

    def key_get(self, key_id: str) -> dict[str, Any] | None:
        """One API key row by id."""
        ...

    def key_list(self, include_revoked: bool = False) -> list[dict[str, Any]]:
        """API key rows, oldest first."""
        ...

    def key_revoke(self, id_or_name: str, now: float) -> list[str]:
        """Revoke the active key with this id, or every active key with this name; returns
        the ids revoked."""
        ...

    def suspension_put(self, principal: str, reason: str, now: float) -> None:
        """Record a suspension (a principal already suspended keeps its first reason)."""
        ...

    def suspension_lift(self, principal: str, by: str, now: float) -> bool:
        """Record a lift; False when the principal was not suspended."""
        ...

    def suspension_active(self) -> list[tuple[str, str, float]]:
        """(principal, reason, suspended at) of every suspension in force."""
        ...

    def stats_put(self, worker_id: str, body: str, now: float) -> None:
        """Publish one server worker's figures (JSON), replacing its previous ones."""
        ...

    def stats_since(self, since: float) -> list[tuple[str, float, str]]:
        """(worker id, updated at, JSON body) of every worker that published since `since`."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
