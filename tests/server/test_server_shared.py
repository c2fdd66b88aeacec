"""Shared mode, as deployed: `magistrate serve` processes over one PostgreSQL (audit, approvals,
keys) and one Redis (trust, suspensions, sessions). Two replicas show shared trust, approvals
resolved on one waking the long-poll on the other (LISTEN/NOTIFY, not polling), one decision
stream, and an intact audit chain per worker; one server with --workers 2 shows two workers
each with its own chain."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
import pytest

from magistrate.db import open_database
from magistrate.keys import Keys
from tests.servers import REDIS_URL, ProcessServer, bearer, redis_prefix
from tests.stores import pg_schema, pg_url

POLL_S = 10.0  # the fallback re-read interval: a wake-up faster than this came from NOTIFY


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[tuple[dict[str, str], Keys]]:
    """The environment of a shared deployment, and its key store."""
    with pg_schema() as schema, redis_prefix() as prefix:
        url = pg_url(schema)
        env = {
            "MAGISTRATE_DATABASE_URL": url,
            "MAGISTRATE_REDIS_URL": REDIS_URL,
            "MAGISTRATE_REDIS_PREFIX": prefix,
            "MAGISTRATE_SPOOL_DIR": str(tmp_path / "spool"),  # one host: one spool folder
            "MAGISTRATE_APPROVAL_POLL_S": str(POLL_S),
            "MAGISTRATE_BOOTSTRAP_ADMIN": "false",
            "MAGISTRATE_CONFIG": str(tmp_path / "none.toml"),
        }
        db = open_database(url)
        yield env, Keys(db)
        db.close()


def client(server: ProcessServer, key: str) -> httpx2.Client:
    return httpx2.Client(base_url=server.url, headers=bearer(key), timeout=30)


def check(c: httpx2.Client, **action: Any) -> dict[str, Any]:
    r = c.post("/v1/check", json=action)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def eventually(read: Any, ok: Any, timeout: float = 10.0) -> Any:
    """Read until `ok(value)`; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if ok(value):
            return value
        assert time.monotonic() < deadline, f"not reached: {value}"
        time.sleep(0.3)


def test_two_replicas_share_one_state(shared: tuple[dict[str, str], Keys], tmp_path: Path) -> None:
    env, keys = shared
    agent_name = f"agent:{uuid.uuid4().hex[:6]}"
    _, agent = keys.create("agent", agent_name)
    _, other_agent = keys.create("agent", "agent:other")
    _, approver = keys.create("approver", "alice")
    _, admin = keys.create("admin", "root")
    with ProcessServer(env, tmp_path) as a, ProcessServer(env, tmp_path) as b:
        with client(a, agent) as on_a, client(b, agent) as on_b:
            # A penalty applied by one replica is seen by the next check on the other.
            first = check(on_a, kind="shell", text="rm -rf /")
            assert first["decision"] == "deny"
            seen = check(on_b, kind="shell", text="ls")
            assert seen["decision"] == "deny" and seen["trust_before"] == first["trust_after"]
            assert any("suspended" in r for r in seen["reasons"])

        # An approval resolved on B wakes the waiter on A at once.
        with client(a, other_agent) as on_a, client(b, approver) as approver_b:
            escalated = check(on_a, kind="sql", text="TRUNCATE payments")
            approval_id = escalated["approval_id"]
            # A's request reaches the shared store with A's next audit batch (~10 ms).
            deadline = time.monotonic() + 5
            while True:
                pending = approver_b.get("/v1/approvals", params={"status": "pending"}).json()
                if approval_id in [p["id"] for p in pending["approvals"]]:
                    break
                assert time.monotonic() < deadline, "A's request never reached the store"
                time.sleep(0.01)
            out: dict[str, Any] = {}

            def wait() -> None:
                r = on_a.get(f"/v1/approvals/{approval_id}", params={"wait": 25})
                out["reply"], out["at"] = r.json(), time.monotonic()

            waiter = threading.Thread(target=wait)
            waiter.start()
            time.sleep(1.0)
            assert waiter.is_alive()
            approved_at = time.monotonic()
            r = approver_b.post(f"/v1/approvals/{approval_id}/approve", json={"note": "ok"})
            assert r.status_code == 200, r.text
            waiter.join(timeout=POLL_S + 5)
            assert out["reply"]["status"] == "approved" and out["reply"]["decision"] == "allow"
            assert out["at"] - approved_at < 3.0, "woken by polling, not by NOTIFY"
        with client(b, other_agent) as on_b:  # the approval is used once, on either replica
            assert check(on_b, kind="sql", text="TRUNCATE payments")["decision"] == "allow"
            assert check(on_b, kind="sql", text="TRUNCATE payments")["decision"] == "escalate"

        # One decision stream: a dashboard on B sees what A decided.
        marker = f"echo {uuid.uuid4().hex}"
        streamed: list[dict[str, Any]] = []

        def read() -> None:
            with client(b, approver) as c, c.stream("GET", "/v1/events") as r:
                for line in r.iter_lines():
                    if line.startswith("data: ") and marker in line:
                        streamed.append(json.loads(line[6:]))
                        return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        time.sleep(0.5)
        with client(a, other_agent) as on_a:
            check(on_a, kind="shell", text=marker)
        reader.join(timeout=10)
        assert streamed and streamed[0]["principal"] == "agent:other"

        # Every worker of every replica writes its own chain; all are intact.
        with client(a, admin) as c:
            # each worker publishes its figures every 2 s; A's status merges B's
            status = eventually(
                lambda: c.get("/v1/status").json(),
                lambda s: (
                    len(s["stats"]["workers"]) == 2
                    and s["stats"]["by_decision"].get("deny", 0) >= 2
                ),
            )
            assert status["stores"]["trust"] == "RedisTrustLedger"
            c.get("/v1/audit/verify")
        with client(b, admin) as c:
            c.get("/v1/audit/verify")  # flushes B's queue too
            report = c.get("/v1/audit/verify").json()
    chains = {ch["chain_id"]: ch for ch in report["chains"]}
    assert report["ok"] and len(chains) == 2, report
    assert all(ch["records"] > 0 for ch in chains.values())
    assert len({cid.rsplit("-", 1)[0] for cid in chains}) == 1  # main-<host>-0 and -1


