"""What provenance costs: added latency per check (p50, p99) and memory per session.

Runs the session corpus (tests/data/sessions/sessions.jsonl) through two governors with warm
assessment caches: one where each action carries its session (provenance and session rules
on), one where the same actions carry none. The difference of the check's CPU time per action
is provenance's share with the session rules (the risk assessment is cached in both).
Memory: the bytes `tracemalloc` sees the stores hold after recording N sessions, divided by N.

    PYTHONPATH=src python benchmarks/bench_provenance.py [rounds]
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

from magistrate import Action, Governor
from magistrate.provenance_store import MemoryProvenanceStore
from magistrate.sessions import MemorySessionStore

CORPUS = Path(__file__).parents[1] / "tests" / "data" / "sessions" / "sessions.jsonl"


def _rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def latency(rounds: int) -> dict[str, float]:
    """CPU time of a whole check (µs) with and without sessions; p50 and p99 of each. CPU time
    of the thread, not wall time: on a shared machine the wall clock counts other processes'
    turns (a preempted check reads milliseconds)."""
    rows = _rows()
    timed: dict[bool, list[float]] = {True: [], False: []}
    by_kind: dict[str, list[float]] = {}
    for with_session in (False, True):
        gov = Governor(audit=None)
        for r in range(rounds):
            for n, row in enumerate(rows):
                session = f"{row['id']}-{r}" if with_session else None
                for step in row["steps"]:
                    action = Action.from_dict(
                        {**step, "session": session, "principal": f"agent:{n % 50}"}
                    )
                    t = time.thread_time_ns()  # CPU time: another process's turn is not ours
                    gov.check(action)
                    cpu = time.thread_time_ns() - t
                    if r:  # the first round warms the assessment cache
                        us = cpu / 1000
                        timed[with_session].append(us)
                        if with_session:
                            by_kind.setdefault(action.kind, []).append(us)
    out = {}
    for name, key in (("with_session", True), ("without", False)):
        out[f"{name}_p50_us"] = _pct(timed[key], 0.50)
        out[f"{name}_p99_us"] = _pct(timed[key], 0.99)
        out[f"{name}_mean_us"] = statistics.fmean(timed[key])
    out["added_p50_us"] = out["with_session_p50_us"] - out["without_p50_us"]
    out["added_p99_us"] = out["with_session_p99_us"] - out["without_p99_us"]
    out["checks"] = len(timed[True])
    for kind, values in sorted(by_kind.items()):
        out[f"{kind}_with_session_p50_us"] = _pct(values, 0.50)
        out[f"{kind}_with_session_p99_us"] = _pct(values, 0.99)
    return out


def memory(sessions: int = 2_000) -> dict[str, float]:
    """Bytes held per session (provenance and session marks) after the corpus' sessions."""
    rows = _rows()
    store = MemoryProvenanceStore(max_scopes=100_000)
    marks = MemorySessionStore(max_sessions=100_000)
    gov = Governor(audit=None, provenance=store, sessions=marks)
    for row in rows:  # warm the assessment cache outside the measurement
        for step in row["steps"]:
            gov.check(Action.from_dict(step))
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for n in range(sessions):
        row = rows[n % len(rows)]
        for step in row["steps"]:
            gov.check(Action.from_dict({**step, "session": f"m{n}", "principal": f"a{n}"}))
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    held = sum(s.size_diff for s in after.compare_to(before, "filename"))
    values = statistics.fmean(store.size_of(f"s:m{n}") for n in range(sessions))
    # each session also keeps a principal scope here (one principal per session)
    return {"bytes_per_session": held / sessions, "values_per_session": values}


def main() -> None:
    """Print the figures as JSON."""
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    print(json.dumps({"latency": latency(rounds), "memory": memory()}, indent=2))


if __name__ == "__main__":
    main()
