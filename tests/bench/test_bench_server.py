"""The server load test runs end to end (tiny and bounded here: the figures are measured with
`benchmarks/bench_server.py` itself, never judged by the test run)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_server_reports_decisions_and_p99(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    r = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_server.py"),
            "--duration",
            "1",
            "--warmup",
            "0.3",
            "--modes",
            "embedded",
            "--workers",
            "1",
            "--client",
            "httpx2",
            "--connections",
            "4",
            "--batch-connections",
            "2",
            "--batch",
            "20",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    results = json.loads(out.read_text())["results"]
    assert [x["endpoint"] for x in results] == ["/v1/check", "/v1/check/batch"]
    for row in results:
        assert row["decisions_per_s"] > 0 and row["p99_ms"] >= row["p50_ms"] > 0
        assert row["non_2xx"] == 0
    assert results[1]["actions_per_request"] == 20
    # each figure beside its target (issue 14 item 5)
    assert "vs >= 8,000: " in r.stdout and "vs >= 30,000: " in r.stdout
    assert all(
        ("PASS" in line) or ("MISS" in line) for line in r.stdout.splitlines() if "vs >=" in line
    )
    assert "| embedded | 1 | `/v1/check` |" in r.stdout
