"""Suspensions survive store loss (issue 12, item 6): the database records suspensions and
lifts; Redis (or memory) is a cache. A Redis restart without persistence or a FLUSHALL does not
un-suspend anyone; when the suspensions cannot be read at all, decisions fail closed."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from magistrate import Action, Governor
from magistrate.config import Settings
from magistrate.db import Database, StoreUnavailable, open_database
from magistrate.levels import Decision, Risk
from magistrate.suspensions import DurableTrustLedger
from magistrate.trust import MemoryTrustLedger
from tests.private_redis import PrivateRedis
from tests.stores import TcpProxy, pg_schema, pg_url


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path).start()
    yield server
    server.stop()


def settings(tmp_path: Path, db_url: str, redis_url: str | None = None) -> Settings:
    return Settings(
        database_url=db_url,
        redis_url=redis_url,
        spool_dir=tmp_path / "spool",
        audit_key_file=tmp_path / "audit.key",
        audit_anchor_dir=tmp_path / "anchor",
        suspension_refresh_s=0.05,
    )


LS = Action(kind="shell", text="ls", principal="agent:x")


def decision(gov: Governor, principal: str = "agent:x") -> str:
    return gov.check(Action(kind="shell", text="ls", principal=principal)).decision.value


def test_memory_ledger_with_a_database_keeps_suspensions_across_restarts(db_url: str) -> None:
    db = open_database(db_url)
    first = DurableTrustLedger(MemoryTrustLedger(), db)
    first.record("agent:x", Decision.DENY, Risk.CRITICAL)  # suspends (CRITICAL deny)
    assert first.state("agent:x").suspended
    restarted = DurableTrustLedger(MemoryTrustLedger(), db)  # a new process: empty memory
    state = restarted.state("agent:x")
    assert state.suspended and "CRITICAL" in state.reason
    restarted.lift_suspension("agent:x", "alice", frozenset({"alice"}))
    assert not DurableTrustLedger(MemoryTrustLedger(), db).state("agent:x").suspended
    db.close()


def wait_for(predicate: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def test_flushall_and_restart_do_not_unsuspend(
    tmp_path: Path, db_url: str, private_redis: PrivateRedis
) -> None:
    gov = Governor.from_settings(settings(tmp_path, db_url, private_redis.url), approvers=["alice"])
    assert decision(gov) == "allow"
    gov.trust.suspend("agent:x", "tried to approve its own escalation")
    assert decision(gov) == "deny"

    private_redis.flushall()  # the reproduction: trust back to 0.8, `ls` allowed before the fix
    assert decision(gov) == "deny"
    verdict = gov.check(LS)
    assert any("suspended" in r for r in verdict.reasons)

    # Every server, not only this one: Redis gets the suspension back from the database.
    raw = redis.Redis.from_url(private_redis.url, decode_responses=True)
    wait_for(lambda: decision(gov) == "deny" and raw.hget("magistrate:trust:agent:x", "x") == "1")

    private_redis.restart()  # no persistence: Redis comes back empty
    raw = redis.Redis.from_url(private_redis.url, decode_responses=True)
    time.sleep(2.1)  # the breaker opened on the cut connection may still be open
    wait_for(lambda: decision(gov) == "deny")
    fresh = Governor.from_settings(
        settings(tmp_path, db_url, private_redis.url), approvers=["alice"]
    )  # a new server
    assert decision(fresh) == "deny"
    wait_for(lambda: raw.hget("magistrate:trust:agent:x", "x") == "1")

    gov.lift_suspension("agent:x", "alice")
    assert decision(gov) == "allow"
    wait_for(lambda: decision(fresh) == "allow")  # the other server's copy refreshes
    gov.close()
    fresh.close()


def test_lift_after_redis_lost_the_suspension(
    tmp_path: Path, db_url: str, private_redis: PrivateRedis
) -> None:
    gov = Governor.from_settings(settings(tmp_path, db_url, private_redis.url), approvers=["alice"])
    gov.trust.suspend("agent:y", "test")
    private_redis.flushall()
    gov.lift_suspension("agent:y", "alice")  # only the database held it: that lift counts
    assert decision(gov, "agent:y") == "allow"
    gov.close()


def test_unreadable_suspensions_fail_closed(tmp_path: Path) -> None:
    """PostgreSQL down from the start: nobody's suspensions can be known, so nothing is allowed
    (and, with the breaker, nothing waits on the dead store for every request)."""
    with pg_schema() as schema:
        proxy = TcpProxy()
        proxy.start()
        db = open_database(pg_url(schema, proxy.port))
        db.suspension_active()  # schema created
        proxy.stop()
        ledger = DurableTrustLedger(MemoryTrustLedger(), db)
        gov = Governor(trust=ledger)
        verdict = gov.check(LS)
        assert verdict.decision is Decision.DENY
        t = time.perf_counter()
        for _ in range(20):
            assert gov.check(LS).decision is Decision.DENY
        assert (time.perf_counter() - t) / 20 < 0.05
        proxy.start()
        time.sleep(2.1)  # past the breaker's window
        wait_for(lambda: gov.check(LS).decision is Decision.ALLOW)
        db.close()


def test_database_outage_after_start_keeps_the_last_copy(tmp_path: Path) -> None:
    with pg_schema() as schema:
        proxy = TcpProxy()
        proxy.start()
        db: Database = open_database(pg_url(schema, proxy.port))
        ledger = DurableTrustLedger(MemoryTrustLedger(), db, refresh_s=0.05)
        ledger.suspend("agent:x", "test")
        gov = Governor(trust=ledger)
        proxy.stop()
        ledger.inner.clear()  # the cache lost it too
        time.sleep(0.2)
        assert gov.check(LS).decision is Decision.DENY  # the database's last copy holds
        assert (
            gov.check(Action(kind="shell", text="ls", principal="agent:z")).decision
            is Decision.ALLOW
        )
        # A suspension made during the outage holds here and is written once the store is back.
        ledger.suspend("agent:w", "during the outage")
        proxy.start()

        def written() -> bool:
            gov.check(LS)  # refreshes run behind decisions
            with contextlib.suppress(StoreUnavailable):  # the breaker may still skip it
                active = [(p, r) for p, r, _ in db.suspension_active()]
                return ("agent:w", "during the outage") in active
            return False

        wait_for(written, timeout=10)
        db.close()


def test_workers_without_redis_share_suspensions_through_the_database(db_url: str) -> None:
    """Two workers, each with its own memory ledger: a suspension made by one reaches the other
    within the refresh interval, and so does its lift."""
    db = open_database(db_url)
    one = DurableTrustLedger(MemoryTrustLedger(), db, refresh_s=0.05)
    other = DurableTrustLedger(MemoryTrustLedger(), db, refresh_s=0.05)
    assert not other.state("agent:x").suspended
    one.suspend("agent:x", "test")
    wait_for(lambda: other.state("agent:x").suspended)
    one.lift_suspension("agent:x", "alice", frozenset({"alice"}))
    wait_for(lambda: not other.state("agent:x").suspended)
    db.close()
