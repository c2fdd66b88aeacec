"""One worker's serving state (`Server`): the governor, keys, database, figures and the thread
pool that blocking work runs in. Routes reach it as `request.app.state.magistrate`."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import json
import logging
import os
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import Context
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from fastapi import HTTPException, Request
from prometheus_client import CollectorRegistry
from prometheus_client import Histogram as PromHistogram

from magistrate.action import Action
from magistrate.approvals import Approvals
from magistrate.config import Settings
from magistrate.db import Database, open_database
from magistrate.governor import Governor
from magistrate.keys import Keys
from magistrate.levels import Risk
from magistrate.server.coalesce import Coalescer, Together
from magistrate.server.events import DecisionFeed
from magistrate.server.stats import WorkerStats, merge
from magistrate.server.workers import WorkerSlot, host_name
from magistrate.trust_settlement import check_each
from magistrate.verdict import Verdict

log = logging.getLogger("magistrate.server")
STATS_LIVE_S = 10.0  # a worker that has not published for this long is gone


def _in_context(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[], Any]:
    """`fn(*args, **kwargs)` to run in another thread within the caller's context (tracing)."""
    return functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)


@dataclass
class Server:
    """Everything one worker serves with."""

    settings: Settings
    governor: Governor | None = None
    keys: Keys | None = None
    db: Database | None = None
    stats: WorkerStats = field(default_factory=lambda: WorkerStats("starting"))
    feed: DecisionFeed | None = None
    worker_id: str = ""
    owns_governor: bool = False
    slot: WorkerSlot | None = None
    executor: ThreadPoolExecutor | None = None  # judging threads (set at start-up)
    coalescer: Coalescer | None = None  # single checks through `executor` (set at start-up)
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    http_latency: PromHistogram | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    own_db: bool = False
    inline: bool = False  # judge single checks on the event loop (nothing on the path blocks)

    @property
    def gov(self) -> Governor:
        """The governor (started)."""
        if self.governor is None:
            raise HTTPException(503, "the server is starting")
        return self.governor

    @property
    def approvals(self) -> Approvals:
        """The approval store (503 when the audit database is off)."""
        approvals = self.gov.approvals
        if approvals is None:
            raise HTTPException(503, "approvals need the database: set MAGISTRATE_AUDIT=true")
        return approvals

    @property
    def database(self) -> Database:
        """The database holding audit, approvals and keys."""
        if self.db is None:
            raise HTTPException(503, "the server is starting")
        return self.db

    async def judge(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run blocking governance work in a worker thread (of `executor`, which bounds how
        many run at once), in the caller's context (contextvars: tracing)."""
        if self.executor is None:  # not started: any worker thread
            return await anyio.to_thread.run_sync(lambda: fn(*args, **kwargs))
        # A plain executor hop: anyio's (limiter, cancel scope, its own pool) cost ~35-48 µs
        # of CPU per call against ~14 µs here, once per shared-mode check.
        call = _in_context(fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self.executor, call)

    async def check(self, action: Action, floor: Risk | None) -> Verdict:
        """One check in a worker thread. Checks queued meanwhile share the hop
        (`server/coalesce.py`) and are judged together (`trust_settlement.check_each`): with
        Redis, one round trip settles all their trust updates."""
        if self.coalescer is None:
            verdict: Verdict = await self.judge(self.gov.check, action, min_risk=floor)
            return verdict
        item = (action, floor, contextvars.copy_context())
        return await self.coalescer.run(Together(self._check_each, item))

    def _check_each(
        self, items: list[tuple[Action, Risk | None, Context]]
    ) -> list[Verdict | Exception]:
        actions = [action for action, _, _ in items]
        floors = [floor for _, floor, _ in items]
        return check_each(self.gov, actions, floors, [context for *_, context in items])

    def observe(self, verdict: Verdict) -> None:
        """Count a verdict for the dashboard."""
        decision = "ungoverned" if verdict.ungoverned else verdict.decision.value
        self.stats.observe_verdict(decision, verdict.risk.value, verdict.timings_ns.get("total", 0))

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Open the stores (blocking: runs in a thread at start-up)."""
        s = self.settings
        if self.governor is None:
            self.slot = WorkerSlot(Path(s.spool_dir))
            self.worker_id = self.slot.id
            chain = f"{s.chain_id}-{self.worker_id}"
            self.governor = Governor.from_settings(s.model_copy(update={"chain_id": chain}))
            self.governor.detector.prepare()  # not at the first request of each kind
            self.owns_governor = True
        else:
            self.worker_id = f"{host_name()}-{os.getpid()}-{secrets.token_hex(3)}"
        gov = self.governor
        if gov.audit is not None:
            self.db = gov.audit.db
        else:  # keys still need a database
            self.db = open_database(s.database_url)
            self.own_db = True
        self.keys = Keys(self.db, cache_s=s.key_cache_s, stale_s=s.key_stale_s)
        if gov.approvals is not None:
            gov.approvals.is_approver = self.keys.is_approver
            gov.approvals.poll_s = s.approval_poll_s
        self.stats = WorkerStats(self.worker_id)
        self.feed = DecisionFeed(self.db) if gov.audit is not None else None
        self.inline = nothing_blocks(gov)

    def stop(self) -> None:
        """Flush and close what this worker opened (blocking)."""
        if self.owns_governor and self.governor is not None:
            self.governor.close()
        if self.own_db and self.db is not None:
            self.db.close()
        if self.slot is not None:
            self.slot.release()

    def publish_stats(self) -> None:
        """Write this worker's figures to the database (blocking)."""
        self.database.stats_put(self.worker_id, json.dumps(self.stats.snapshot()), time.time())

    def merged_stats(self) -> dict[str, Any]:
        """Every live worker's figures, merged (blocking: reads the database)."""
        snapshots = {self.worker_id: self.stats.snapshot()}
        try:
            for worker, _, body in self.database.stats_since(time.time() - STATS_LIVE_S):
                if worker != self.worker_id:
                    snapshots[worker] = json.loads(body)
        except Exception as exc:  # the dashboard still gets this worker's own figures
            log.warning("reading worker figures failed: %s", exc)
        return merge(snapshots.values())


def current(request: Request) -> Server:
    """The worker's Server (a plain function: routes call it, it is no dependency to solve)."""
    server: Server = request.app.state.magistrate
    return server


def nothing_blocks(gov: Governor) -> bool:
    """True when a check cannot wait on anything remote: trust and sessions in memory, audit
    queued (batched), approvals (escalations only) in a local SQLite file. Then a thread hop
    costs more than the check (tens of µs against a ~40% loss of throughput), so single checks
    run on the event loop; otherwise they run in worker threads."""
    from magistrate.db.sqlite import SQLiteDatabase
    from magistrate.provenance_store import MemoryProvenanceStore
    from magistrate.sessions import MemorySessionStore
    from magistrate.trust import MemoryTrustLedger

    return (
        type(getattr(gov.justica.trust, "inner", gov.justica.trust)) is MemoryTrustLedger
        and type(gov.justica.sessions) is MemorySessionStore
        and type(gov.justica.provenance.store) is MemoryProvenanceStore
        and (gov.audit is None or gov.audit.durability == "batched")
        and (gov.approvals is None or isinstance(gov.approvals.db, SQLiteDatabase))
        and (gov.sofia is None or gov.sofia.llm is None)
    )
