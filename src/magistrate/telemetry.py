"""Telemetry: OpenTelemetry spans and metrics, and Prometheus exposition.

The hot path only bumps in-process counters and appends one tuple to a queue. A background
thread folds queued samples into exact per-stage latency histograms (a bisect and an increment
each: recording every stage through the OpenTelemetry SDK costs ~25 µs of CPU per check, which
a background thread still takes from the checking one under the GIL) and, when tracing is on,
builds spans with the exact start and end times measured during the check. Neither metric
recording nor span building nor exporting runs on the check path. The histograms reach
Prometheus exactly; OTLP metric export gets a 1-in-`OTLP_HISTOGRAM_SAMPLE` sample of checks
through the OpenTelemetry histogram. Attribute names: docs/telemetry.md.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from magistrate.action import Action
from magistrate.verdict import Verdict

if TYPE_CHECKING:
    from magistrate.config import Settings

STAGES = ("validate", "risk", "justica", "sofia", "approval", "audit")
# Checks take microseconds; LLM counsel and approvals take up to seconds.
LATENCY_BUCKETS_S = [
    1e-6,
    2.5e-6,
    5e-6,
    1e-5,
    2.5e-5,
    5e-5,
    1e-4,
    2.5e-4,
    5e-4,
    1e-3,
    2.5e-3,
    5e-3,
    1e-2,
    2.5e-2,
    5e-2,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
]
_BOUNDS_NS = [round(b * 1e9) for b in LATENCY_BUCKETS_S]
_FOLDED = frozenset((*STAGES, "total"))  # the timings that reach the histograms
_bisect = bisect.bisect_left
_MAX_PENDING = 100_000  # spans kept while the background thread catches up
_SAMPLE_CAP = 10_000  # latency samples waiting; more are dropped (the histogram samples)
OTLP_HISTOGRAM_SAMPLE = 10  # one check in this many reaches the OpenTelemetry histogram


class StageHistograms:
    """Exact latency histograms per stage: cumulative-ready bucket counts and sums."""

    def __init__(self) -> None:
        self.counts: dict[str, list[int]] = {}
        self.sums_ns: dict[str, int] = {}

    def add(self, stage: str, ns: int) -> None:
        """Count one duration."""
        counts = self.counts.get(stage)
        if counts is None:
            counts = self.counts[stage] = [0] * (len(_BOUNDS_NS) + 1)
            self.sums_ns[stage] = 0
        counts[bisect.bisect_left(_BOUNDS_NS, ns)] += 1
        self.sums_ns[stage] += ns

    def snapshot(self) -> dict[str, tuple[list[int], int]]:
        """{stage: (bucket counts, sum in ns)} (a copy)."""
        return {k: (list(v), self.sums_ns[k]) for k, v in self.counts.items()}


class _HistogramCollector:
    """Prometheus collector for the exact stage histograms."""

    def __init__(self, telemetry: Telemetry) -> None:
        self.telemetry = telemetry

    def collect(self) -> Iterable[Any]:
        from prometheus_client.core import HistogramMetricFamily

        family = HistogramMetricFamily(
            "magistrate_check_duration_seconds",
            "Time spent per stage of a check",
            labels=["governance_stage"],
        )
        self.telemetry.flush()
        for stage, (counts, sum_ns) in sorted(self.telemetry.histograms.snapshot().items()):
            running, buckets = 0, []
            for bound, n in zip(LATENCY_BUCKETS_S, counts, strict=False):
                running += n
                buckets.append((repr(bound), running))
            buckets.append(("+Inf", running + counts[-1]))
            family.add_metric([stage], buckets, sum_ns / 1e9)
        yield family


def tracing_requested() -> bool:
    """True when the standard OTEL_* variables ask for traces to be exported."""
    exporter = os.environ.get("OTEL_TRACES_EXPORTER", "").lower()
    if exporter == "none":
        return False
    return bool(
        exporter
        or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


# Values read from sources when metrics are collected: (metric, source, counter?, description).
_SOURCE_METRICS = (
    ("magistrate.cache.hits", "cache.hits", True, "Risk-assessment cache hits"),
    ("magistrate.cache.misses", "cache.misses", True, "Risk-assessment cache misses"),
    (
        "magistrate.approvals.pending",
        "approvals.pending",
        False,
        "Pending, unexpired approval requests",
    ),
    (
        "magistrate.audit.queue_depth",
        "audit.queue_depth",
        False,
        "Audit records waiting for the writer",
    ),
    (
        "magistrate.audit.spool_size",
        "audit.spool_size",
        False,
        "Audit records spooled while the store is down",
    ),
)
# Sofia's events, counted (`triggered`: reads System 2's policy asked for).
_SOFIA_EVENTS = (
    "triggered",
    "llm_calls",
    "cache_hits",
    "joined",
    "fallbacks",
    "timeouts",
    "errors",
    "malformed",
    "partial",
)


class Telemetry:
    """Spans, metrics and Prometheus text for one governor."""

    def __init__(
        self,
        *,
        tracing: bool = False,
        metrics: bool = True,
        tracer_provider: Any = None,
        service_name: str = "magistrate",
        otlp_metrics: bool = False,
    ) -> None:
        self.tracing = tracing
        self.metrics = metrics
        self._decisions: dict[tuple[str, str], int] = {}
        # (end, action, verdict, context) for a span, or only a check's timings
        self._samples: deque[tuple[Any, ...] | dict[str, int]] = deque(maxlen=_MAX_PENDING)
        self.histograms = StageHistograms()
        self._flush_lock = threading.Lock()
        self._seen = 0
        self._sources: dict[str, Callable[[], float]] = {}
        self._sofia_stats: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._owned_providers: list[Any] = []
        self.tracer: Any = None
        self.registry: Any = None
        self._histogram: Any = None
        if tracing:
            self.tracer = self._make_tracer(tracer_provider, service_name)
        if metrics:
            self._make_meter(service_name, otlp_metrics)

    @classmethod
    def from_settings(cls, settings: Settings) -> Telemetry:
        """Tracing from the setting (or the OTEL_* variables); metrics always."""
        tracing = settings.tracing if settings.tracing is not None else tracing_requested()
        otlp = bool(
            os.environ.get("OTEL_METRICS_EXPORTER", "").lower() == "otlp"
            or os.environ.get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")
        )
        return cls(tracing=tracing, metrics=settings.metrics, otlp_metrics=otlp)

    # ------------------------------------------------------------------ setup
    def _make_tracer(self, provider: Any, service_name: str) -> Any:

        if provider is None:
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor

            provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
            if tracing_requested():
                from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
                    OTLPSpanExporter,
                )

                provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
            self._owned_providers.append(provider)
        return provider.get_tracer("magistrate")

    def _make_meter(self, service_name: str, otlp: bool) -> None:
        from opentelemetry.exporter.prometheus import PrometheusMetricReader
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.resources import Resource
        from prometheus_client import CollectorRegistry

        self.registry = CollectorRegistry()
        readers: list[Any] = [PrometheusMetricReader(registry=self.registry)]
        if otlp:
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
            from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

            readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
        provider = MeterProvider(
            metric_readers=readers, resource=Resource.create({"service.name": service_name})
        )
        self._owned_providers.append(provider)
        meter = provider.get_meter("magistrate")

        meter.create_observable_counter(
            "magistrate.decisions",
            [self._observe_decisions],
            unit="{decision}",
            description="Verdicts by decision and risk tier",
        )
        for metric, name, counter, description in _SOURCE_METRICS:
            create = meter.create_observable_counter if counter else meter.create_observable_gauge
            create(metric, [self._observe_source(name)], description=description)
        meter.create_observable_counter(
            "magistrate.sofia.events",
            [self._observe_sofia],
            description="Sofia: LLM calls, cache hits, single-flight "
            "joins, fallbacks, timeouts, errors",
        )
        self.registry.register(_HistogramCollector(self))
        if otlp:  # the OpenTelemetry histogram, for OTLP only (Prometheus has the exact one)
            otlp_provider = MeterProvider(
                metric_readers=[PeriodicExportingMetricReader(OTLPMetricExporter())],
                resource=Resource.create({"service.name": service_name}),
            )
            self._owned_providers.append(otlp_provider)
            self._histogram = otlp_provider.get_meter("magistrate").create_histogram(
                "magistrate.check.duration",
                unit="s",
                description="Time spent per stage of a check (a sample of checks)",
                explicit_bucket_boundaries_advisory=LATENCY_BUCKETS_S,
            )

    def _observe_decisions(self, options: Any) -> Iterable[Any]:
        from opentelemetry.metrics import Observation

        for (decision, risk), n in list(self._decisions.items()):
            yield Observation(
                n, {"governance.decision": str(decision), "governance.risk": str(risk)}
            )

    def _observe_source(self, name: str) -> Callable[[Any], Iterable[Any]]:
        from opentelemetry.metrics import Observation

        def observe(options: Any) -> Iterable[Any]:
            fn = self._sources.get(name)
            if fn is not None:
                try:
                    yield Observation(fn())
                except Exception:  # a store that is down reports nothing this time
                    return

        return observe

    def _observe_sofia(self, options: Any) -> Iterable[Any]:
        from opentelemetry.metrics import Observation

        stats = self._sofia_stats
        for event in _SOFIA_EVENTS:
            yield Observation(stats.get(event, 0), {"governance.sofia.event": event})

    def add_source(self, name: str, fn: Callable[[], float]) -> None:
        """A value read when metrics are collected (queue depth, pending approvals…)."""
        self._sources[name] = fn

    def bind(self, governor: Any) -> None:
        """Read cache, audit and approval figures from a governor."""
        if getattr(governor, "sofia", None) is not None:
            self._sofia_stats = governor.sofia.stats
        self.add_source("cache.hits", lambda: governor.cache.hits)
        self.add_source("cache.misses", lambda: governor.cache.misses)
        if governor.audit is not None:
            audit = governor.audit
            self.add_source("audit.queue_depth", lambda: audit.queue_depth)
            self.add_source("audit.spool_size", lambda: len(audit.spool))
        if governor.approvals is not None:
            approvals = governor.approvals
            cached: list[float] = [0.0, -1.0]  # value, time read

            def pending() -> float:
                now = time.monotonic()
                if now - cached[1] > 5.0:  # a database query at most every 5 s
                    cached[0], cached[1] = float(approvals.pending_count()), now
                return cached[0]

            self.add_source("approvals.pending", pending)

    # ------------------------------------------------------------------ hot path
    def observe(self, action: Action, verdict: Verdict) -> None:
        """Count a verdict; queue its timings (and span) for the background thread.

        Decision counts are exact. Latency samples beyond what the background thread keeps up
        with are dropped (the histogram is then a sample); spans are queued for every check
        while tracing is on."""
        key = (verdict.decision, verdict.risk)
        self._decisions[key] = self._decisions.get(key, 0) + 1
        if self.tracer is not None:
            from opentelemetry import context as otel_context

            self._samples.append((time.time_ns(), action, verdict, otel_context.get_current()))
        elif self.metrics and len(self._samples) < _SAMPLE_CAP:
            # The timings alone (a dict of ints, which the collector does not track): queued
            # verdicts outlived young-generation collections and made older ones run.
            self._samples.append(verdict.timings_ns)
        else:
            return
        if self._thread is None:
            self._start()

    # ------------------------------------------------------------------ background
    def _start(self) -> None:
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="magistrate-telemetry", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.flush()
        self.flush()

    def flush(self) -> None:
        """Fold queued samples into the histograms, and build spans, now."""
        with self._flush_lock:
            add = self.histograms.add
            counts, sums = self.histograms.counts, self.histograms.sums_ns
            histogram = self._histogram
            while self._samples:
                try:
                    sample = self._samples.popleft()
                except IndexError:
                    return
                if isinstance(sample, dict):
                    timings, action = sample, None
                else:
                    end_ns, action, verdict, context = sample
                    timings = verdict.timings_ns
                # `add` inlined for the stages seen before (this loop runs once per check)
                for stage, ns in timings.items():
                    if stage in _FOLDED:
                        bucket = counts.get(stage)
                        if bucket is None:
                            add(stage, ns)
                        else:
                            bucket[_bisect(_BOUNDS_NS, ns)] += 1
                            sums[stage] += ns
                if "total" not in timings:
                    add("total", 0)
                self._seen += 1
                if histogram is not None and self._seen % OTLP_HISTOGRAM_SAMPLE == 0:
                    for stage, ns in timings.items():
                        histogram.record(ns / 1e9, {"governance.stage": stage})
                if action is not None and self.tracer is not None:
                    self._spans(end_ns, action, verdict, context)

    def _spans(self, end_ns: int, action: Action, verdict: Verdict, context: Any) -> None:
        timings = verdict.timings_ns
        total = sum(timings.get(s, 0) for s in STAGES) or timings.get("total", 0)
        start_ns = end_ns - total
        span = self.tracer.start_span(
            "governance.check",
            context=context,
            start_time=start_ns,
            attributes=span_attributes(action, verdict),
        )
        from opentelemetry import trace

        child_context = trace.set_span_in_context(span)
        cursor = start_ns
        for stage in STAGES:
            ns = timings.get(stage)
            if ns is None:
                continue
            child = self.tracer.start_span(
                f"governance.{stage}", context=child_context, start_time=cursor
            )
            cursor += ns
            child.end(end_time=cursor)
        span.end(end_time=end_ns)

    def prometheus_text(self) -> bytes:
        """The current metrics in Prometheus text format."""
        if self.registry is None:
            return b""
        from prometheus_client import generate_latest

        self.flush()
        return bytes(generate_latest(self.registry))

    def close(self) -> None:
        """Stop the background thread and flush the providers this object created."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.flush()
        for provider in self._owned_providers:
            with contextlib.suppress(Exception):  # shutting down must not fail the caller
                provider.shutdown()
        self._owned_providers.clear()


