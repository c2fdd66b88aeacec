"""Telemetry: spans per check and stage through the OpenTelemetry SDK, metrics in Prometheus
text, and nothing at all when telemetry is off."""

from __future__ import annotations

import asyncio

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from magistrate import Action, Governor, RiskDetector
from magistrate.telemetry import STAGES, Telemetry


def test_spans_per_check_and_stage(detector: RiskDetector) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry = Telemetry(tracing=True, metrics=False, tracer_provider=provider)
    gov = Governor(detector=detector, telemetry=telemetry)
    parent_tracer = provider.get_tracer("agent")
    with parent_tracer.start_as_current_span("agent.step") as parent:
        gov.check(Action(kind="sql", text="DROP TABLE t", principal="agent:x", session="s1"))
    telemetry.flush()
    spans = {s.name: s for s in exporter.get_finished_spans()}
    check = spans["governance.check"]
    assert check.parent is not None and check.parent.span_id == parent.get_span_context().span_id
    attrs = check.attributes
    assert attrs["governance.decision"] == "escalate" and attrs["governance.risk"] == "CRITICAL"
    assert "sql-drop" in attrs["governance.rule_ids"]
    assert attrs["governance.principal"] == "agent:x"
    assert attrs["governance.constitution.version"] == gov.version
    assert attrs["governance.cache.hit"] is False
    for stage in ("validate", "risk", "justica"):
        child = spans[f"governance.{stage}"]
        assert child.parent.span_id == check.context.span_id
        assert check.start_time <= child.start_time <= child.end_time <= check.end_time
    telemetry.close()


def test_metrics_in_prometheus_text(detector: RiskDetector) -> None:
    telemetry = Telemetry(tracing=False, metrics=True)
    gov = Governor(detector=detector, telemetry=telemetry)
    for text in ("ls", "ls", "rm -rf /"):
        gov.check(Action(kind="shell", text=text, principal="m"))
    text = telemetry.prometheus_text().decode()
    assert 'magistrate_decisions_total{governance_decision="allow",governance_risk="LOW"' in text
    assert 'governance_decision="deny",governance_risk="CRITICAL"' in text
    assert "magistrate_check_duration_seconds_bucket" in text
    assert 'governance_stage="risk"' in text
    assert "magistrate_cache_hits_total" in text
    telemetry.close()


def test_tracing_off_costs_nothing(detector: RiskDetector) -> None:
    gov = Governor(detector=detector)  # the library default: no telemetry object at all
    assert gov.telemetry is None
    telemetry = Telemetry(tracing=False, metrics=False)
    gov = Governor(detector=detector, telemetry=telemetry)
    gov.check(Action(kind="shell", text="ls"))
    assert telemetry.tracer is None and not telemetry._samples and telemetry._thread is None
    assert set(STAGES) >= {"risk", "justica", "audit"}


def test_async_checks_are_traced_too(detector: RiskDetector) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry = Telemetry(tracing=True, metrics=False, tracer_provider=provider)
    gov = Governor(detector=detector, telemetry=telemetry)
    asyncio.run(gov.acheck(Action(kind="shell", text="ls")))
    telemetry.flush()
    assert any(s.name == "governance.check" for s in exporter.get_finished_spans())
    assert trace.get_current_span() is trace.INVALID_SPAN
    telemetry.close()
