"""Beyond the seed: telemetry's cost and Sofia's System 2 against a local LLM server."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from magistrate.action import Action
from magistrate.bench.catalog import SCENARIOS
from magistrate.bench.harness import BenchHarness
from magistrate.bench.measure import Result, Target
from magistrate.sofia import LLMSettings, Sofia
from magistrate.telemetry import Telemetry


class SystemScenarios(BenchHarness):
    """Tracing on versus off; Sofia System 2 cold and with its cache warm."""

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
