"""The live stream of decisions: a tail of the audit log, so a dashboard connected to any
worker of any replica sees every worker's decisions (they all write the same database)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from magistrate.db.base import AuditFilter, AuditRow, Database

BACKLOG = 50  # events a new subscriber gets first
QUEUE = 1000  # events kept for a slow subscriber; older ones are dropped for it
GAP_WAIT_S = 5.0  # how long a missing row id is looked for again (a later commit of a lower id)
MAX_GAPS = 10_000


def event_of(row: AuditRow) -> dict[str, Any]:
    """What the dashboard shows of one audit record (secrets were masked when stored)."""
    try:
        body: dict[str, Any] = json.loads(row.body)
    except ValueError:
        body = {}
    citations = body.get("citations") or []
    first = citations[0] if citations else {}
    text = body.get("text") or body.get("summary") or ""
    if body.get("tool"):
        text = f"{body['tool']} {text}".strip()
    event: dict[str, Any] = {
        "id": row.row_id,
        "type": row.type,
        "time": row.time,
        "chain": row.chain_id,
        "principal": row.principal,
        "decision": row.decision,
        "risk": row.risk,
        "kind": body.get("kind"),
        "text": " ".join(str(text).split())[:300],
        "rule": first.get("rule_id"),
        "article": first.get("article_title"),
        "article_number": first.get("article_number"),
        "approval_id": body.get("approval_id"),
        # why: the first reason (a suspension, a role, the rule's evidence), shortened
        "reason": " ".join(str((body.get("reasons") or [""])[0]).split())[:300],
    }
    if row.type in ("approval", "suspension"):
        event["status"] = body.get("status")
        event["resolved_by"] = body.get("resolved_by")
    timings = body.get("timings_ns") or {}
    if "total" in timings:
        event["total_us"] = round(timings["total"] / 1000, 1)
    return event


class DecisionFeed:
    """Polls the audit log for new records while anyone is subscribed, and fans them out."""

    def __init__(self, db: Database, poll_s: float = 0.5) -> None:
        self.db = db
        self.poll_s = poll_s
        self.recent: deque[dict[str, Any]] = deque(maxlen=BACKLOG)
        self._subscribers: set[asyncio.Queue[dict[str, Any] | None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._last = 0
        # Row ids come from one sequence but several writers commit in any order: a lower id
        # can appear after a higher one was read. Missing ids are looked for again a while.
        self._gaps: dict[int, float] = {}
        self._seen: deque[int] = deque(maxlen=MAX_GAPS)
        self.errors = 0

    @property
    def subscribers(self) -> int:
        """How many streams are open."""
        return len(self._subscribers)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[dict[str, Any] | None]]:
        """A queue of events: the recent backlog first, then new records as they are stored;
        None means the feed is closing."""
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(QUEUE)
        self._subscribers.add(queue)
        if self._task is None or self._task.done():
            self._ready = asyncio.Event()
            self._task = asyncio.create_task(self._run(), name="magistrate-decision-feed")
        try:
            await asyncio.wait_for(self._ready.wait(), 10)
        except TimeoutError:
            pass  # the store is slow or down: the stream starts empty and catches up
        for event in list(self.recent):
            queue.put_nowait(event)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)

    async def _run(self) -> None:
        first = True
        while self._subscribers or first:
            try:
                if first:
                    rows = await asyncio.to_thread(self._newest)
                else:
                    since = self._since()
                    rows = await asyncio.to_thread(self._after, since, self._last - since + 500)
            except Exception:  # the store is unreachable: try again at the next tick
                self.errors += 1
                rows = []
            else:
                if first:
                    first = False
                    self._last = max((r.row_id for r in rows), default=0)
                    self._seen.extend(r.row_id for r in rows)
                    self.recent.extend(event_of(r) for r in rows)
                    self._ready.set()
                    rows = []
            rows = self._fresh(rows)
            for row in rows:
                event = event_of(row)
                self.recent.append(event)
                for queue in list(self._subscribers):
                    if queue.full():
                        with contextlib.suppress(asyncio.QueueEmpty):
                            queue.get_nowait()  # a slow reader loses the oldest, not the newest
                    queue.put_nowait(event)
            if first:
                await asyncio.sleep(self.poll_s)
                continue
            if len(rows) < 500:
                await asyncio.sleep(self.poll_s)
        self._task = None

    def _since(self) -> int:
        """Where the next read starts: after the last row, or before the oldest missing one."""
        now = time.monotonic()
        floor = self._last - 4_500  # what one read can cover besides the new rows
        for row_id in [i for i, t in self._gaps.items() if now - t > GAP_WAIT_S or i < floor]:
            del self._gaps[row_id]  # rolled back, or never coming: stop looking
        return min(min(self._gaps) - 1, self._last) if self._gaps else self._last

    def _fresh(self, rows: list[AuditRow]) -> list[AuditRow]:
        """Rows not delivered before, noting the ids skipped over as gaps."""
        seen = set(self._seen)
        out: list[AuditRow] = []
        now = time.monotonic()
        for row in rows:
            if row.row_id in seen:
                continue
            self._gaps.pop(row.row_id, None)
            if row.row_id > self._last:
                if len(self._gaps) < MAX_GAPS:
                    for missing in range(self._last + 1, min(row.row_id, self._last + 1001)):
                        self._gaps.setdefault(missing, now)
                self._last = row.row_id
            self._seen.append(row.row_id)
            seen.add(row.row_id)
            out.append(row)
        return out

    def _newest(self) -> list[AuditRow]:
        rows = list(self.db.audit_rows(AuditFilter(), limit=BACKLOG, newest_first=True))
        rows.reverse()
        return rows

    def _after(self, last: int, limit: int) -> list[AuditRow]:
        return list(self.db.audit_rows(AuditFilter(after_id=last), limit=limit))

    async def close(self) -> None:
        """End every stream and stop polling."""
        for queue in list(self._subscribers):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(None)
        self._subscribers.clear()
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
