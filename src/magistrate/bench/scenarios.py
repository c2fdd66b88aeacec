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

import asyncio
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from magistrate.action import Action
from magistrate.approvals import Approvals
from magistrate.audit import AuditLog
from magistrate.bench.measure import Result, Run, Target, rss_mb, settle
from magistrate.bench.workload import DEMO_WORKFLOW, Task, mixed_actions, tier_actions
from magistrate.db import open_database
from magistrate.governor import Governor
from magistrate.maestro import Maestro
from magistrate.risk import RiskDetector
from magistrate.sofia import LLMSettings, Sofia
from magistrate.telemetry import Telemetry

perf_ns = time.perf_counter_ns

# The seed report's published figures (its benchmarks timed a mock of the pipeline).
SEED: dict[str, dict[str, float]] = {
    "baseline": {
        "ops": 1000,
        "ops_per_s": 10327,
        "p50_us": 50,
        "p95_us": 60,
        "p99_us": 100,
        "memory_mb": 2.93,
    },
    "with_governance": {
        "ops": 1000,
        "ops_per_s": 439,
        "p50_us": 2280,
        "p95_us": 3240,
        "p99_us": 4830,
        "memory_mb": 16.92,
    },
    "risk_detection": {
        "ops": 10000,
        "ops_per_s": 78719,
        "p50_us": 10,
        "p95_us": 20,
        "p99_us": 20,
        "memory_mb": 0.54,
    },
    "concurrent_50": {
        "ops": 500,
        "ops_per_s": 425,
        "p50_us": 2080,
        "p95_us": 3160,
        "p99_us": 3890,
        "memory_mb": 4.53,
    },
    "mixed_risk": {
        "ops": 1000,
        "ops_per_s": 408,
        "p50_us": 2300,
        "p95_us": 3440,
        "p99_us": 5020,
        "memory_mb": 3.72,
    },
    "concurrent_1000": {
        "ops": 1000,
        "ops_per_s": 467,
        "p50_us": 1970,
        "p95_us": 3090,
        "p99_us": 4120,
        "memory_mb": 3.27,
    },
    "rapid_fire_risk": {
        "ops": 50000,
        "ops_per_s": 83333,
        "p50_us": 10,
        "p95_us": 10,
        "p99_us": 20,
        "memory_mb": 0.88,
    },
    "memory": {"ops": 5000, "memory_mb": 10.0},
    "degradation": {
        "ops": 2000,
        "ops_per_s": 10526,
        "p50_us": 50,
        "p95_us": 60,
        "p99_us": 90,
        "memory_mb": 0.0,
    },
    "comparison": {"ops_per_s": 397, "p50_us": 2520, "without_ops_per_s": 19058, "slowdown": 48.0},
    "realistic": {
        "ops": 100,
        "ops_per_s": 478,
        "p50_us": 1850,
        "p95_us": 2940,
        "p99_us": 3870,
        "memory_mb": 0.0,
    },
}

# name → (title, pytest marker)
SCENARIOS: dict[str, tuple[str, str]] = {
    "baseline": ("Baseline (no governance)", "latency"),
    "with_governance": ("With governance (MEDIUM risk)", "latency"),
    "risk_detection": ("Risk detection (10,000)", "latency"),
    "concurrent_50": ("Concurrent governance (500 ops, 50 in parallel)", "throughput"),
    "mixed_risk": ("Mixed risk levels", "throughput"),
    "concurrent_1000": ("High concurrency (1,000 at once)", "stress"),
    "rapid_fire_risk": ("Rapid-fire risk detection (50,000)", "stress"),
    "memory": ("Memory check (5,000 ops, RSS every 100)", "stress"),
    "degradation": ("Graceful degradation (governance disabled)", "stress"),
    "comparison": ("With versus without governance", "comparison"),
    "realistic": ("Realistic Maestro workflow (10 operations x 10)", "realistic"),
    "full_path_batched": ("Full path, audit batched", "latency"),
    "full_path_sync": ("Full path, audit sync", "latency"),
    "check_many": ("check_many, batches of 1,000, audit batched", "throughput"),
    "soak": ("Memory soak (1,000,000 decisions)", "stress"),
    "tracing": ("Tracing on versus off", "comparison"),
    "sofia_llm": ("Sofia System 2, 200 concurrent, LLM at 50 ms", "throughput"),
}

SEED_SCENARIOS = list(SEED)


async def _worker(task: Any) -> str:
    """The trivial agent the seed used: the work itself is not what is measured."""
    return "done"


@dataclass
class Config:
    """How hard to push: `quick` trims repeats and the beyond-seed operation counts."""

    quick: bool = False
    repeats: int | None = None

    @property
    def reps(self) -> int:
        """Measured repetitions per scenario."""
        return self.repeats or (1 if self.quick else 5)


