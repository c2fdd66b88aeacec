"""The record stage's cost: audit per decision (batched, sync; SQLite, PostgreSQL) and tracing.

For each configuration, the same warm-cache mix of actions from tests/data is checked N times;
reported are the p50/p99 of `Governor.check` as the caller sees it, and the durable rate
(decisions per second until the last record is committed). The audit cost per decision is the
p50 difference against the same run without an audit log. Tracing is measured with the real
OpenTelemetry SDK (batch span processor, in-memory exporter) on versus off.

Run: `.venv/bin/python benchmarks/bench_record.py [--n 5000] [--no-postgres]`.
PostgreSQL: MAGISTRATE_BENCH_PG (default postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from magistrate import Action, Governor, RiskDetector
from magistrate.audit import AuditLog
from magistrate.audit.anchor import Anchors
from magistrate.audit.signing import HmacSigner
from magistrate.db import open_database
from magistrate.telemetry import Telemetry

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
PG = os.environ.get("MAGISTRATE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")


def mix() -> list[Action]:
    out = []
    for path in sorted(DATA.glob("*.jsonl")):
        for i, line in enumerate(path.read_text().splitlines()):
            row = json.loads(line)
            data = {k: row[k] for k in ("kind", "text", "tool", "args") if k in row}
            out.append(Action.from_dict({**data, "principal": f"agent:{i % 50}"}))
    return out


def measure(gov: Governor, actions: list[Action], n: int) -> tuple[float, float, float]:
    """(p50 µs, p99 µs, durable decisions/s)."""
    for a in actions:  # warm the cache
        gov.check(a)
    if gov.audit is not None:
        gov.audit.flush(60)
    gov.trust.clear()
    samples = []
    perf = time.perf_counter_ns
    start = time.perf_counter()
    for i in range(n):
        t = perf()
        gov.check(actions[i % len(actions)])
        samples.append(perf() - t)
        if i % 2000 == 1999:
            gov.trust.clear()
    if gov.audit is not None:
        gov.audit.flush(120)
    elapsed = time.perf_counter() - start
    samples.sort()
    return samples[len(samples) // 2] / 1000, samples[int(len(samples) * 0.99)] / 1000, n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--unsigned", action="store_true", help="records unsigned and unanchored (as before 12.5)"
    )
    args = parser.parse_args()
    detector = RiskDetector()
    actions = mix()
    tmp = Path(tempfile.mkdtemp())
    signer = HmacSigner(os.urandom(32))  # as configured by default: signed and anchored
    print(f"{len(actions)} distinct actions, {args.n} checks per configuration, warm cache")
    base = measure(Governor(detector=detector), actions, args.n)
    print(f"{'no audit':<28} p50 {base[0]:7.1f} µs  p99 {base[1]:7.1f} µs  {base[2]:9,.0f}/s")

    stores = [("sqlite", lambda: f"sqlite:///{tmp}/bench-{uuid.uuid4().hex[:6]}.db")]
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    if not args.no_postgres:
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        stores.append(("postgresql", lambda: f"{PG}?options=-csearch_path%3D{schema}"))
    try:
        for store, url in stores:
            for durability in ("batched", "sync"):
                db = open_database(url(), durable=durability == "sync")
                audit = AuditLog(
                    db,
                    chain_id=f"{store}-{durability}",
                    durability=durability,
                    spool_dir=tmp / "spool",
                    signer=None if args.unsigned else signer,
                    anchors=None if args.unsigned else Anchors(tmp / "anchor", store, signer),
                )
                gov = Governor(detector=detector, audit=audit)
                n = args.n if durability == "batched" else max(200, args.n // 10)
                p50, p99, rate = measure(gov, actions, n)
                audit.close()
                db.close()
                print(
                    f"{store + ' ' + durability:<28} p50 {p50:7.1f} µs  p99 {p99:7.1f} µs  "
                    f"{rate:9,.0f}/s  audit cost p50 +{p50 - base[0]:.1f} µs"
                )
    finally:
        if not args.no_postgres:
            with psycopg.connect(PG, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")

    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    off = measure(
        Governor(detector=detector, telemetry=Telemetry(tracing=False, metrics=False)),
        actions,
        args.n,
    )
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(InMemorySpanExporter()))
    traced = Telemetry(tracing=True, metrics=True, tracer_provider=provider)
    on = measure(Governor(detector=detector, telemetry=traced), actions, args.n)
    traced.close()
    print(f"{'tracing off':<28} p50 {off[0]:7.1f} µs  p99 {off[1]:7.1f} µs")
    print(
        f"{'tracing + metrics on':<28} p50 {on[0]:7.1f} µs  p99 {on[1]:7.1f} µs  "
        f"(+{on[0] - off[0]:.1f} µs at p50)"
    )


if __name__ == "__main__":
    main()
