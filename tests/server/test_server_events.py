"""The decision stream tails the audit log: backlog first, then new records; a record whose
row id is lower than one already read (another writer committed later) is still delivered."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from magistrate.db import open_database
from magistrate.server.events import DecisionFeed


def insert(path: Path, row_id: int, text: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO audit_records (id, chain_id, seq, record_id, time, type, principal,"
        " decision, risk, body, prev_hash, hash) VALUES (?, 'c', ?, ?, '2026-01-01T00:00:00Z',"
        " 'verdict', 'p', 'allow', 'LOW', ?, '', '')",
        (row_id, row_id, f"r{row_id}", f'{{"text": "{text}", "kind": "shell"}}'),
    )
    conn.commit()
    conn.close()


async def next_text(queue: asyncio.Queue[dict[str, object] | None]) -> object:
    event = await asyncio.wait_for(queue.get(), 5)
    assert event is not None
    return event["text"]


async def test_backlog_new_records_and_late_commits(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    db = open_database(f"sqlite:///{path}")
    for i in (1, 2, 3):
        insert(path, i, f"old {i}")
    feed = DecisionFeed(db, poll_s=0.05)
    async with feed.subscribe() as queue:
        assert [await next_text(queue) for _ in range(3)] == ["old 1", "old 2", "old 3"]
        insert(path, 5, "five")  # id 4 is taken by a writer that has not committed yet
        assert await next_text(queue) == "five"
        insert(path, 6, "six")
        assert await next_text(queue) == "six"
        insert(path, 4, "four, committed late")
        assert await next_text(queue) == "four, committed late"
        insert(path, 7, "seven")
        assert await next_text(queue) == "seven"
        await asyncio.sleep(0.2)
        assert queue.empty()  # nothing twice
    await feed.close()
    db.close()
