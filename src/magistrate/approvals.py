"""Human approvals: every escalation becomes a request a human resolves.

An approval is bound to the exact call (fingerprint and content), the principal that asked and
the constitution version; it is used once and expires (default 15 minutes). Only an approver
may resolve it, never the principal that asked, and of two approvers resolving at once exactly
one wins. An approver proves who they are with an approver or admin key (`ApiKey`, from the
server or `magistrate approvals approve`), whose name is the approver's name; a bare name is
accepted only when the application's own code listed it in `approvers` (never an environment
variable: an agent can set those). A waiter wakes as soon as the request is resolved: at once
in the same process, through `wakeups` (PostgreSQL LISTEN/NOTIFY) from any other, and
otherwise by polling.

With a batched audit log on the same database, a new request's row travels in the audit
writer's next batch (committed with its records, spooled with them through an outage) instead
of costing the check a write of its own; until that batch is stored, this process finds,
reads and resolves the request from memory (`_Unstored`). A sync log writes it before the
check returns, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from magistrate.action import Action
from magistrate.analysis.secrets import mask_secrets, mask_value
from magistrate.audit.log import AuditLog
from magistrate.db.base import Database
from magistrate.errors import MagistrateError
from magistrate.keys import ApiKey
from magistrate.verdict import Verdict
from magistrate.wakeups import LocalWakeups, Wakeups

DEFAULT_TTL_S = 900.0
PENDING, APPROVED, DENIED, EXPIRED, USED = "pending", "approved", "denied", "expired", "used"


Refusal = Literal["not_found", "forbidden", "conflict", "expired"]


class ApprovalError(MagistrateError):
    """An approval could not be resolved (not an approver, self-approval, expired, …);
    `reason` says which kind of refusal it is."""

    def __init__(self, message: str, reason: Refusal = "conflict") -> None:
        super().__init__(message)
        self.reason: Refusal = reason


@dataclass(slots=True)
class ApprovalRequest:
    """A request for a human to allow one escalated action."""

    id: str
    fingerprint: str
    content_hash: str
    principal: str
    constitution_version: str
    summary: str
    kind: str
    tool: str | None
    risk: str
    citations: list[dict[str, Any]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    requested_at: float = 0.0
    expires_at: float = 0.0
    status: str = PENDING
    resolved_by: str | None = None
    resolved_at: float | None = None
    note: str | None = None
    used_at: float | None = None
    verdict_id: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ApprovalRequest:
        """Build from a database row."""
        return cls(**{k: row.get(k) for k in cls.__slots__})  # type: ignore[arg-type]

    @property
    def effective_status(self) -> str:
        """The status, with a pending request past its expiry reported as expired."""
        if self.status == PENDING and time.time() >= self.expires_at:
            return EXPIRED
        return self.status

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        out = {k: getattr(self, k) for k in self.__slots__}
        out["status"] = self.effective_status
        return out


class Approvals:
    """Creates, resolves, consumes and waits for approval requests."""

    def __init__(
        self,
        db: Database,
        approvers: frozenset[str] | set[str] = frozenset(),
        *,
        ttl_s: float = DEFAULT_TTL_S,
        audit: AuditLog | None = None,
        is_approver: Callable[[str], bool] | None = None,
        wakeups: Wakeups | None = None,
        poll_s: float = 1.0,
    ) -> None:
        self.db = db
        # Names this application's own code trusts to resolve by name (in-process use only).
        self.approvers = frozenset(approvers)
        self.ttl_s = ttl_s
        self.audit = audit
        # Who else may resolve requests besides `approvers` (the server: holders of approver
        # and admin keys).
        self.is_approver = is_approver
        self.wakeups: Wakeups = wakeups if wakeups is not None else LocalWakeups()
        self.poll_s = poll_s  # a waiter re-reads the request at least this often
        self._unstored = _Unstored(audit) if _batches_rows(db, audit) else None

    # ------------------------------------------------------------------ from the governor
    def settle(self, action: Action, verdict: Verdict) -> tuple[ApprovalRequest, bool]:
        """For an escalation: (request, True) when an approval granted for exactly this call
        is used now (once); else (the pending request, new or reused, False). One look-up
        serves both questions on the hot path."""
        now = time.time()
        match = self._binding(action, verdict)
        while True:
            queued = self._queued(match, now)
            row = self.db.approval_find(match, (APPROVED, PENDING), now) or queued
            if row is None:
                return self._create(action, verdict, match, now), False
            if row["status"] == PENDING:
                return ApprovalRequest.from_row(row), False
            if self.db.approval_transition(row["id"], APPROVED, USED, {"used_at": now}):
                request = ApprovalRequest.from_row(row)
                request.status, request.used_at = USED, now
                return request, True  # another check may have used it first: look again

    def request(self, action: Action, verdict: Verdict) -> ApprovalRequest:
        """The pending request for this escalation (an identical pending one is reused)."""
        now = time.time()
        match = self._binding(action, verdict)
        queued = self._queued(match, now)
        row = self.db.approval_find(match, PENDING, now) or queued
        if row is not None:
            return ApprovalRequest.from_row(row)
        return self._create(action, verdict, match, now)

    def _queued(self, match: dict[str, Any], now: float) -> dict[str, Any] | None:
        """A pending request asked in this process and still in the audit queue. Looked up
        before the store: one stored in between is then in the store's answer."""
        return self._unstored.find(match, now) if self._unstored is not None else None

    def _create(
        self, action: Action, verdict: Verdict, match: dict[str, Any], now: float
    ) -> ApprovalRequest:
        # Evidence and reasons quote the action: with no credential seen anywhere in it (the
        # scan's flag, as for the audit record) there is nothing in them to mask.
        mask = mask_secrets if verdict.contains_secrets else _same
        request = ApprovalRequest(
            id=f"apr_{os.urandom(8).hex()}",
            summary=_summary(action),
            kind=action.kind,
            tool=action.tool,
            risk=verdict.risk.value,
            citations=[{**c.to_dict(), "evidence": mask(c.evidence)} for c in verdict.citations],
            reasons=[mask(r) for r in verdict.reasons],
            requested_at=now,
            expires_at=now + self.ttl_s,
            verdict_id=verdict.verdict_id,
            **match,
        )
        row = request.to_dict() | {"status": PENDING}
        if self._unstored is not None:
            self._unstored.add(row)
        else:
            self.db.approval_insert(row)
        return request

    def consume(self, action: Action, verdict: Verdict) -> ApprovalRequest | None:
        """Use an approval granted for exactly this call, once; None when there is none."""
        now = time.time()
        match = self._binding(action, verdict)
        while True:
            row = self.db.approval_find(match, APPROVED, now)
            if row is None:
                return None
            if self.db.approval_transition(row["id"], APPROVED, USED, {"used_at": now}):
                request = ApprovalRequest.from_row(row)
                request.status, request.used_at = USED, now
                return request  # another check may have used it first: look again

    @staticmethod
    def _binding(action: Action, verdict: Verdict) -> dict[str, Any]:
        return {
            "fingerprint": verdict.fingerprint,
            "content_hash": action.content_hash,
            "principal": action.principal,
            "constitution_version": verdict.constitution_version,
        }

    # ------------------------------------------------------------------ from humans
    def get(self, approval_id: str) -> ApprovalRequest:
        """One request; raises ApprovalError when there is no such id."""
        row = self._unstored.get(approval_id) if self._unstored is not None else None
        if row is None:
            row = self.db.approval_get(approval_id)
        if row is None:
            raise ApprovalError(f"no approval request {approval_id!r}", "not_found")
        return ApprovalRequest.from_row(row)

    def list(self, status: str | None = None, limit: int = 1000) -> list[ApprovalRequest]:
        """Requests, newest first; `pending` excludes expired ones."""
        self._store_unstored()
        if status == EXPIRED:
            rows = self.db.approval_list(PENDING, limit)
            return [r for r in map(ApprovalRequest.from_row, rows) if r.effective_status == EXPIRED]
        requests = [ApprovalRequest.from_row(r) for r in self.db.approval_list(status, limit)]
        if status == PENDING:
            return [r for r in requests if r.effective_status == PENDING]
        return requests

    def pending_count(self) -> int:
        """Unexpired pending requests."""
        self._store_unstored()
        return self.db.approval_count(PENDING, time.time())

    def _store_unstored(self, approval_id: str | None = None) -> None:
        """Wait until requests still in the audit queue (or the one named) are stored, for a
        question only the store answers (lists, counts, an atomic transition)."""
        if self._unstored is not None:
            self._unstored.wait(approval_id)

    def approve(
        self, approval_id: str, by: ApiKey | str, note: str | None = None
    ) -> ApprovalRequest:
        """Approve a pending request as the holder of key `by` (or, in-process, a name listed
        in `approvers`); raises ApprovalError with the reason when refused."""
        return self._resolve(approval_id, by, APPROVED, note)

    def deny(self, approval_id: str, by: ApiKey | str, note: str | None = None) -> ApprovalRequest:
        """Deny a pending request (who may: as for `approve`)."""
        return self._resolve(approval_id, by, DENIED, note)

    def _resolve(
        self, approval_id: str, approver: ApiKey | str, status: str, note: str | None
    ) -> ApprovalRequest:
        self._store_unstored(approval_id)  # the transition below is the store's
        request = self.get(approval_id)
        by = self.approver_name(approver)
        if by == request.principal:
            raise ApprovalError(f"{by!r} cannot resolve their own request", "forbidden")
        now = time.time()
        if request.status != PENDING:
            who = f" by {request.resolved_by}" if request.resolved_by else ""
            raise ApprovalError(f"approval {approval_id} is already {request.status}{who}")
        if now >= request.expires_at:
            self.db.approval_transition(approval_id, PENDING, EXPIRED, {"resolved_at": now})
            self.wakeups.notify(approval_id)
            raise ApprovalError(
                f"approval {approval_id} expired at {_when(request.expires_at)}", "expired"
            )
        fields = {"resolved_by": by, "resolved_at": now, "note": note}
        if not self.db.approval_transition(approval_id, PENDING, status, fields):
            current = self.get(approval_id)
            raise ApprovalError(
                f"approval {approval_id} is already {current.status} by {current.resolved_by}"
            )
        request.status, request.resolved_by, request.resolved_at, request.note = (
            status,
            by,
            now,
            note,
        )
        if self.audit is not None:
            self.audit.record_event(
                "approval",
                f"{approval_id}:{status}",
                request.principal,
                "allow" if status == APPROVED else "deny",
                request.risk,
                {
                    "approval_id": approval_id,
                    "status": status,
                    "resolved_by": by,
                    "note": note,
                    "fingerprint": request.fingerprint,
                    "summary": request.summary,
                    "constitution_version": request.constitution_version,
                },
            )
        self.wakeups.notify(approval_id)
        return request

    def approver_name(self, approver: ApiKey | str) -> str:
        """Who resolves: the name of an active approver or admin key, or a name this
        application listed in `approvers` (or `is_approver` vouches for); ApprovalError
        ("forbidden") otherwise."""
        if isinstance(approver, ApiKey):
            return key_approver(approver)
        if self.may_resolve(approver):
            return approver
        raise ApprovalError(
            f"{approver!r} is not an approver: resolving needs an approver or admin key",
            "forbidden",
        )

    def may_resolve(self, by: str) -> bool:
        """True when the application's code listed `by` in `approvers` (or `is_approver`
        says so)."""
        if by in self.approvers:
            return True
        return self.is_approver is not None and self.is_approver(by)

    # ------------------------------------------------------------------ waiting
    async def wait(self, approval_id: str, timeout: float) -> ApprovalRequest:
        """Wait until the request is resolved or expires, at most `timeout` seconds; returns it
        (status `pending` when the wait timed out). Reads run in a thread, never blocking the
        event loop; between reads the waiter sleeps until woken, or `poll_s` at most."""
        deadline = time.monotonic() + timeout
        while True:
            # Register before reading, so a change between the read and the wait still wakes.
            woken = asyncio.ensure_future(self.wakeups.wait(approval_id, self.poll_s))
            try:
                await asyncio.sleep(0)
                request = await asyncio.to_thread(self.get, approval_id)
                status = request.effective_status
                if status != PENDING:
                    request.status = status
                    return request
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return request
                await asyncio.wait({woken}, timeout=min(remaining, self.poll_s))
            finally:
                if not woken.done():
                    woken.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await woken


