"""The benchmark harness: configuration, governors as an operator runs them, timed runners."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from magistrate.action import Action
from magistrate.approvals import Approvals
from magistrate.audit import AuditLog
from magistrate.bench.measure import Run, rss_mb, settle
from magistrate.bench.workload import Task, mixed_actions
from magistrate.db import open_database
from magistrate.governor import Governor
from magistrate.maestro import Maestro
from magistrate.risk import RiskDetector
from magistrate.sofia import Sofia
from magistrate.telemetry import Telemetry

perf_ns = time.perf_counter_ns


def _cpu_of(pid: int | None) -> float:
    """CPU seconds (user + system) a process has used; 0 when unknown (Linux /proc only)."""
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


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


class BenchHarness:
    """Shared set-up for scenarios: one detector (compiled once), governors over SQLite."""

    def __init__(self, config: Config | None = None, workdir: Path | None = None) -> None:
        self.config = config or Config()
        self._tmp = None if workdir else tempfile.TemporaryDirectory(prefix="magistrate-bench-")
        self.workdir = workdir or Path(self._tmp.name)  # type: ignore[union-attr]
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.detector = RiskDetector()
        self.detector.prepare()  # loaded at start-up, as a server does: not timed as first sight
        self._governors: list[Governor] = []
        # (ops, CPU seconds here, CPU seconds of the audit writer process) of `_full_path` runs
        self.cpu_s: list[tuple[int, float, float]] = []

    # ------------------------------------------------------------------ plumbing
    def governor(
        self,
        name: str,
        *,
        durability: str = "batched",
        writer: str = "process",
        enabled: bool = True,
        telemetry: Telemetry | None = None,
        sofia: Sofia | None = None,
    ) -> Governor:
        """A governor as an operator runs it: audit + approvals in SQLite, metrics on; the
        audit writer in a process of its own unless `writer` says "thread"."""
        db = open_database(f"sqlite:///{self.workdir}/{name}.db", durable=durability == "sync")
        audit = AuditLog(
            db,
            chain_id=name,
            durability=durability,  # type: ignore[arg-type]
            spool_dir=self.workdir / "spool",
            writer=writer,  # type: ignore[arg-type]
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

    def __enter__(self) -> BenchHarness:
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

    def _full_path(self, gov: Governor, pool: list[Action], ops: int) -> Run:
        # durable: counted until every audit record is committed
        pid = gov.audit.writer_pid if gov.audit is not None else None
        cpu, child = time.process_time(), _cpu_of(pid)
        run = self._cycle(gov.check, pool, ops, then=lambda: gov.audit.flush(300))  # type: ignore[union-attr]
        self.cpu_s.append((ops, time.process_time() - cpu, _cpu_of(pid) - child))
        return run

    def cpu_figures(self) -> dict[str, float]:
        """CPU seconds of this (the checking) process per operation over the measured runs of
        the last `_full_path` scenario, and its inverse: the rate one core of the checking
        process sustains, whatever else the machine runs; the writer process's CPU apart."""
        runs = self.cpu_s[-self.config.reps :]
        self.cpu_s.clear()
        ops = sum(r[0] for r in runs)
        seconds = sum(r[1] for r in runs)
        if not ops or seconds <= 0:
            return {}
        writer = sum(r[2] for r in runs)
        return {
            "cpu_us_per_op": round(seconds / ops * 1e6, 2),
            "ops_per_cpu_s": round(ops / seconds, 1),
            **({"writer_cpu_us_per_op": round(writer / ops * 1e6, 2)} if writer > 0 else {}),
        }

    def _pool(self, distinct: int, seed: int) -> list[Action]:
        return [Action.from_dict(t) for t in mixed_actions(distinct, seed=seed)]
