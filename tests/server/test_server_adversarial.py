"""One hostile request must not freeze the server (issue 12, finding 1).

`{"kind": "tool", "args": {"blob": "x" * 990000}}` once took minutes in a backtracking regex and
`/healthz` stopped answering. Four such requests at once must each be judged in bounded time,
while the health check keeps answering.
"""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path

import httpx2

from tests.servers import ProcessServer, bearer


def _admin_key(server: ProcessServer) -> str:
    return next(w for w in server.output().split() if w.startswith("mgk_"))


def test_healthz_answers_while_four_megabyte_requests_are_judged(tmp_path: Path) -> None:
    env = {
        "MAGISTRATE_DATABASE_URL": f"sqlite:///{tmp_path}/m.db",
        "MAGISTRATE_SPOOL_DIR": str(tmp_path / "spool"),
    }
    with ProcessServer(env, tmp_path) as server:
        key = _admin_key(server)
        shapes = [
            {"kind": "tool", "tool": "store", "args": {"blob": "x" * 990_000}},
            {"kind": "tool", "tool": "store", "args": {"blob": "a/" * 495_000}},
            {"kind": "prompt", "text": "word" * 25_000},
            {"kind": "tool", "tool": "store", "args": {"blob": ("ab." * 330_000)}},
        ]
        judged: list[tuple[int, float, str]] = []

        def send(body: dict[str, object]) -> None:
            t = time.monotonic()
            r = httpx2.post(f"{server.url}/v1/check", json=body, headers=bearer(key), timeout=120)
            judged.append((r.status_code, time.monotonic() - t, r.text[:200]))

        threads = [threading.Thread(target=send, args=(b,)) for b in shapes]
        health: list[float] = []
        with httpx2.Client(timeout=30) as client:
            for t in threads:
                t.start()
            while any(t.is_alive() for t in threads):
                t0 = time.monotonic()
                assert client.get(f"{server.url}/healthz").status_code == 200
                health.append(time.monotonic() - t0)
                time.sleep(0.02)
        for t in threads:
            t.join()
    assert [status for status, _, _ in judged] == [200] * 4, judged
    # Each judged in bounded time (well under a second of work each; generous for a shared CI
    # machine that also parses and sends a megabyte per request).
    assert max(seconds for _, seconds, _ in judged) < 10, judged
    assert health, "the requests finished before the first health check"
    assert statistics.median(health) < 0.1, health