def _batches_rows(db: Database, audit: AuditLog | None) -> bool:
    """True when new requests can ride in the audit log's batches: a batched log writing to
    this very database."""
    return audit is not None and audit.durability == "batched" and audit.db is db


class _Unstored:
    """Requests queued in the audit log's batches and not yet stored: this process finds and
    reads them here meanwhile. Dropped once the audit writer reports their ticket stored."""

    def __init__(self, audit: AuditLog | None) -> None:
        assert audit is not None
        self.audit = audit
        self._lock = threading.Lock()
        self._rows: dict[str, tuple[int, dict[str, Any]]] = {}  # id -> (ticket, row), in order
        self._by_binding: dict[tuple[Any, ...], list[str]] = {}

    @staticmethod
    def _key(row: dict[str, Any]) -> tuple[Any, ...]:
        return (
            row["fingerprint"],
            row["content_hash"],
            row["principal"],
            row["constitution_version"],
        )

    def add(self, row: dict[str, Any]) -> None:
        """Queue a new pending request's row and remember it until stored."""
        with self._lock:  # the ticket and the entry together: pruning sees tickets in order
            ticket = self.audit.record_approval(row)
            self._rows[row["id"]] = (ticket, row)
            self._by_binding.setdefault(self._key(row), []).append(row["id"])
        self._prune()

    def _prune(self) -> None:
        with self._lock:
            while self._rows:
                first = next(iter(self._rows))
                ticket, row = self._rows[first]
                if not self.audit.stored(ticket):
                    return
                del self._rows[first]
                ids = self._by_binding.get(self._key(row), [])
                if first in ids:
                    ids.remove(first)
                if not ids:
                    self._by_binding.pop(self._key(row), None)

    def find(self, match: dict[str, Any], now: float) -> dict[str, Any] | None:
        """The oldest unexpired unstored request with this binding."""
        self._prune()
        key = (
            match["fingerprint"],
            match["content_hash"],
            match["principal"],
            match["constitution_version"],
        )
        with self._lock:
            for approval_id in self._by_binding.get(key, ()):
                row = self._rows[approval_id][1]
                if row["expires_at"] > now:
                    return dict(row)
        return None

    def get(self, approval_id: str) -> dict[str, Any] | None:
        """An unstored request by id."""
        self._prune()
        with self._lock:
            entry = self._rows.get(approval_id)
        return dict(entry[1]) if entry is not None else None

    def wait(self, approval_id: str | None, timeout: float = 10.0) -> None:
        """Until the named request (or every one) is stored or spooled, `timeout` at most."""
        with self._lock:
            if approval_id is not None:
                entry = self._rows.get(approval_id)
                ticket = entry[0] if entry is not None else 0
            else:
                ticket = max((t for t, _ in self._rows.values()), default=0)
        if ticket:
            self.audit.wait_stored(ticket, timeout)
        self._prune()


def key_approver(key: ApiKey) -> str:
    """The approver a key proves: its name, when it is an active approver or admin key
    (ApprovalError "forbidden" otherwise). For approvals and for lifting suspensions."""
    if key.revoked_at is not None:
        raise ApprovalError(f"key {key.id} is revoked", "forbidden")
    if not key.can_approve:
        raise ApprovalError(
            f"key {key.name!r} has role {key.role}; resolving needs an approver or admin key",
            "forbidden",
        )
    return key.name


def _same(text: str) -> str:
    return text


def _summary(action: Action) -> str:
    text = action.text or ""
    if action.tool:
        text = f"{action.tool} {text}".strip()
    if action.args:
        text = f"{text} {json.dumps(mask_value(action.args), ensure_ascii=False)[:400]}"
    text = mask_secrets(" ".join(text.split()))
    return f"[{action.kind}] {text[:600]}"


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts))
