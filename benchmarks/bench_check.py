"""Decision latency and throughput of the engine (issue 2's figures), on a realistic mix.

The mix is the labeled corpora under tests/data (shell, SQL, tool calls, prompts, tool output;
dangerous and benign). Reported:

- check, warm cache: p50/p99 of `Governor.check` when assessments are cached (the steady state
  of an agent repeating its tools), input as a dict (validation included);
- check, cold: every action assessed from scratch (`cache_size=0`);
- check_many: decisions per second for batches of 1,000 (one scan per batch), cold and warm.

Run: `.venv/bin/python benchmarks/bench_check.py [--repeat N]`. One process, one core.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from magistrate import Action, Governor, RiskDetector

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
FIELDS = ("kind", "text", "tool", "args")


def load_mix() -> list[dict]:
    rows = []
    for path in sorted(DATA.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                rows.append({k: row[k] for k in FIELDS if k in row})
    return rows


def percentiles(ns: list[int]) -> tuple[float, float, float]:
    ns = sorted(ns)
    pick = lambda q: ns[min(len(ns) - 1, int(q * len(ns)))] / 1000  # noqa: E731
    return pick(0.50), pick(0.95), pick(0.99)


def time_checks(gov: Governor, mix: list[dict], rounds: int) -> list[int]:
    out: list[int] = []
    perf = time.perf_counter_ns
    for _ in range(rounds):
        for i, row in enumerate(mix):
            data = dict(row, principal=f"agent:{i % 50}")
            t = perf()
            gov.check(data)
            out.append(perf() - t)
        gov.trust.clear()  # keep principals out of suspension between rounds
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="rounds over the mix")
    args = parser.parse_args()
    mix = load_mix()
    detector = RiskDetector()
    print(f"mix: {len(mix)} distinct actions from {DATA}")

    warm = Governor(detector=detector)
    time_checks(warm, mix, 1)  # fill the cache
    p50, p95, p99 = percentiles(time_checks(warm, mix, args.repeat))
    print(
        f"check, warm cache : p50 {p50:7.1f} µs  p95 {p95:7.1f} µs  p99 {p99:7.1f} µs  "
        f"({1e6 / p50:,.0f} checks/s at p50)"
    )

    cold = Governor(detector=detector, cache_size=0)
    p50, p95, p99 = percentiles(time_checks(cold, mix, max(1, args.repeat // 2)))
    print(f"check, cold       : p50 {p50:7.1f} µs  p95 {p95:7.1f} µs  p99 {p99:7.1f} µs")

    actions = [Action.from_dict(dict(r, principal=f"agent:{i % 50}")) for i, r in enumerate(mix)]
    batch = (actions * (1000 // len(actions) + 1))[:1000]
    for label, gov in (
        ("cold", Governor(detector=detector, cache_size=0)),
        ("warm", Governor(detector=detector)),
    ):
        gov.check_many(batch)
        rates = []
        for _ in range(args.repeat):
            gov.trust.clear()
            t = time.perf_counter()
            gov.check_many(batch)
            rates.append(len(batch) / (time.perf_counter() - t))
        print(
            f"check_many ({label}): {statistics.median(rates):,.0f} decisions/s "
            f"(median of {args.repeat}, spread {min(rates):,.0f}–{max(rates):,.0f})"
        )


if __name__ == "__main__":
    main()
