"""Outages degrade as documented (issue 12, item 7), through `magistrate serve`: a PostgreSQL
outage does not stop decisions for keys already seen (stale-while-error key cache, records
spooled), and a frozen Redis costs a bounded, short time per request (timeout, then a circuit
breaker) with a fail-closed verdict, never a hang or a 500."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from magistrate.db import open_database
from magistrate.db.postgres import PostgresDatabase
from magistrate.keys import Keys
from tests.private_redis import PrivateRedis
from tests.servers import ProcessServer, bearer
from tests.stores import TcpProxy, pg_schema, pg_url


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[tuple[dict[str, str], str, TcpProxy, PrivateRedis]]:
    with pg_schema() as schema:
        proxy = TcpProxy()
        proxy.start()
        redis_server = PrivateRedis(tmp_path).start()
        db = open_database(pg_url(schema))
        _, agent = Keys(db).create("agent", "agent:m")
        env = {
            "MAGISTRATE_DATABASE_URL": pg_url(schema, proxy.port),
            "MAGISTRATE_REDIS_URL": redis_server.url,
            "MAGISTRATE_SPOOL_DIR": str(tmp_path / "spool"),
            "MAGISTRATE_BOOTSTRAP_ADMIN": "false",
            "MAGISTRATE_CONFIG": str(tmp_path / "none.toml"),
            "MAGISTRATE_KEY_CACHE_S": "1",
        }
        try:
            yield env, agent, proxy, redis_server
        finally:
            redis_server.stop()
            proxy.stop()
            db.close()


def timed(c: httpx2.Client, n: int) -> tuple[list[float], list[tuple[int, Any]]]:
    times, answers = [], []
    for _ in range(n):
        t = time.perf_counter()
        r = c.post("/v1/check", json={"kind": "shell", "text": "ls -la"})
        times.append(time.perf_counter() - t)
        answers.append((r.status_code, r.json().get("decision")))
    return times, answers


def test_postgres_outage_keeps_deciding_for_known_keys(
    deployment: tuple[dict[str, str], str, TcpProxy, PrivateRedis], tmp_path: Path
) -> None:
    env, agent, proxy, _ = deployment
    with (
        ProcessServer(env, tmp_path) as server,
        httpx2.Client(base_url=server.url, headers=bearer(agent), timeout=30) as c,
    ):
        assert timed(c, 3)[1] == [(200, "allow")] * 3
        proxy.stop()
        time.sleep(1.5)  # past the key cache: before, every request waited 2-4 s for a 503
        times, answers = timed(c, 12)
        assert answers == [(200, "allow")] * 12, answers
        assert statistics.median(times) < 0.2, times  # the first may wait once for the pool
        proxy.start()
        time.sleep(3)  # past the breaker's window: the spool replays
        assert timed(c, 3)[1] == [(200, "allow")] * 3


def test_frozen_redis_costs_a_bounded_time_and_fails_closed(
    deployment: tuple[dict[str, str], str, TcpProxy, PrivateRedis], tmp_path: Path
) -> None:
    env, agent, _, redis_server = deployment
    with (
        ProcessServer(env, tmp_path) as server,
        httpx2.Client(base_url=server.url, headers=bearer(agent), timeout=30) as c,
    ):
        assert timed(c, 3)[1] == [(200, "allow")] * 3
        redis_server.freeze()  # SIGSTOP: connections stay open, nothing answers
        try:
            times, answers = timed(c, 12)
        finally:
            redis_server.thaw()
        assert all(a == (200, "deny") for a in answers), answers  # fail closed
        assert max(times) < 1.0, times  # one timeout (0.25 s), then the breaker answers
        assert statistics.median(times) < 0.1, times
        time.sleep(2.5)
        assert timed(c, 3)[1] == [(200, "allow")] * 3


def test_key_cache_serves_stale_keys_only_within_the_window() -> None:
    """Stale-while-error, bounded: a key checked before the outage works for cache + stale
    seconds, answered without waiting on the database; after that, or for a key never seen,
    the outage is an error (503 over HTTP), never a guess."""
    from magistrate.db.base import StoreUnavailable

    with pg_schema() as schema:
        proxy = TcpProxy()
        proxy.start()
        db = PostgresDatabase(pg_url(schema, proxy.port), timeout=0.3)
        keys = Keys(db, cache_s=0.05, stale_s=3.0)
        _, seen = keys.create("agent", "agent:seen")
        _, unseen = keys.create("agent", "agent:unseen")
        assert keys.authenticate(seen) is not None
        proxy.stop()
        time.sleep(0.1)  # past the cache: the next read fails
        started = time.perf_counter()
        for _ in range(20):
            key = keys.authenticate(seen)
            assert key is not None and key.name == "agent:seen"
        assert keys.stale_served == 20
        assert time.perf_counter() - started < 5  # one failed read at most, then the breaker
        with pytest.raises(StoreUnavailable):
            keys.authenticate(unseen)
        time.sleep(3.1)  # past cache + stale
        with pytest.raises(StoreUnavailable):
            keys.authenticate(seen)
        proxy.start()
        time.sleep(2.1)  # past the breaker's window
        assert keys.authenticate(seen) is not None
        db.close()
        proxy.stop()
