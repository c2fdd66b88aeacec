"""The seed report's twelve scenarios, reproduced on the real pipeline."""

from __future__ import annotations

import asyncio
from typing import Any

from magistrate.action import Action
from magistrate.bench.catalog import SCENARIOS
from magistrate.bench.harness import BenchHarness, _worker, perf_ns
from magistrate.bench.measure import Result, Run, Target, rss_mb, settle
from magistrate.bench.workload import DEMO_WORKFLOW, mixed_actions, tier_actions
from magistrate.governor import Governor
from magistrate.maestro import Maestro


class SeedScenarios(BenchHarness):
    """Baseline, governance, risk detection, concurrency, memory, degradation, comparison."""

    def baseline(self) -> Result:
        """The worker alone, no governance (seed: 1,000 operations)."""
        tasks = mixed_actions(1000)
        runs, mem = self.repeat(lambda: self.sequential(_worker, tasks))
        return Result("baseline", SCENARIOS["baseline"][0], runs, mem)

    def with_governance(self) -> Result:
        """1,000 distinct MEDIUM-risk operations through Maestro (check, audit, worker)."""
        gov = self.governor("with_governance")
        maestro = Maestro(gov, escalation="return")
        tasks = tier_actions("MEDIUM", 1000)
        runs, mem = self.repeat(
            lambda: self.sequential(self.governed(maestro), tasks), reset=gov.trust.clear
        )
        gov.audit.flush(60)  # type: ignore[union-attr]
        return Result(
            "with_governance",
            SCENARIOS["with_governance"][0],
            runs,
            mem,
            extra=self.decisions(gov, tasks),
        )

    def _assess_run(self, gov: Governor, pool: list[Action], ops: int) -> Run:
        return self._cycle(gov.assess, pool, ops)

    def _risk(self, name: str, ops: int, distinct: int, targets: list[Target]) -> Result:
        gov = self.governor(name)
        pool = [Action.from_dict(t) for t in mixed_actions(distinct, seed=7)]
        cold = self._assess_run(gov, pool, len(pool))  # first sight: every action assessed
        cold_lat = sorted(cold.latencies_ns)
        runs, mem = self.repeat(lambda: self._assess_run(gov, pool, ops), warmup=False)
        extra = {
            "distinct_actions": distinct,
            "cold_ops_per_s": round(cold.ops_per_s, 1),
            "cold_p50_us": round(cold_lat[len(cold_lat) // 2] / 1000, 2),
            "cold_p99_us": round(cold_lat[int(len(cold_lat) * 0.99)] / 1000, 2),
        }
        return Result(
            name,
            SCENARIOS[name][0],
            runs,
            mem,
            extra=extra,
            targets=targets,
            note=f"{distinct:,} distinct actions; first sight assessed from scratch "
            "(cold_*), then served by the assessment cache",
        )

    def risk_detection(self) -> Result:
        """10,000 risk assessments over 1,000 distinct actions (cold first sight, then warm)."""
        return self._risk(
            "risk_detection",
            10_000,
            1000,
            [
                Target("risk detection ≥ 400,000/s", "ops_per_s", 400_000, True),
                # First sight (issue 14): what most real agent traffic costs.
                Target("first-sight risk detection p50 ≤ 40 µs", "cold_p50_us", 40, False),
            ],
        )

    def rapid_fire_risk(self) -> Result:
        """50,000 risk assessments over 5,000 distinct actions."""
        return self._risk("rapid_fire_risk", 50_000, 5000, [])

    def concurrent_50(self) -> Result:
        """500 operations, at most 50 in flight (seed: 425 ops/s)."""
        gov = self.governor("concurrent_50")
        maestro = Maestro(gov, escalation="return")
        tasks = mixed_actions(500, seed=1)
        runs, mem = self.repeat(
            lambda: self.concurrent(self.governed(maestro), tasks, 50), reset=gov.trust.clear
        )
        return Result(
            "concurrent_50",
            SCENARIOS["concurrent_50"][0],
            runs,
            mem,
            extra=self.decisions(gov, tasks),
        )

    def mixed_risk(self) -> Result:
        """1,000 operations, a quarter at each tier (escalations open approval requests)."""
        gov = self.governor("mixed_risk")
        maestro = Maestro(gov, escalation="return")
        tasks = mixed_actions(
            1000, seed=2, weights={t: 1 for t in ("LOW", "MEDIUM", "HIGH", "CRITICAL")}
        )
        runs, mem = self.repeat(
            lambda: self.sequential(self.governed(maestro), tasks), reset=gov.trust.clear
        )
        return Result(
            "mixed_risk", SCENARIOS["mixed_risk"][0], runs, mem, extra=self.decisions(gov, tasks)
        )

    def concurrent_1000(self) -> Result:
        """1,000 operations started at once; plus a sweep of throughput against concurrency."""
        gov = self.governor("concurrent_1000")
        maestro = Maestro(gov, escalation="return")
        tasks = mixed_actions(1000, seed=3)
        op = self.governed(maestro)
        runs, mem = self.repeat(lambda: self.concurrent(op, tasks, None), reset=gov.trust.clear)
        sweep = {}
        for parallel in (1, 10, 50, 200, 1000):
            gov.trust.clear()
            run = self.concurrent(op, tasks, parallel)
            sweep[str(parallel)] = round(run.ops_per_s, 1)
        return Result(
            "concurrent_1000",
            SCENARIOS["concurrent_1000"][0],
            runs,
            mem,
            extra={"sweep_ops_per_s": sweep},
            targets=[
                Target("1,000 concurrent ≥ 40,000 ops/s", "ops_per_s", 40_000, True),
                Target("1,000 concurrent p99 ≤ 2 ms", "p99_us", 2000, False),
            ],
        )

    def memory(self) -> Result:
        """5,000 distinct operations, resident memory sampled every 100."""
        gov = self.governor("memory")
        maestro = Maestro(gov, escalation="return")
        tasks = mixed_actions(5000, seed=4)
        op = self.governed(maestro)

        async def go() -> tuple[Run, list[float]]:
            samples = [settle()]
            lat = []
            start = perf_ns()
            for i, task in enumerate(tasks, 1):
                t = perf_ns()
                await op(task)
                lat.append(perf_ns() - t)
                if i % 100 == 0:
                    samples.append(rss_mb())
            return Run(len(tasks), (perf_ns() - start) / 1e9, lat), samples

        run, samples = asyncio.run(go())  # first sight of every action: no warm-up on purpose
        gov.audit.flush(60)  # type: ignore[union-attr]
        return Result(
            "memory",
            SCENARIOS["memory"][0],
            [run],
            samples[-1] - samples[0],
            extra={
                "rss_start_mb": round(samples[0], 2),
                "rss_peak_mb": round(max(samples), 2),
                "rss_samples": len(samples),
            },
            note="every action distinct and seen once (cold), so this is the first-sight path",
        )

    def degradation(self) -> Result:
        """2,000 operations with governance disabled: they run, recorded as ungoverned."""
        gov = self.governor("degradation", enabled=False)
        maestro = Maestro(gov, escalation="return")
        tasks = mixed_actions(2000, seed=5)
        ran: list[bool] = []

        async def op(task: Any) -> None:
            response = await maestro.execute_with_governance(_worker, dict(task))
            ran.append(response.success and response.verdict.ungoverned)

        runs, mem = self.repeat(lambda: self.sequential(op, tasks))
        return Result(
            "degradation",
            SCENARIOS["degradation"][0],
            runs,
            mem,
            extra={"ran_ungoverned": sum(ran)},
        )

    def comparison(self) -> Result:
        """The same 1,000 operations with and without governance."""
        tasks = mixed_actions(1000, seed=6)
        gov = self.governor("comparison")
        maestro = Maestro(gov, escalation="return")
        without, _ = self.repeat(lambda: self.sequential(_worker, tasks))
        runs, mem = self.repeat(
            lambda: self.sequential(self.governed(maestro), tasks), reset=gov.trust.clear
        )
        plain = Result("without", "", without).figures()
        governed = Result("with", "", runs).figures()
        return Result(
            "comparison",
            SCENARIOS["comparison"][0],
            runs,
            mem,
            extra={
                "without_ops_per_s": plain["ops_per_s"],
                "without_p50_us": plain["p50_us"],
                "overhead_p50_us": round(governed["p50_us"] - plain["p50_us"], 2),
                "slowdown": round(plain["ops_per_s"] / governed["ops_per_s"], 2),
            },
        )

    def realistic(self) -> Result:
        """The seed's ten-operation workflow, ten times (100 operations)."""
        gov = self.governor("realistic")
        maestro = Maestro(gov, escalation="return")
        tasks = [
            dict(task, principal=f"agent:workflow-{r}")
            for r in range(10)
            for _, _, task in DEMO_WORKFLOW
        ]
        runs, mem = self.repeat(
            lambda: self.sequential(self.governed(maestro), tasks), reset=gov.trust.clear
        )
        return Result(
            "realistic", SCENARIOS["realistic"][0], runs, mem, extra=self.decisions(gov, tasks)
        )
