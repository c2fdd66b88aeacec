"""The benchmark scenarios as pytest tests: `pytest benchmarks -m latency|throughput|stress|
comparison|realistic` (or all of them with `pytest benchmarks`), printing a table per scenario.

These run the same code as `magistrate bench`, in `--quick` mode unless MAGISTRATE_BENCH_FULL=1.
They assert what each scenario did (operations ran, decisions were made), never timings: the
figures and their PASS/MISS against the targets are for people to read. The last test writes the
summary report (Markdown, JSON, plots) under bench-results/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from magistrate.bench.measure import Result
from magistrate.bench.report import console_table, write_report
from magistrate.bench.scenarios import SCENARIOS, Bench, Config, run_scenario

QUICK = os.environ.get("MAGISTRATE_BENCH_FULL", "") not in ("1", "true", "yes")
RESULTS: dict[str, Result] = {}


@pytest.fixture(scope="module")
def bench() -> Iterator[Bench]:
    with Bench(Config(quick=QUICK)) as runner:
        yield runner


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=getattr(pytest.mark, marker), id=name)
        for name, (_, marker) in SCENARIOS.items()
    ],
)
def test_scenario(bench: Bench, name: str) -> None:
    result = run_scenario(bench, name)
    RESULTS[name] = result
    Console(force_terminal=False, width=110).print(console_table(result))
    figures = result.figures()
    assert figures["ops"] > 0 and figures["seconds"] > 0
    if name == "degradation":  # governance off: everything ran, recorded as ungoverned
        assert figures["ran_ungoverned"] == figures["ops"] * (1 + figures["repeats"])
    if name in ("mixed_risk", "with_governance", "realistic"):
        assert sum(figures["decisions"].values()) > 0
    if name == "mixed_risk":  # the mix reaches every tier and every decision
        assert set(figures["tiers"]) == {"LOW", "MEDIUM", "HIGH", "CRITICAL"}
        assert {"allow", "escalate", "deny"} <= set(figures["decisions"])
    if name == "sofia_llm":  # System 2 answered (no fallback) and the cache served the rerun
        assert figures["llm_calls"] >= 200 and figures["fallbacks"] == 0
        assert figures["cache_hits"] >= 200


@pytest.mark.latency
@pytest.mark.throughput
@pytest.mark.stress
@pytest.mark.comparison
@pytest.mark.realistic
def test_summary() -> None:
    """The seed's twelfth benchmark: the report, written from whatever ran above."""
    if not RESULTS:
        pytest.skip("no scenario ran in this session (filtered out by -m)")
    written = write_report(list(RESULTS.values()), Path("bench-results"), QUICK)
    report = written[0].read_text()
    assert "## The seed's scenarios, on the real pipeline" in report