class Bench:
    """Shared set-up for scenarios: one detector (compiled once), governors over SQLite."""

    def __init__(self, config: Config | None = None, workdir: Path | None = None) -> None:
        self.config = config or Config()
        self._tmp = None if workdir else tempfile.TemporaryDirectory(prefix="magistrate-bench-")
        self.workdir = workdir or Path(self._tmp.name)  # type: ignore[union-attr]
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.detector = RiskDetector()
        self._governors: list[Governor] = []

    # ------------------------------------------------------------------ plumbing
    def governor(
        self,
        name: str,
        *,
        durability: str = "batched",
        enabled: bool = True,
        telemetry: Telemetry | None = None,
        sofia: Sofia | None = None,
    ) -> Governor:
        """A governor as an operator runs it: audit + approvals in SQLite, metrics on."""
        db = open_database(f"sqlite:///{self.workdir}/{name}.db", durable=durability == "sync")
        audit = AuditLog(
            db,
            chain_id=name,
            durability=durability,  # type: ignore[arg-type]
            spool_dir=self.workdir / "spool",
        )
        approvals = Approvals(db, frozenset({"human:reviewer"}), audit=audit)
        gov = Governor(
            detector=self.detector,
            audit=audit,
            approvals=approvals,
            enabled=enabled,
            telemetry=telemetry if telemetry is not None else Telemetry(tracing=False),
            sofia=sofia,
        )
        self._governors.append(gov)
        return gov

    def close(self) -> None:
        """Flush and close every governor; remove the temporary folder."""
        for gov in self._governors:
            gov.close()
        self._governors.clear()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> Bench:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def n(self, full: int, quick: int) -> int:
        """An operation count for beyond-seed scenarios."""
        return quick if self.config.quick else full

    def repeat(
        self,
        measure: Callable[[], Run],
        reset: Callable[[], None] | None = None,
        warmup: bool = True,
    ) -> tuple[list[Run], float]:
        """Warm up once, then the measured repetitions; returns (runs, RSS growth in MiB)."""
        if warmup:
            measure()
        runs = []
        before = settle()
        for _ in range(self.config.reps):
            if reset is not None:
                reset()
            runs.append(measure())
        return runs, rss_mb() - before

    # ------------------------------------------------------------------ runners
    @staticmethod
    def sequential(op: Callable[[Any], Awaitable[Any]], tasks: Sequence[Any]) -> Run:
        """Operations one after another; latency of each."""

        async def go() -> Run:
            lat = []
            start = perf_ns()
            for task in tasks:
                t = perf_ns()
                await op(task)
                lat.append(perf_ns() - t)
            return Run(len(tasks), (perf_ns() - start) / 1e9, lat)

        return asyncio.run(go())

    @staticmethod
    def concurrent(
        op: Callable[[Any], Awaitable[Any]], tasks: Sequence[Any], parallel: int | None
    ) -> Run:
        """Operations as concurrent tasks (at most `parallel` at once; None: all at once)."""

        async def go() -> Run:
            lat: list[int] = []
            limit = asyncio.Semaphore(parallel) if parallel else None

            async def one(task: Any) -> None:
                if limit is None:
                    t = perf_ns()
                    await op(task)
                    lat.append(perf_ns() - t)
                    return
                async with limit:
                    t = perf_ns()
                    await op(task)
                    lat.append(perf_ns() - t)

            start = perf_ns()
            await asyncio.gather(*(one(t) for t in tasks))
            return Run(len(tasks), (perf_ns() - start) / 1e9, lat)

        return asyncio.run(go())

    @staticmethod
    def governed(maestro: Maestro) -> Callable[[Any], Awaitable[Any]]:
        """One Maestro operation: check, then run the worker when allowed."""

        async def op(task: Any) -> Any:
            return await maestro.execute_with_governance(_worker, dict(task))

        return op

    def decisions(self, gov: Governor, tasks: Sequence[Task]) -> dict[str, Any]:
        """Tiers and decisions the pipeline gave a workload (reported beside the timings)."""
        verdicts = gov.check_many([Action.from_dict(t) for t in tasks])
        return {
            "tiers": dict(Counter(v.risk.value for v in verdicts)),
            "decisions": dict(Counter(v.decision.value for v in verdicts)),
        }

    # ------------------------------------------------------------------ seed scenarios
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

    @staticmethod
    def _cycle(
        op: Callable[[Action], Any],
        pool: list[Action],
        ops: int,
        then: Callable[[], Any] | None = None,
    ) -> Run:
        """`ops` calls cycling through `pool`, each timed; `then` runs inside the wall time."""
        lat = []
        start = perf_ns()
        for i in range(ops):
            t = perf_ns()
            op(pool[i % len(pool)])
            lat.append(perf_ns() - t)
        if then is not None:
            then()
        return Run(ops, (perf_ns() - start) / 1e9, lat)

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
            [Target("risk detection ≥ 400,000/s", "ops_per_s", 400_000, True)],
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

    # ------------------------------------------------------------------ beyond the seed
    def _full_path(self, gov: Governor, pool: list[Action], ops: int) -> Run:
        # durable: counted until every audit record is committed
        return self._cycle(gov.check, pool, ops, then=lambda: gov.audit.flush(300))  # type: ignore[union-attr]

    def _pool(self, distinct: int, seed: int) -> list[Action]:
        return [Action.from_dict(t) for t in mixed_actions(distinct, seed=seed)]

    def full_path_batched(self) -> Result:
        """`Governor.check` with the audit log group-committed; rate until the last commit."""
        gov = self.governor("full_path_batched")
        pool = self._pool(2000, 8)
        ops = self.n(50_000, 10_000)
        runs, mem = self.repeat(lambda: self._full_path(gov, pool, ops), reset=gov.trust.clear)
        return Result(
            "full_path_batched",
            SCENARIOS["full_path_batched"][0],
            runs,
            mem,
            targets=[
                Target("full path p50 ≤ 15 µs", "p50_us", 15, False),
                Target("≥ 60,000 governed ops/s on one core", "ops_per_s", 60_000, True),
            ],
            note="ops/s counts until every audit record is committed",
        )

    def full_path_sync(self) -> Result:
        """`Governor.check` with each audit record committed before the verdict returns."""
        gov = self.governor("full_path_sync", durability="sync")
        pool = self._pool(2000, 8)
        ops = self.n(2_000, 500)
        runs, mem = self.repeat(lambda: self._full_path(gov, pool, ops), reset=gov.trust.clear)
        return Result("full_path_sync", SCENARIOS["full_path_sync"][0], runs, mem)

    def check_many(self) -> Result:
        """Batches of 1,000 through `check_many`, audit batched; rate until the last commit."""
        gov = self.governor("check_many")
        pool = self._pool(5000, 9)
        batches = [pool[i : i + 1000] for i in range(0, len(pool), 1000)]
        total = self.n(100_000, 20_000)

        def measure() -> Run:
            lat = []
            start = perf_ns()
            done = 0
            while done < total:
                batch = batches[(done // 1000) % len(batches)]
                t = perf_ns()
                gov.check_many(batch)
                lat.append((perf_ns() - t) // len(batch))
                done += len(batch)
            gov.audit.flush(300)  # type: ignore[union-attr]
            return Run(done, (perf_ns() - start) / 1e9, lat)

        runs, mem = self.repeat(measure, reset=gov.trust.clear)
        return Result(
            "check_many",
            SCENARIOS["check_many"][0],
            runs,
            mem,
            targets=[
                Target("check_many ≥ 200,000 decisions/s with audit", "ops_per_s", 200_000, True)
            ],
            note="latency figures are per decision (batch time / 1,000)",
        )

    def soak(self) -> Result:
        """One million decisions (100,000 with --quick); resident memory growth after warm-up."""
        gov = self.governor("soak")
        pool = self._pool(10_000, 10)
        principals = [f"agent:{i}" for i in range(500)]
        for i, a in enumerate(pool):
            a.principal = principals[i % len(principals)]
            a.session = f"s-{i % 2000}"
        total = self.n(1_000_000, 100_000)
        # Warm-up: caches, trust and session tables, the audit queue and the allocator reach
        # their working size, so what follows measures growth (a leak), not filling buffers.
        check = gov.check
        warmup = max(len(pool), 250_000 if not self.config.quick else 100_000)
        for i in range(warmup):
            check(pool[i % len(pool)])
        gov.audit.flush(300)  # type: ignore[union-attr]
        samples = [settle()]
        start = perf_ns()
        for i in range(total):
            check(pool[i % len(pool)])
            if i % 50_000 == 49_999:
                samples.append(rss_mb())
        gov.audit.flush(600)  # type: ignore[union-attr]
        seconds = (perf_ns() - start) / 1e9
        samples.append(settle())
        growth = samples[-1] - samples[0]
        half = samples[len(samples) // 2]
        return Result(
            "soak",
            SCENARIOS["soak"][0],
            [Run(total, seconds)],
            growth,
            extra={
                "growth_mb": round(growth, 2),
                "growth_second_half_mb": round(samples[-1] - half, 2),
                "rss_start_mb": round(samples[0], 2),
                "rss_end_mb": round(samples[-1], 2),
                "rss_peak_mb": round(max(samples), 2),
            },
            targets=[Target("memory growth < 5 MB over 1,000,000 decisions", "growth_mb", 5, False)]
            if not self.config.quick
            else [],
            note=f"{total:,} decisions after a {max(len(pool), 100_000):,}-decision "
            "warm-up; 10,000 distinct actions, 500 principals, 2,000 sessions, "
            "audit batched",
        )

    def tracing(self) -> Result:
        """Full-path p50 with OpenTelemetry tracing (real SDK, batch processor) on versus off."""
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
        from opentelemetry.sdk.trace.export import SpanExportResult as Res

        class Discard(SpanExporter):  # a real export pipeline whose far end drops the spans
            def export(self, spans: Any) -> Res:
                return Res.SUCCESS

        provider = TracerProvider()
        # A queue deep enough that every span is exported (the default 2,048 would drop some,
        # which is cheaper and would flatter the figure).
        provider.add_span_processor(BatchSpanProcessor(Discard(), max_queue_size=200_000))
        pool = self._pool(2000, 11)
        ops = self.n(20_000, 5_000)
        off = self.governor("tracing_off", telemetry=Telemetry(tracing=False, metrics=False))
        on = self.governor(
            "tracing_on", telemetry=Telemetry(tracing=True, metrics=True, tracer_provider=provider)
        )
        off_runs, _ = self.repeat(lambda: self._full_path(off, pool, ops), reset=off.trust.clear)
        runs, mem = self.repeat(lambda: self._full_path(on, pool, ops), reset=on.trust.clear)
        off_fig = Result("off", "", off_runs).figures()
        on_fig = Result("on", "", runs).figures()
        provider.shutdown()
        return Result(
            "tracing",
            SCENARIOS["tracing"][0],
            runs,
            mem,
            extra={
                "off_p50_us": off_fig["p50_us"],
                "on_p50_us": on_fig["p50_us"],
                "added_p50_us": round(on_fig["p50_us"] - off_fig["p50_us"], 2),
                "off_p99_us": off_fig["p99_us"],
                "on_p99_us": on_fig["p99_us"],
            },
            targets=[Target("tracing adds ≤ 25 µs at p50", "added_p50_us", 25, False)],
            note="figures without prefix are tracing + metrics on",
        )

    def sofia_llm(self) -> Result:
        """200 concurrent Sofia-triggering `acheck` against a local OpenAI-compatible server
        answering after 50 ms (in its own process): cold, then with the counsel cache warm."""
        with _llm_server(latency_s=0.05) as url:
            sofia = Sofia(
                self.detector.constitution, LLMSettings(url, "bench-model"), budget_s=10.0
            )
            gov = self.governor("sofia_llm", sofia=sofia)
            tasks = [
                {
                    "kind": "prompt",
                    "principal": f"agent:{i % 20}",
                    "text": f"Export the survey answers and the consent flags for cohort {i}",
                }
                for i in range(200)
            ]
            actions = [Action.from_dict(t) for t in tasks]

            async def op(action: Action) -> Any:
                return await gov.acheck(action)

            self.concurrent(op, actions[:5], None)  # connect; warm the detector for the shapes
            sofia._cache.clear()
            cold_runs, warm_runs = [], []
            for _ in range(self.config.reps):
                sofia._cache.clear()
                gov.trust.clear()
                cold_runs.append(self.concurrent(op, actions, None))
                warm_runs.append(self.concurrent(op, actions, None))
            cold = Result("cold", "", cold_runs).figures()
            stats = dict(sofia.stats)
        return Result(
            "sofia_llm",
            SCENARIOS["sofia_llm"][0],
            warm_runs,
            None,
            extra={
                "cold_ops_per_s": cold["ops_per_s"],
                "cold_p50_us": cold["p50_us"],
                "cold_p99_us": cold["p99_us"],
                "llm_calls": stats["llm_calls"],
                "cache_hits": stats["cache_hits"],
                "fallbacks": stats["fallbacks"],
            },
            note="figures without prefix: counsel cache warm; cold_*: every action asks the LLM",
        )


@contextmanager
def _llm_server(latency_s: float) -> Iterator[str]:
    """The local OpenAI-compatible server in its own process (so it does not share our GIL)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "magistrate.bench.llm_stub", "--latency", str(latency_s)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError("the local LLM server did not start")
        yield url
    finally:
        proc.kill()
        proc.wait()


def run_scenario(bench: Bench, name: str) -> Result:
    """Run one scenario by name and judge its targets."""
    if name not in SCENARIOS:
        raise KeyError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    result: Result = getattr(bench, name)()
    result.judge()
    return result
