"""Beyond the seed: the full decision path with audit and approvals, batches, and the soak."""

from __future__ import annotations

from magistrate.action import Action
from magistrate.bench.catalog import SCENARIOS
from magistrate.bench.harness import BenchHarness, perf_ns
from magistrate.bench.measure import Result, Run, Target, rss_mb, settle
from magistrate.bench.workload import mixed_actions


class PathScenarios(BenchHarness):
    """`Governor.check` end to end: batched and sync audit, escalations, `check_many`, soak."""

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
            extra={"audit_writer": gov.audit.writer, **self.cpu_figures()},  # type: ignore[union-attr]
            targets=[
                Target("full path p50 ≤ 15 µs", "p50_us", 15, False),
                Target("≥ 60,000 governed ops/s on one core", "ops_per_s", 60_000, True),
            ],
            note="ops/s counts until every audit record is committed (by the audit writer "
            "process); cpu_us_per_op: CPU of the checking process per decision",
        )

    def full_path_sync(self) -> Result:
        """`Governor.check` with each audit record committed before the verdict returns."""
        gov = self.governor("full_path_sync", durability="sync")
        pool = self._pool(2000, 8)
        ops = self.n(2_000, 500)
        runs, mem = self.repeat(lambda: self._full_path(gov, pool, ops), reset=gov.trust.clear)
        return Result("full_path_sync", SCENARIOS["full_path_sync"][0], runs, mem)

    def full_path_escalations(self) -> Result:
        """Half the actions escalate or deny, each from a principal never seen before: the
        approval request of every escalation is recorded; batched audit."""
        gov = self.governor("full_path_escalations")
        weights = {"LOW": 1, "MEDIUM": 1, "HIGH": 1, "CRITICAL": 1}
        tasks = mixed_actions(2000, seed=12, weights=weights)
        ops = self.n(20_000, 5_000)
        # A fresh principal per call, in every repetition (the warm-up included): no trust
        # history and no earlier approval request for the same call makes any of them cheaper.
        rounds = iter(
            [
                Action.from_dict(dict(tasks[i % len(tasks)], principal=f"agent:fresh-{r}-{i}"))
                for i in range(ops)
            ]
            for r in range(self.config.reps + 2)
        )
        runs, mem = self.repeat(
            lambda: self._full_path(gov, next(rounds), ops), reset=gov.trust.clear
        )
        calls = next(rounds)
        verdicts = [gov.check(a) for a in calls[: len(tasks)]]
        blocked = sum(not v.allowed for v in verdicts) / len(verdicts)
        return Result(
            "full_path_escalations",
            SCENARIOS["full_path_escalations"][0],
            runs,
            mem,
            extra={
                **self.cpu_figures(),
                "blocked_share": round(blocked, 3),
                "approvals_pending": gov.approvals.pending_count(),  # type: ignore[union-attr]
            },
            targets=[Target("full path with escalations p50 ≤ 40 µs", "p50_us", 40, False)],
            note="a quarter of the actions at each tier; ops/s counts until every audit record "
            "is committed",
        )

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
