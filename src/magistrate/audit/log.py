"""The audit log: verdicts queued on the hot path, chained and committed by a writer.

`batched` (default): the check only appends to a queue; a writer group-commits every 10 ms and
on shutdown. `sync`: the check waits until its record is committed (or spooled). When the
store cannot be reached, batches go to the spool and are replayed, in order, before anything
newer once it is back; nothing is dropped or written twice. Approval requests of a batched log
travel in the same batches (`record_approval`), committed in the same transaction.

The writer is a thread of this process (`writer="thread"`) or, with `writer="process"`, a
thread that only hands batches to a writer process (see `writer_proc`), so chaining, signing
and inserting take nothing from the checking interpreter's GIL.
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
from magistrate.audit.record import (
    chainer,
    event_payload,
    fields_from_wire,
    iso,
    payload_from_fields,
    unbuilt,
    verdict_fields,
    verdict_payload,
    verdict_wire,
)
from magistrate.audit.signing import Signer
from magistrate.audit.spool import Spool
from magistrate.audit.writer_proc import (
    ProcessWriter,
    decode_batch,
    encode_frame,
    encode_item,
    spec_for,
)
from magistrate.db.base import Chainer, Database, StoreUnavailable
from magistrate.verdict import Verdict

Durability = Literal["batched", "sync"]
WriterKind = Literal["thread", "process"]
_APPROVAL = -1  # the time field of a queued approval row (verdicts: their time, events: 0)
_WIRED = object()  # in place of the verdict: the item holds its fields as JSON (`verdict_wire`)
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
        writer: WriterKind = "thread",
    ) -> None:
        if durability not in ("batched", "sync"):
            raise ValueError(f"audit durability must be batched or sync; got {durability!r}")
        if writer not in ("thread", "process"):
            raise ValueError(f"audit writer must be thread or process; got {writer!r}")
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
        self.writer = writer  # "process" falls back to "thread" when the child cannot be used
        self._proc: ProcessWriter | None = None
        # (first ticket, last ticket, frame) sent to the writer process, not acknowledged:
        # the frame, not the verdicts, so these are freed as soon as they are sent.
        self._inflight: deque[tuple[int, int, bytes]] = deque()
        self._recover: list[dict[str, Any]] = []  # sent to a child that died unacknowledged
        self._recover_upto = 0  # the last ticket among them
        _live_logs.add(self)

    # ------------------------------------------------------------------ hot path
    def record(self, action: Action, verdict: Verdict) -> None:
        """Log a verdict: queued (batched) or committed before returning (sync)."""
        wire = None
        if self.writer == "process":  # its fields as JSON now: the objects are freed at once
            try:
                wire = verdict_wire(action, verdict)
            except Exception:  # the writer builds what it can from the objects
                wire = None
        with self._enqueue_lock:
            self._issued += 1
            ticket = self._issued
            if wire is None:
                self._queue.append((ticket, time.time_ns(), action, verdict))
            else:
                self._queue.append((ticket, time.time_ns(), wire, _WIRED))
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

    def record_approval(self, row: dict[str, Any]) -> int:
        """Queue a new approval request's row for the next batch (same transaction as its
        records); returns its ticket (`stored` says when it is in the store or the spool).
        A sync log writes it before returning."""
        with self._enqueue_lock:
            self._issued += 1
            ticket = self._issued
            self._queue.append((ticket, _APPROVAL, dict(row), None))
        if self._thread is None:
            self._start()
        if self.durability == "sync" or len(self._queue) > self.max_queue:
            self._wake.set()
            self._wait(ticket)
        return ticket

    def stored(self, ticket: int) -> bool:
        """True once the record or row with this ticket is in the store or the spool."""
        return self._done >= ticket

    def wait_stored(self, ticket: int, timeout: float | None = 10.0) -> bool:
        """Wait until `ticket` is stored (or spooled); False on timeout."""
        if self._done >= ticket:
            return True
        self._wake.set()
        return self._wait(ticket, timeout)

    def verifiers(self) -> tuple[list[Signer], Anchors | None]:
        """What `audit.verify` needs to check this log's signatures and anchors."""
        current = [self.signer] if self.signer is not None else []
        return current + list(self.previous_signers), self.anchors

    @property
    def writer_pid(self) -> int | None:
        """The writer process's id while there is one (None: the writer is a thread here)."""
        proc = self._proc
        return proc.proc.pid if proc is not None else None

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
            self._thread.join(timeout=60)
            self._thread = None
        if self._proc is not None:  # the writer thread could not finish with it: end it here
            self._proc.close()
            self._proc = None
        if self._queue or self._inflight or self._recover:  # writer gone: drain here
            self._take_back()
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
        if self.writer == "process" and self._run_process():
            return
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

    def _run_process(self) -> bool:
        """Feed the writer process until closed (True); False when it could not start or
        died: what it had not acknowledged is taken back, and this thread writes from then on."""
        spec = spec_for(self)
        if spec is None:
            self.writer = "thread"
            return False
        try:
            self._proc = ProcessWriter(spec, self._acked)
        except Exception as exc:
            self._writer_failed(f"audit writer process: {type(exc).__name__}: {exc}")
            return False
        proc = self._proc
        while proc.proc.poll() is None:
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            try:
                while self._queue:
                    batch = self._pop_batch()
                    first, last = batch[0][0], batch[-1][0]
                    frame = encode_frame(last, [_wire(item) for item in batch])
                    del batch
                    self._inflight.append((first, last, frame))
                    proc.send(frame)
            except OSError:
                break
            if self._stop and not self._queue:
                proc.close()  # the child writes what it has and acknowledges before exiting
                self._proc = None
                if not self._inflight:
                    return True
                break
        self._proc = None
        with contextlib.suppress(Exception):
            proc.close(timeout=5)
        self._writer_failed(f"audit writer process exited ({proc.proc.returncode})")
        return False

    def _writer_failed(self, why: str) -> None:
        self.errors += 1
        self.last_error = why
        self.writer = "thread"
        self._take_back()

    def _take_back(self) -> None:
        """Batches a dead writer process never acknowledged: written first, by the replay
        path (whatever the child stored before dying is skipped)."""
        while self._inflight:
            first, last, frame = self._inflight.popleft()
            self._recover.extend(decode_batch(frame)[1])  # the records the child would write
            self._recover_upto = max(self._recover_upto, last)
            with self._done_cond:  # their waiters wait for the rewrite instead
                self._done = min(self._done, first - 1)
        self.spool.reload()  # the child may have added to it or emptied it

    def _acked(self, ack: dict[str, Any]) -> None:
        """An acknowledgement from the writer process (on its reader thread)."""
        if ack.get("eof"):
            self._wake.set()
            return
        ticket = int(ack["t"])
        while self._inflight and self._inflight[0][1] <= ticket:
            self._inflight.popleft()
        self.written += int(ack["w"])
        self.spooled += int(ack["s"])
        self.errors += int(ack["e"])
        if ack.get("le"):
            self.last_error = str(ack["le"])
        self.anchor_conflicts.extend(str(c) for c in ack["ac"])
        with self._done_cond:
            self._done = max(self._done, ticket)
            self._done_cond.notify_all()

    def _pop_batch(self) -> list[tuple[int, int, Any, Any]]:
        pop = self._queue.popleft  # only the writer takes from the queue
        return [pop() for _ in range(min(len(self._queue), self.max_batch))]

    def _drain(self) -> None:
        if self._recover:
            recover, self._recover = self._recover, []
            try:
                if len(self.spool) and not self._replay():
                    raise StoreUnavailable(self.last_error or "the spool could not be replayed")
                self._commit(recover, [p["record_id"] for p in recover if "approval" not in p])
            except Exception as exc:
                self.errors += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                try:
                    self._to_spool(recover)  # replay skips what the child stored
                except Exception:  # neither took them: kept, retried before anything newer
                    self._recover = recover
                    if not self._stop:
                        time.sleep(0.5)
                    return
            with self._done_cond:
                self._done = max(self._done, self._recover_upto)
                self._done_cond.notify_all()
        while self._queue:
            batch = self._pop_batch()
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

    def write_batch(self, payloads: list[dict[str, Any]]) -> None:
        """Store a batch (approval rows as {"approval": row}), else spool it; raises when
        neither took it (the writer process calls this for each batch it receives)."""
        self._write(payloads)

    def replay_spool(self) -> bool:
        """Write the spool to the store; True when it is empty afterwards."""
        return self._replay()

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
        records = [p for p in payloads if "approval" not in p]
        approvals = [p["approval"] for p in payloads if "approval" in p]
        chain = _Captured(chainer(self.chain_id, records, self.signer))
        with self._anchor_held() as advance:
            if approvals:
                self.written += self.db.audit_write(self.chain_id, chain, record_ids, approvals)
            else:  # stores written before approvals joined the batch take three arguments
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
            self._commit(pending, [p["record_id"] for p in pending if "approval" not in p])
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
        return {"approval": item[2]} if item[1] == _APPROVAL else dict(item[2])
    try:
        if item[3] is _WIRED:
            return payload_from_fields(fields_from_wire(item[1], item[2]))
        return verdict_payload(item[2], item[3], item[1])
    except Exception as exc:  # never lose the fact that a decision was made
        return _unbuilt_payload(item, exc)


def _unbuilt_payload(item: tuple[int, int, Any, Any], exc: Exception) -> dict[str, Any]:
    if item[3] is _WIRED:
        return unbuilt(fields_from_wire(item[1], item[2]), exc)
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


def _wire(item: tuple[int, int, Any, Any]) -> bytes:
    """A queued item as the writer process receives it (one element of a frame's list): a
    verdict's plain fields (the record is built there), an event's payload or an approval row."""
    if item[3] is _WIRED:  # the fields taken on the check path, the time put in front
        return b'["v",[%d,%b]' % (item[1], item[2][1:])
    if item[3] is not None:
        try:
            return encode_item("v", verdict_fields(item[2], item[3], item[1]))
        except Exception:  # the child gets the record this process can still build
            return encode_item("p", _payload(item))
    return encode_item("a", item[2]) if item[1] == _APPROVAL else encode_item("p", item[2])


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "main"
