"""Measurement primitives for benchmarks: results, percentiles, resident memory, targets."""

from __future__ import annotations

import gc
import os
import statistics
import sys
from dataclasses import dataclass, field
from typing import Any


def percentile(sorted_ns: list[int], q: float) -> float:
    """The q-quantile of sorted nanosecond samples, in microseconds (nearest rank)."""
    if not sorted_ns:
        return 0.0
    return sorted_ns[min(len(sorted_ns) - 1, int(q * len(sorted_ns)))] / 1000


def rss_mb() -> float:
    """Resident memory of this process now, in MiB (Linux /proc; else the peak from rusage)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1048576
    except (OSError, ValueError, IndexError):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (1048576 if sys.platform == "darwin" else 1024)


def settle() -> float:
    """Collect garbage, then read RSS (so memory figures compare like with like)."""
    gc.collect()
    return rss_mb()


@dataclass
class Run:
    """One timed repetition: operation count, wall time and per-operation latencies."""

    ops: int
    seconds: float
    latencies_ns: list[int] = field(default_factory=list)

    @property
    def ops_per_s(self) -> float:
        """Operations per second over the repetition's wall time."""
        return self.ops / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Target:
    """A published goal, judged PASS or MISS by the benchmark (never by the test suite)."""

    label: str
    figure: str  # key in the scenario's figures
    limit: float
    higher_is_better: bool
    value: float | None = None

    @property
    def passed(self) -> bool:
        """Whether the measured value meets the limit."""
        if self.value is None:
            return False
        return self.value >= self.limit if self.higher_is_better else self.value <= self.limit

    def to_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "label": self.label,
            "figure": self.figure,
            "limit": self.limit,
            "value": self.value,
            "status": "PASS" if self.passed else "MISS",
        }


@dataclass
class Result:
    """A scenario's figures: medians over repetitions, with the spread of throughput."""

    name: str
    title: str
    runs: list[Run]
    memory_mb: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    note: str = ""

    @property
    def best_latencies(self) -> list[int]:
        """Latency samples of the median-throughput run (for plots)."""
        if not self.runs:
            return []
        ranked = sorted(self.runs, key=lambda r: r.ops_per_s)
        return sorted(ranked[len(ranked) // 2].latencies_ns)

    def figures(self) -> dict[str, Any]:
        """The JSON object: ops, ops_per_s, p50/p95/p99 µs (medians over runs), spread, extra."""
        out: dict[str, Any] = {}
        if self.runs:
            rates = [r.ops_per_s for r in self.runs]
            out["ops"] = self.runs[0].ops
            out["repeats"] = len(self.runs)
            out["seconds"] = round(statistics.median(r.seconds for r in self.runs), 6)
            out["ops_per_s"] = round(statistics.median(rates), 1)
            if len(rates) > 1:
                out["ops_per_s_min"] = round(min(rates), 1)
                out["ops_per_s_max"] = round(max(rates), 1)
            with_lat = [sorted(r.latencies_ns) for r in self.runs if r.latencies_ns]
            if with_lat:
                for q, key in ((0.5, "p50_us"), (0.95, "p95_us"), (0.99, "p99_us")):
                    out[key] = round(statistics.median(percentile(s, q) for s in with_lat), 2)
                if len(with_lat) > 1:
                    p50s = [percentile(s, 0.5) for s in with_lat]
                    out["p50_us_min"], out["p50_us_max"] = round(min(p50s), 2), round(max(p50s), 2)
        if self.memory_mb is not None:
            out["memory_mb"] = round(self.memory_mb, 2)
        out.update(self.extra)
        return out

    def judge(self) -> None:
        """Fill each target's value from the figures."""
        figures = self.figures()
        for t in self.targets:
            value = figures.get(t.figure)
            t.value = float(value) if isinstance(value, (int, float)) else None
