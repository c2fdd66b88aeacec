"""Waking approval waiters: in the same process at once; across processes and servers through
PostgreSQL LISTEN/NOTIFY (here two governors that share nothing but the database)."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

from magistrate import Action, Governor, RiskDetector
from magistrate.approvals import Approvals
from magistrate.audit import AuditLog
from magistrate.db import open_database
from magistrate.wakeups import LocalWakeups, PostgresWakeups
from tests.stores import pg_schema, pg_url


async def test_local_wakeups_wake_only_the_right_waiters() -> None:
    wakeups = LocalWakeups()
    first = asyncio.ensure_future(wakeups.wait("a", 5))
    other = asyncio.ensure_future(wakeups.wait("b", 0.3))
    await asyncio.sleep(0.01)
    assert wakeups.waiting == 2
    threading.Thread(target=wakeups.notify, args=("a",)).start()  # from another thread
    assert await asyncio.wait_for(first, 1) is True
    assert await other is False  # timed out, never woken
    assert wakeups.waiting == 0


def test_notify_wakes_a_waiter_of_another_governor(detector: RiskDetector, tmp_path: Path) -> None:
    with pg_schema() as schema:
        url = pg_url(schema)

        def governor(name: str) -> Governor:
            db = open_database(url)
            audit = AuditLog(db, spool_dir=tmp_path / name, chain_id=name)
            approvals = Approvals(
                db, {"alice"}, audit=audit, wakeups=PostgresWakeups(url), poll_s=30
            )
            return Governor(detector=detector, audit=audit, approvals=approvals)

        waiting, resolving = governor("a"), governor("b")
        v = waiting.check(Action(kind="sql", text="DROP TABLE t", principal="agent:x"))
        assert v.approval_id
        # The request row is written in A's next audit batch (durable within its window): the
        # other governor sees it once that batch is stored.
        assert waiting.audit.flush(30)  # type: ignore[union-attr]

        async def wait() -> tuple[str, float]:
            wakeups = waiting.approvals.wakeups  # type: ignore[union-attr]
            task = asyncio.ensure_future(waiting.wait_for_approval(v.approval_id, 20))  # type: ignore[arg-type]
            deadline = time.monotonic() + 10
            while not wakeups.connected.is_set():  # type: ignore[attr-defined]
                assert time.monotonic() < deadline, "never listening"
                await asyncio.sleep(0.02)
            approved_at = time.monotonic()
            await asyncio.to_thread(resolving.approvals.approve, v.approval_id, "alice")  # type: ignore[union-attr,arg-type]
            request = await task
            return request.status, time.monotonic() - approved_at

        status, after = asyncio.run(wait())
        assert status == "approved" and after < 3  # woken by NOTIFY; the poll is 30 s
        waiting.close()
        resolving.close()
