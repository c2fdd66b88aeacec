"""The audit log: verdicts queued on the hot path, chained and committed by a writer thread.

`batched` (default): the check only appends to a queue; a writer thread group-commits every
10 ms and on shutdown. `sync`: the check waits until its record is committed (or spooled).
When the store cannot be reached, batches go to the spool and are replayed, in order, before
anything newer once it is back; nothing is dropped or written twice.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from magistrate.action import Action
from magistrate.audit.anchor import Anchors
from magistrate.audit.record import chainer, event_payload, iso, verdict_payload
from magistrate.audit.signing import Signer
from magistrate.audit.spool import Spool
from magistrate.db.base import Chainer, Database, StoreUnavailable
from magistrate.verdict import Verdict

Durability = Literal["batched", "sync"]
_live_logs: weakref.WeakSet[AuditLog] = weakref.WeakSet()


@atexit.register
def _flush_all() -> None:
    for log in list(_live_logs):
        log.close()


class AuditLog:
    """A hash-chained log of verdicts (one chain per writer) on a Database."""

    def __init__(
        self,
        db: Database,
        *,
        chain_id: str = "main",
        durability: Durability = "batched",
        flush_interval: float = 0.01,
        max_batch: int = 1024,
        max_queue: int = 8_192,  # backpressure beyond: bounded memory, nothing dropped
        spool_dir: str | Path = ".magistrate/spool",
        signer: Signer | None = None,
        anchors: Anchors | None = None,
        previous_signers: Sequence[Signer] = (),
    ) -> None:
        if durability not in ("batched", "sync"):
            raise ValueError(f"audit durability must be batched or sync; got {durability!r}")
        self.db = db
        self.chain_id = chain_id
        self.durability = durability
        self.flush_interval = flush_interval
        self.max_batch = max_batch
        self.max_queue = max_queue
        self.spool = Spool(Path(spool_dir) / f"{_safe(chain_id)}.jsonl")
        self.signer = signer  # records are HMACed with a key the database never holds
        self.anchors = anchors  # and the chain's head is checkpointed outside it
        self.previous_signers = tuple(previous_signers)  # keys before a rotation (verify only)
        self.anchor_conflicts: list[str] = []
        self._queue: deque[tuple[int, int, Any, Any]] = deque()
        # Tickets number records in queue order: taken and queued under one lock, so the
        # writer's "stored up to ticket N" is true even with many threads recording at once.
        self._issued = 0
        self._enqueue_lock = threading.Lock()
        self._done = 0  # highest ticket stored (in the database or the spool)
        self._done_cond = threading.Condition()
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.written = 0
        self.spooled = 0
        self.errors = 0
        self.last_error: str | None = None
        self._held: list[dict[str, Any]] = []  # records no store or spool took yet
        _live_logs.add(self)

    # ------------------------------------------------------------------ hot path
    def record(self, action: Action, verdict: Verdict) -> None:
        """Log a verdict: queued (batched) or committed before returning (sync)."""
        with self._enqueue_lock:
            self._issued += 1
            ticket = self._issued
            self._queue.append((ticket, time.time_ns(), action, verdict))
        if self._thread is None:
            self._start()
        if self.durability == "sync" or len(self._queue) > self.max_queue:
            # sync: durable before returning; an overfull queue: wait (backpressure, not loss)
            self._wake.set()
            self._wait(ticket)

    def record_event(
        self,
        kind: str,
        record_id: str,
        principal: str,
        decision: str,
        risk: str,
        details: dict[str, Any],
    ) -> None:
        """Log something other than a verdict (approval resolutions, suspensions)."""
        payload = event_payload(kind, record_id, principal, time.time_ns(), decision, risk, details)
        with self._enqueue_lock:
            self._issued += 1
            ticket = self._issued
            self._queue.append((ticket, 0, payload, None))
        if self._thread is None:
            self._start()
        self._wake.set()
        self._wait(ticket)  # rare and important: always durable before returning

    def verifiers(self) -> tuple[list[Signer], Anchors | None]:
        """What `audit.verify` needs to check this log's signatures and anchors."""
        current = [self.signer] if self.signer is not None else []
        return current + list(self.previous_signers), self.anchors

    @property
    def queue_depth(self) -> int:
        """Records waiting for the writer."""
        return len(self._queue)

    # ------------------------------------------------------------------ lifecycle
    def flush(self, timeout: float | None = 10.0) -> bool:
        """Wait until everything queued so far is stored; False on timeout."""
        if self._thread is None:
            return True
        ticket = self._issued  # everything queued so far (taking no ticket of its own)
        self._wake.set()
        return self._wait(ticket, timeout)

    def close(self) -> None:
        """Flush and stop the writer (idempotent); records are never dropped on close."""
        if self._thread is not None:
            self._stop = True
            self._wake.set()
            self._thread.join(timeout=30)
            self._thread = None
        if self._queue:  # writer gone (or never started): drain here
            self._drain()
        if self.anchors is not None:
            self.anchors.close()
        _live_logs.discard(self)

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None and not self._stop:
                self._thread = threading.Thread(
                    target=self._run, name="magistrate-audit", daemon=True
                )
                self._thread.start()

    def _wait(self, ticket: int, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._done_cond:
            while self._done < ticket:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._done_cond.wait(remaining if remaining is not None else 1.0)
        return True

    # ------------------------------------------------------------------ writer
    def _run(self) -> None:
        last_retry = time.monotonic()
        while True:
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            self._drain()
            if len(self.spool) and not self._queue and time.monotonic() - last_retry > 1.0:
                last_retry = time.monotonic()  # the store may be back: empty the spool
                self._replay()
            if self._stop and not self._queue:
                return

    def _drain(self) -> None:
        while self._queue:
            batch: list[tuple[int, int, Any, Any]] = []
            while self._queue and len(batch) < self.max_batch:
                batch.append(self._queue.popleft())
            payloads = self._held + [_payload(item) for item in batch]
            self._held = []
            try:
                self._write(payloads)
            except Exception as exc:  # neither the store nor the spool took them: keep, retry
                self.errors += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                self._held = payloads  # in order, before anything newer; waiters keep waiting
                if self._stop:
                    return
                time.sleep(0.5)
                continue
            with self._done_cond:
                self._done = max(self._done, batch[-1][0])
                self._done_cond.notify_all()

    def _write(self, payloads: list[dict[str, Any]]) -> None:
        if len(self.spool) and not self._replay():
            self._to_spool(payloads)  # order: nothing newer reaches the store before the spool
            return
        try:
            # Fresh records cannot be stored yet: no look-up for duplicates (a clash would fail
            # the transaction, and the spool's replay skips what is already stored).
            self._commit(payloads, ())
        except Exception as exc:  # unreachable or failing store: keep the records locally
            self.errors += 1
            self.last_error = f"{type(exc).__name__}: {exc}"
            self._to_spool(payloads)

    def _commit(self, payloads: list[dict[str, Any]], record_ids: Sequence[str]) -> None:
        """Chain, sign and store records, then checkpoint the head outside the database; the
        anchor is held across the write so writers of one chain anchor in commit order."""
        chain = _Captured(chainer(self.chain_id, payloads, self.signer))
        with self._anchor_held() as advance:
            self.written += self.db.audit_write(self.chain_id, chain, record_ids)
            rows = chain.rows
            if advance is None or not rows:
                return
            try:
                problem = advance(rows[0][0], rows[0][8], rows[-1][0], rows[-1][9])
            except Exception as exc:  # the records are stored; only the checkpoint is late
                self.errors += 1
                self.last_error = f"anchor: {type(exc).__name__}: {exc}"
                return
        if problem:
            self.errors += 1
            self.last_error = problem
            self.anchor_conflicts.append(problem)

    @contextlib.contextmanager
    def _anchor_held(self) -> Iterator[Callable[[int, str, int, str], str] | None]:
        """The chain's anchor, held; None when there are no anchors or they cannot be opened
        (the records are still written: a missing checkpoint must not stop the log)."""
        if self.anchors is None:
            yield None
            return
        hold = self.anchors.hold(self.chain_id)
        try:
            advance = hold.__enter__()
        except Exception as exc:
            self.errors += 1
            self.last_error = f"anchor: {type(exc).__name__}: {exc}"
            yield None
            return
        try:
            yield advance
        finally:
            hold.__exit__(None, None, None)

    def _to_spool(self, payloads: list[dict[str, Any]]) -> None:
        self.spool.append(payloads)
        self.spooled += len(payloads)

    def _replay(self) -> bool:
        """Write the spool to the store, oldest first; True when it is empty afterwards."""
        pending = self.spool.read()
        if not pending:
            self.spool.clear(len(self.spool))
            return True
        try:
            self._commit(pending, [p["record_id"] for p in pending])
        except (StoreUnavailable, Exception) as exc:
            self.errors += 1
            self.last_error = f"{type(exc).__name__}: {exc}"
            return False
        self.spool.clear(len(pending))
        return True


class _Captured:
    """A chainer that remembers the rows of its last call (the committed ones: a store that
    retries a transaction chains again)."""

    __slots__ = ("inner", "rows")

    def __init__(self, inner: Chainer) -> None:
        self.inner = inner
        self.rows: list[tuple[Any, ...]] = []

    def __call__(self, seq: int, prev: str, skip: set[str]) -> list[tuple[Any, ...]]:
        self.rows = self.inner(seq, prev, skip)
        return self.rows


def _payload(item: tuple[int, int, Any, Any]) -> dict[str, Any]:
    """A queued item's record; a verdict that cannot be serialized still leaves a record."""
    if item[3] is None:
        return dict(item[2])
    try:
        return verdict_payload(item[2], item[3], item[1])
    except Exception as exc:  # never lose the fact that a decision was made
        verdict = item[3]
        return {
            "type": "verdict",
            "record_id": str(getattr(verdict, "verdict_id", f"unrecorded-{item[0]}")),
            "time": iso(item[1]),
            "principal": str(getattr(verdict, "principal", "")),
            "decision": str(getattr(verdict, "decision", "")),
            "risk": str(getattr(verdict, "risk", "")),
            "error": f"the full record could not be built: {type(exc).__name__}: {exc}",
        }


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "main"