def span_attributes(action: Action, verdict: Verdict) -> dict[str, Any]:
    """The attributes of a check span (see docs/telemetry.md)."""
    attrs: dict[str, Any] = {
        "governance.decision": verdict.decision.value,
        "governance.risk": verdict.risk.value,
        "governance.rule_ids": list(verdict.rule_ids),
        "governance.constitution.version": verdict.constitution_version,
        "governance.principal": verdict.principal,
        "governance.cache.hit": verdict.cache_hit,
        "governance.action.kind": action.kind,
        "governance.fingerprint": verdict.fingerprint,
        "governance.mode": verdict.mode,
        "governance.verdict.id": verdict.verdict_id,
        "governance.trust.before": verdict.trust_before,
        "governance.trust.after": verdict.trust_after,
    }
    if action.tool:
        attrs["governance.tool.name"] = action.tool
    if action.session:
        attrs["governance.session"] = action.session
    if verdict.approval_id:
        attrs["governance.approval.id"] = verdict.approval_id
    if verdict.citations:
        attrs["governance.article"] = verdict.citations[0].article_id
    if verdict.ungoverned:
        attrs["governance.ungoverned"] = True
    if verdict.error:
        attrs["error.type"] = (
            verdict.error.split(":", 2)[1].strip() if ":" in verdict.error else "governance error"
        )
    return attrs
