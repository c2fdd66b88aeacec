"""Figures for the dashboard: decisions by decision and by risk, and latency percentiles.

Each worker counts its own and publishes them to the database every few seconds; `/v1/status`
merges what every live worker (on every replica) published. Latencies go into fixed log-scale
buckets (about 9% wide), so merged percentiles are exact to a bucket."""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections.abc import Iterable
from typing import Any

# Bucket upper bounds from 1 µs to ~100 s, eight per doubling.
BOUNDS: list[float] = [1e-6 * 2 ** (i / 8) for i in range(8 * 27 + 1)]


class Histogram:
    """Counts of observations per log-scale bucket."""

    def __init__(self, counts: Iterable[int] | None = None) -> None:
        self.counts = list(counts) if counts is not None else [0] * (len(BOUNDS) + 1)

    def observe(self, seconds: float) -> None:
        """Count one observation."""
        self.counts[bisect.bisect_left(BOUNDS, seconds)] += 1

    @property
    def total(self) -> int:
        """How many observations."""
        return sum(self.counts)

    def quantile(self, q: float) -> float | None:
        """The upper bound of the bucket holding the q-quantile (None when empty)."""
        total = self.total
        if total == 0:
            return None
        rank = max(1, math.ceil(q * total))
        seen = 0
        for i, n in enumerate(self.counts):
            seen += n
            if seen >= rank:
                return BOUNDS[i] if i < len(BOUNDS) else math.inf
        return math.inf

    def merge(self, other: Histogram) -> None:
        """Add another histogram's counts."""
        for i, n in enumerate(other.counts):
            self.counts[i] += n

    def sparse(self) -> dict[str, int]:
        """The non-zero buckets, JSON-ready."""
        return {str(i): n for i, n in enumerate(self.counts) if n}

    @classmethod
    def from_sparse(cls, data: dict[str, int]) -> Histogram:
        """Read `sparse()` back."""
        h = cls()
        for i, n in data.items():
            index = int(i)
            if 0 <= index < len(h.counts):
                h.counts[index] += int(n)
        return h


LATENCIES = ("decision", "check_request", "batch_request")


class WorkerStats:
    """One worker's counts and latency histograms (thread-safe)."""

    def __init__(self, worker_id: str) -> None:
        self.worker_id = worker_id
        self.started_at = time.time()
        self.by_decision: dict[str, int] = {}
        self.by_risk: dict[str, int] = {}
        self.latency = {name: Histogram() for name in LATENCIES}
        self._lock = threading.Lock()

    def observe_verdict(self, decision: str, risk: str, total_ns: int) -> None:
        """Count one verdict and its governance time."""
        with self._lock:
            self.by_decision[decision] = self.by_decision.get(decision, 0) + 1
            self.by_risk[risk] = self.by_risk.get(risk, 0) + 1
            self.latency["decision"].observe(total_ns / 1e9)

    def observe_request(self, name: str, seconds: float) -> None:
        """Record how long an HTTP request took (`check_request` or `batch_request`)."""
        with self._lock:
            self.latency[name].observe(seconds)

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        with self._lock:
            return {
                "worker": self.worker_id,
                "started_at": self.started_at,
                "by_decision": dict(self.by_decision),
                "by_risk": dict(self.by_risk),
                "latency": {name: h.sparse() for name, h in self.latency.items()},
            }


def merge(snapshots: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Counts summed and percentiles over every snapshot."""
    by_decision: dict[str, int] = {}
    by_risk: dict[str, int] = {}
    latency = {name: Histogram() for name in LATENCIES}
    workers: list[str] = []
    for snap in snapshots:
        workers.append(str(snap.get("worker")))
        for key, n in snap.get("by_decision", {}).items():
            by_decision[key] = by_decision.get(key, 0) + int(n)
        for key, n in snap.get("by_risk", {}).items():
            by_risk[key] = by_risk.get(key, 0) + int(n)
        for name, sparse in snap.get("latency", {}).items():
            if name in latency:
                latency[name].merge(Histogram.from_sparse(sparse))
    return {
        "workers": sorted(workers),
        "decisions": sum(by_decision.values()),
        "by_decision": by_decision,
        "by_risk": by_risk,
        "latency_ms": {
            name: {
                "count": h.total,
                "p50": _ms(h.quantile(0.5)),
                "p99": _ms(h.quantile(0.99)),
            }
            for name, h in latency.items()
        },
    }


def _ms(seconds: float | None) -> float | None:
    if seconds is None or math.isinf(seconds):
        return None
    return round(seconds * 1000, 3)
