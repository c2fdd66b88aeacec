"""What Sofia's System 2 reads, and what a read costs: the share of a corpus's benign rows the
read policy sends to the model (by reason), and `acheck` latency (p50/p99) for an action it
reads and for a routine one, against the loopback chat-completions server in its own process.

Run: `.venv/bin/python benchmarks/bench_sofia_reads.py [--n 300] [--latency 0]
      [--corpus tests/data/holdout2.jsonl ...]` (default corpus: tests/data/*.jsonl).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import glob
import json
import subprocess
import sys
import time

from magistrate import Action, Governor, RiskDetector
from magistrate.sofia import LLMSettings, Sofia


def read_share(gov: Governor, files: list[str]) -> None:
    """Print the share of benign rows System 2 would read, overall and by kind and reason."""
    assert gov.sofia is not None
    total: collections.Counter[str] = collections.Counter()
    read: collections.Counter[str] = collections.Counter()
    reasons: collections.Counter[str] = collections.Counter()
    for path in files:
        with open(path, encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                if row.get("expected") != "allow":
                    continue
                action = Action.from_dict(row)
                reason = gov.sofia.read_reason(action, gov.assess(action)[0])
                total[action.kind] += 1
                if reason:
                    read[action.kind] += 1
                    reasons[reason.split(":")[0]] += 1
    n, m = sum(total.values()), sum(read.values())
    print(f"benign rows {n}, read {m} ({100 * m / max(n, 1):.1f}%)")
    np, mp = n - total["prompt"], m - read["prompt"]
    print(f"  without prompts (always read): {np}, read {mp} ({100 * mp / max(np, 1):.1f}%)")
    print("  by kind: " + ", ".join(f"{k} {read[k]}/{total[k]}" for k in sorted(total)))
    print("  by reason: " + ", ".join(f"{k} {v}" for k, v in reasons.most_common()))


async def timed(gov: Governor, actions: list[Action]) -> list[float]:
    out = []
    for action in actions:
        t = time.perf_counter()
        await gov.acheck(action)
        out.append((time.perf_counter() - t) * 1000)
    return sorted(out)


def pct(lat: list[float], q: float) -> float:
    return lat[min(len(lat) - 1, int(q * len(lat)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="actions timed of each sort")
    parser.add_argument("--latency", type=float, default=0.0, help="model latency, seconds")
    parser.add_argument("--corpus", nargs="*", default=sorted(glob.glob("tests/data/*.jsonl")))
    args = parser.parse_args()
    detector = RiskDetector()
    server = subprocess.Popen(
        [sys.executable, "-m", "magistrate.bench.llm_stub", "--latency", str(args.latency)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        sofia = Sofia(detector.constitution, LLMSettings(url, "stub-model"), budget_s=10.0)
        gov = Governor(detector=detector, sofia=sofia)
        read_share(gov, args.corpus)
        reads = [
            Action(kind="prompt", text=f"Email the cancelled customers of region {i} to agency")
            for i in range(args.n)
        ]
        routine = [Action(kind="shell", text=f"pytest -q tests/test_{i}.py") for i in range(args.n)]
        asyncio.run(timed(gov, reads[:5] + routine[:5]))  # connect, warm the detector
        before = sofia.stats["llm_calls"]
        lat_read = asyncio.run(timed(gov, reads[5:]))
        lat_routine = asyncio.run(timed(gov, routine[5:]))
        calls = sofia.stats["llm_calls"] - before
        print(
            f"read action (prompt, cold, model latency {args.latency * 1000:.0f} ms): "
            f"p50 {pct(lat_read, 0.5):.2f} ms, p99 {pct(lat_read, 0.99):.2f} ms"
        )
        print(
            f"routine action (pytest): p50 {pct(lat_routine, 0.5) * 1000:.0f} µs, "
            f"p99 {pct(lat_routine, 0.99) * 1000:.0f} µs"
        )
        print(f"model requests: {calls} for {len(reads) - 5} read + {len(routine) - 5} routine")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
