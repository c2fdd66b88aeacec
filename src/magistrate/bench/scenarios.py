"""The benchmark scenarios: the seed report's twelve, reproduced on the real pipeline, and more.

Every scenario uses the real constitution, the real trust ledger and a real audit log (batched
SQLite in a temporary folder, approvals in the same database). Only the worker agent is a
trivial async function, as in the seed. Actions come from `workload`: distinct, realistic, at
the tiers each scenario asks for. Each scenario warms up first (one unmeasured pass, which fills
the assessment cache as an agent repeating its tools would), then repeats the measured run; the
figures are medians over repeats, with the spread of throughput. First-sight (cold) costs are
reported beside the warm ones where they matter.
"""

from __future__ import annotations

from magistrate.bench.catalog import SCENARIOS, SEED, SEED_SCENARIOS
from magistrate.bench.harness import BenchHarness, Config
from magistrate.bench.measure import Result
from magistrate.bench.path_scenarios import PathScenarios
from magistrate.bench.seed_scenarios import SeedScenarios
from magistrate.bench.system_scenarios import SystemScenarios

__all__ = ["SCENARIOS", "SEED", "SEED_SCENARIOS", "Bench", "BenchHarness", "Config", "run_scenario"]


class Bench(SeedScenarios, PathScenarios, SystemScenarios):
    """Every scenario, by name: the seed's, the full path's, and the system ones."""

    def __enter__(self) -> Bench:
        return self


def run_scenario(bench: Bench, name: str) -> Result:
    """Run one scenario by name and judge its targets."""
    if name not in SCENARIOS:
        raise KeyError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    result: Result = getattr(bench, name)()
    result.judge()
    return result
