"""Per-request time through `magistrate serve` during a PostgreSQL outage and a frozen Redis.

PostgreSQL is reached through a TCP proxy that is cut (tests/stores.py); Redis is a private
redis-server stopped with SIGSTOP (tests/private_redis.py). Run from the repository root, with
PYTHONPATH naming the tree whose code to measure; MAGISTRATE_TEST_PG_DB names the database:
`PYTHONPATH=$PWD/src .venv/bin/python benchmarks/bench_outages.py`.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests/ helpers

from tests.private_redis import PrivateRedis
from tests.servers import ProcessServer, bearer
from tests.stores import TcpProxy, pg_schema, pg_url

import magistrate
from magistrate.db import open_database
from magistrate.keys import Keys


def run(c: httpx2.Client, n: int, label: str) -> None:
    """Time `n` sequential checks; print p50, max and the answers."""
    times, answers = [], {}
    for _ in range(n):
        t = time.perf_counter()
        try:
            r = c.post("/v1/check", json={"kind": "shell", "text": "ls -la"})
            answer = f"{r.status_code}/{r.json().get('decision')}"
        except httpx2.HTTPError as exc:
            answer = type(exc).__name__
        times.append(time.perf_counter() - t)
        answers[answer] = answers.get(answer, 0) + 1
    p50, worst = statistics.median(times) * 1000, max(times) * 1000
    print(f"{label:<34} n={n} p50 {p50:8.1f} ms  max {worst:8.1f} ms  {answers}", flush=True)


def main() -> None:
    print("code:", magistrate.__file__)
    tmp = Path(tempfile.mkdtemp())
    with pg_schema() as schema:
        proxy = TcpProxy()
        proxy.start()
        redis_server = PrivateRedis(tmp).start()
        db = open_database(pg_url(schema))
        _, agent = Keys(db).create("agent", "agent:m")
        env = {
            "MAGISTRATE_DATABASE_URL": pg_url(schema, proxy.port),
            "MAGISTRATE_REDIS_URL": redis_server.url,
            "MAGISTRATE_SPOOL_DIR": str(tmp / "spool"),
            "MAGISTRATE_BOOTSTRAP_ADMIN": "false",
            "MAGISTRATE_CONFIG": str(tmp / "none.toml"),
        }
        try:
            with (
                ProcessServer(env, tmp) as server,
                httpx2.Client(base_url=server.url, headers=bearer(agent), timeout=60) as c,
            ):
                run(c, 20, "healthy")
                proxy.stop()
                time.sleep(6)  # past the 5 s key cache
                run(c, 10, "postgresql down (after 6 s)")
                time.sleep(10)
                run(c, 10, "postgresql down (after 17 s)")
                proxy.start()
                time.sleep(4)
                run(c, 10, "postgresql back")
                redis_server.freeze()
                run(c, 10, "redis frozen (SIGSTOP)")
                redis_server.thaw()
                time.sleep(3)
                run(c, 10, "redis thawed")
        finally:
            redis_server.stop()
            proxy.stop()
            db.close()


if __name__ == "__main__":
    main()