def test_one_server_with_two_workers(shared: tuple[dict[str, str], Keys], tmp_path: Path) -> None:
    env, keys = shared
    _, agent = keys.create("agent", "agent:w")
    _, admin = keys.create("admin", "root")
    with ProcessServer(env, tmp_path, workers=2) as server:
        workers: set[str] = set()
        n = 0
        while len(workers) < 2 and n < 400:
            n += 1
            # a new connection each time: the kernel hands it to either worker
            with httpx2.Client(base_url=server.url, headers=bearer(agent), timeout=10) as c:
                r = c.post("/v1/check", json={"kind": "shell", "text": f"echo {n}"})
                assert r.status_code == 200 and r.json()["decision"] == "allow"
                workers.add(r.headers["x-magistrate-worker"])
        assert len(workers) == 2, (workers, n)
        chains = {f"main-{w}" for w in workers}
        with httpx2.Client(base_url=server.url, headers=bearer(admin), timeout=10) as c:
            eventually(  # either worker's status counts both workers' decisions
                lambda: c.get("/v1/status").json()["stats"],
                lambda s: len(s["workers"]) == 2 and s["by_decision"].get("allow", 0) == n,
            )
        for _ in range(4):  # verify flushes the answering worker's queue: reach both
            with httpx2.Client(base_url=server.url, headers=bearer(admin), timeout=10) as c:
                report = c.get("/v1/audit/verify").json()
    assert report["ok"]
    assert {ch["chain_id"] for ch in report["chains"]} == chains
    assert sum(ch["records"] for ch in report["chains"]) == n  # every check, on some chain


def test_concurrent_checks_each_get_their_own_verdict(
    shared: tuple[dict[str, str], Keys], tmp_path: Path
) -> None:
    # Single checks queued together share hops to the judging threads (server/coalesce.py):
    # under concurrency every answer must still be the verdict of its own request.
    env, keys = shared
    # Trust decays toward the baseline between checks; a loaded machine takes seconds over
    # this test and the decay would move verdicts' rounded figures off one another's.
    env = {**env, "MAGISTRATE_TRUST_HALF_LIFE_S": "1e12"}
    agents = [keys.create("agent", f"agent:c{i}")[1] for i in range(4)]
    with ProcessServer(env, tmp_path) as server:

        def one(n: int) -> tuple[int, dict[str, Any]]:
            text = f"echo {n}" if n % 3 else f"rm -rf /srv/data{n}"
            with client(server, agents[n % 4]) as c:
                return n, check(c, kind="shell", text=text)

        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(one, range(96)))
    for n, verdict in answers:
        assert verdict["principal"] == f"agent:c{n % 4}"
        assert (verdict["decision"] == "allow") == (n % 3 != 0), (n, verdict)
    # Checks judged together settle their trust updates in one Redis round trip: each verdict
    # carries Redis's own figures, so every principal's verdicts form one path from the
    # baseline, each step starting where another ended (a score may come back to a value; an
    # update lost or applied twice would leave a step starting where none ended).
    for i in range(4):
        mine = [v for _, v in answers if v["principal"] == f"agent:c{i}"]
        starts = Counter(v["trust_before"] for v in mine)
        ends = Counter(v["trust_after"] for v in mine)
        assert starts - ends in (Counter({0.8: 1}), Counter()), (i, mine)
        assert sum((ends - starts).values()) == sum((starts - ends).values())
