"""Latency of `magistrate hook claude-code` per tool use, as Claude Code pays it: a new process
per event, from start to exit, with a realistic PreToolUse event (a Bash command) on stdin.

Two figures, each judged against its target (issue 14):

* standalone — a governor in the hook process: the constitution and its Hyperscan databases
  come from the signed cache (filled by the warm-up runs), session state in SQLite, audit on
  (SQLite, flushed before the process exits). Target: p50 ≤ 300 ms.
* thin client — `MAGISTRATE_URL` names a running `magistrate serve` (started here on a free
  port, SQLite, one worker): the hook posts the action and prints the answer. Target:
  p50 ≤ 50 ms.

Each run uses a different command text (no verdict-cache hit in the server) and a fresh
process; bytecode caching follows the environment (with PYTHONDONTWRITEBYTECODE=1 and a source
tree that has no `__pycache__`, every start compiles the sources: unset it to measure what an
installed package does). Timings on a loaded machine are noisy: quote the median of one run
and the machine's load.

Run: `.venv/bin/python benchmarks/bench_hook.py [--n 20] [--warmup 3] [--json]`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]  # this tree's package, and its test helpers

from tests.servers import ProcessServer  # noqa: E402

from magistrate.db import open_database  # noqa: E402
from magistrate.keys import Keys  # noqa: E402

TARGETS_MS = {"standalone": 300.0, "thin client": 50.0}


def event(i: int) -> str:
    return json.dumps(
        {
            "session_id": "bench-session",
            "transcript_path": "/tmp/transcript.jsonl",
            "cwd": "/home/dev/project",
            "permission_mode": "default",
            "hook_event_name": "PreToolUse",
            "tool_name": "Bash",
            "tool_input": {"command": f"git log --oneline -n {i + 1} src/", "description": "log"},
            "tool_use_id": f"toolu_{i:04d}",
        }
    )


def runs(env: dict[str, str], n: int, warmup: int) -> list[float]:
    """Seconds per hook process, start to exit; each run must answer `allow`."""
    argv = [sys.executable, "-m", "magistrate", "hook", "claude-code"]
    times = []
    for i in range(warmup + n):
        t0 = time.perf_counter()
        done = subprocess.run(argv, input=event(i), capture_output=True, text=True, env=env)
        elapsed = time.perf_counter() - t0
        if done.returncode != 0 or '"allow"' not in done.stdout:
            raise RuntimeError(f"run {i}: exit {done.returncode}\n{done.stdout}\n{done.stderr}")
        if i >= warmup:
            times.append(elapsed)
    return times


def row(name: str, times: list[float]) -> dict[str, object]:
    ordered = sorted(times)
    p50 = statistics.median(ordered) * 1000
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))] * 1000
    target = TARGETS_MS[name]
    return {
        "name": name,
        "n": len(times),
        "p50_ms": round(p50, 1),
        "p90_ms": round(p90, 1),
        "min_ms": round(ordered[0] * 1000, 1),
        "target_p50_ms": target,
        "status": "PASS" if p50 <= target else "MISS",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="magistrate-bench-hook-") as tmp:
        work = Path(tmp)
        base = {k: v for k, v in os.environ.items() if not k.startswith("MAGISTRATE_")}
        base["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH", "")) if p
        )
        local = {
            **base,
            "MAGISTRATE_DATABASE_URL": f"sqlite:///{work}/hook.db",
            "MAGISTRATE_SPOOL_DIR": str(work / "spool"),
            "MAGISTRATE_CONFIG": str(work / "none.toml"),
            "MAGISTRATE_CACHE_DIR": str(work / "cache"),
        }
        rows = [row("standalone", runs(local, args.n, args.warmup))]
        served = {
            **local,
            "MAGISTRATE_DATABASE_URL": f"sqlite:///{work}/server.db",
            "MAGISTRATE_BOOTSTRAP_ADMIN": "false",
        }
        db = open_database(served["MAGISTRATE_DATABASE_URL"])
        try:
            _, token = Keys(db).create("agent", "agent:claude-code")
        finally:
            db.close()
        with ProcessServer(served, work) as server:
            client = {**base, "MAGISTRATE_URL": server.url, "MAGISTRATE_KEY": token}
            rows.append(row("thin client", runs(client, args.n, args.warmup)))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    if args.json:
        print(json.dumps({"load_1m": round(load, 2), "rows": rows}, indent=2))
        return
    print(f"magistrate hook claude-code, one process per event (load average {load:.2f})")
    for r in rows:
        print(
            f"  {r['name']:<12} p50 {r['p50_ms']:>7.1f} ms  p90 {r['p90_ms']:>7.1f} ms  "
            f"min {r['min_ms']:>7.1f} ms  (n={r['n']})  target p50 ≤ {r['target_p50_ms']:g} ms"
            f"  {r['status']}"
        )


if __name__ == "__main__":
    main()
