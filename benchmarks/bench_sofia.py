"""Sofia's System 2 under load: `acheck` with N concurrent Sofia-triggering actions against a
local OpenAI-compatible server (real HTTP on loopback) answering after a fixed latency.

Cold: every action distinct (one LLM call each, at most `--concurrency` in flight). Warm: the
same actions again (answered from the counsel cache). Reports throughput and p50/p99.

The server runs in its own process, so its threads do not compete with the client for the GIL.
Fallbacks and LLM calls are counted from the server's side of the wire as well.

Run: `.venv/bin/python benchmarks/bench_sofia.py [--n 200] [--latency 0.05]`.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time

from magistrate import Action, Governor, RiskDetector
from magistrate.sofia import LLMSettings, Sofia


async def burst(gov: Governor, actions: list[Action]) -> tuple[float, list[float]]:
    async def one(action: Action) -> float:
        t = time.perf_counter()
        await gov.acheck(action)
        return time.perf_counter() - t

    started = time.perf_counter()
    latencies = await asyncio.gather(*(one(a) for a in actions))
    return time.perf_counter() - started, sorted(latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="concurrent actions")
    parser.add_argument("--latency", type=float, default=0.05, help="LLM latency, seconds")
    parser.add_argument("--concurrency", type=int, default=200, help="Sofia's LLM call limit")
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
        sofia = Sofia(
            detector.constitution,
            LLMSettings(url, "stub-model"),
            max_concurrency=args.concurrency,
            budget_s=10.0,
        )
        gov = Governor(detector=detector, sofia=sofia)
        actions = [
            Action(
                kind="prompt",
                principal=f"agent:{i % 20}",
                text=f"Export the survey answers and the consent flags for cohort {i}",
            )
            for i in range(args.n)
        ]
        asyncio.run(burst(gov, actions[:5]))  # connect, warm the detector for the shapes
        sofia._cache.clear()
        for label in ("cold", "warm"):
            before = sofia.stats["llm_calls"]
            elapsed, lat = asyncio.run(burst(gov, actions))

            def p(q: float, lat: list[float] = lat) -> float:
                return lat[min(len(lat) - 1, int(q * len(lat)))] * 1000

            print(
                f"{label}: {args.n} concurrent acheck, LLM latency {args.latency * 1000:.0f} ms:"
                f" {args.n / elapsed:,.0f} checks/s, p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms,"
                f" LLM calls {sofia.stats['llm_calls'] - before},"
                f" fallbacks {sofia.stats['fallbacks']}"
            )
    finally:
        server.kill()


if __name__ == "__main__":
    main()
