"""Load test of the governance server on loopback: decisions/s and p99 latency for
`POST /v1/check` and `POST /v1/check/batch`, with 1 and 2 workers, embedded (SQLite, memory
trust) and shared (PostgreSQL + Redis) mode.

Each configuration starts `magistrate serve` in a subprocess, judges every action once (so each
mode's timed runs find the assessment cache warm), warms it up, then drives it for a fixed time
with a fixed number of connections (bounded: it stops by itself) using `wrk` when it is
installed (C, little client CPU) or an asyncio httpx2 client otherwise. The request bodies are
the labeled corpora under tests/data (a realistic mix of allows, escalations and denials) sent
as 64 principals through a gateway key.

Each figure is printed beside its target (issue 14 item 5) with PASS or MISS: `/v1/check`
embedded with one worker >= 8,000 decisions/s and p99 <= 10 ms; shared mode >= 4,000
decisions/s per worker with one Redis round trip per decision; the batch endpoint >= 30,000
decisions/s per worker. Redis round trips per decision are counted after the throughput run,
by MONITOR, over a few hundred sequential checks (only commands naming the run's key prefix).
The figures depend on the machine: the client runs on the same CPUs as the server. Beside
each figure is the server's CPU time per decision (its processes together, from /proc: the
workers and their audit writer processes), which other load on the machine disturbs least.

Run: `.venv/bin/python benchmarks/bench_server.py [--duration 8] [--modes embedded,shared]
[--workers 1,2] [--client auto|wrk|httpx2] [--json results.json]`.
Shared mode uses MAGISTRATE_BENCH_PG (default postgresql://postgres@127.0.0.1:5432/test, in a
private schema dropped afterwards) and MAGISTRATE_BENCH_REDIS (redis://127.0.0.1:6379/0, under a
private key prefix deleted afterwards).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import psycopg
import redis

from magistrate.db import open_database
from magistrate.keys import Keys

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
PG = os.environ.get("MAGISTRATE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("MAGISTRATE_BENCH_REDIS", "redis://127.0.0.1:6379/0")
PRINCIPALS = 64
# (mode or "*", endpoint) -> (decisions/s per worker, p99 ms or None); issue 14 item 5
TARGETS: dict[tuple[str, str], tuple[float, float | None]] = {
    ("embedded", "/v1/check"): (8_000, 10.0),
    ("shared", "/v1/check"): (4_000, None),
    ("*", "/v1/check/batch"): (30_000, None),
}
MAX_REDIS_TRIPS = 1.0  # per decision, shared mode


def verdict(row: dict[str, Any]) -> str:
    """The row's figures beside its targets, each PASS or MISS."""
    target = TARGETS.get((row["mode"], row["endpoint"])) or TARGETS.get(("*", row["endpoint"]))
    if target is None:
        return ""
    rate, p99 = target
    per_worker = row["decisions_per_s"] / row["workers"]
    parts = [
        f"{per_worker:,.0f}/s per worker vs >= {rate:,.0f}: "
        + ("PASS" if per_worker >= rate else "MISS")
    ]
    if p99 is not None and row["workers"] == 1:
        parts.append(
            f"p99 {row['p99_ms']:.2f} vs <= {p99:g} ms: "
            + ("PASS" if row["p99_ms"] <= p99 else "MISS")
        )
    trips = row.get("redis_trips_per_decision")
    if trips is not None and row["endpoint"] == "/v1/check":
        parts.append(
            f"Redis {trips:.2f} round trips/decision vs <= {MAX_REDIS_TRIPS:g}: "
            + ("PASS" if trips <= MAX_REDIS_TRIPS + 0.05 else "MISS")
        )
    return "; ".join(parts)


def redis_trips(url: str, token: str, payloads: list[str], prefix: str, n: int = 300) -> float:
    """Redis commands per `/v1/check` decision, seen by MONITOR and counted only when they name
    this run's key prefix (other clients of the same Redis do not count): `n` sequential checks
    after the throughput run (MONITOR slows Redis, so never during it)."""
    import threading

    seen: list[int] = [0]
    end = f"{prefix}bench:end"
    ready = threading.Event()

    def watch() -> None:
        client = redis.Redis.from_url(REDIS)
        with client.monitor() as monitor:
            ready.set()
            for event in monitor.listen():
                command = str(event.get("command", ""))
                if end in command:
                    return
                # a script's own commands show too, from the client type "lua": not round trips
                if prefix in command and event.get("client_type") != "lua":
                    seen[0] += 1

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    ready.wait(10)
    time.sleep(0.2)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with httpx2.Client(base_url=url, headers=headers, timeout=30) as client:
        for i in range(n):
            client.post("/v1/check", content=payloads[i % len(payloads)])
    redis.Redis.from_url(REDIS).get(end)
    thread.join(30)
    return seen[0] / n


def actions() -> list[dict[str, Any]]:
    """The corpora's actions, spread over PRINCIPALS principals."""
    out: list[dict[str, Any]] = []
    for path in sorted(DATA.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            action = {k: row[k] for k in ("kind", "text", "tool", "args") if k in row}
            action["principal"] = f"bench:{len(out) % PRINCIPALS}"
            out.append(action)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def store(mode: str) -> Iterator[dict[str, str]]:
    """The environment of a fresh store for one configuration, removed afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix="magistrate-bench-"))
    env = {
        "MAGISTRATE_SPOOL_DIR": str(workdir / "spool"),
        "MAGISTRATE_BOOTSTRAP_ADMIN": "false",
        "MAGISTRATE_CONFIG": str(workdir / "none.toml"),
        "MAGISTRATE_HOME": str(workdir),
    }
    schema = prefix = None
    try:
        if mode == "embedded":
            env["MAGISTRATE_DATABASE_URL"] = f"sqlite:///{workdir}/magistrate.db"
        else:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(PG, autocommit=True) as conn:
                conn.execute(f"CREATE SCHEMA {schema}")
            env["MAGISTRATE_DATABASE_URL"] = f"{PG}?options=-csearch_path%3D{schema}"
            prefix = f"bench-{uuid.uuid4().hex[:10]}:"
            env["MAGISTRATE_REDIS_URL"] = REDIS
            env["MAGISTRATE_REDIS_PREFIX"] = prefix
        yield env
    finally:
        if schema is not None:
            with psycopg.connect(PG, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        if prefix is not None:
            client = redis.Redis.from_url(REDIS)
            keys = list(client.scan_iter(f"{prefix}*", count=1000))
            if keys:
                client.delete(*keys)
            client.close()
        if os.environ.get("MAGISTRATE_BENCH_KEEP"):
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def server_cpu_s(root: int) -> float:
    """CPU seconds (user + system) used so far by process `root` and its descendants (workers,
    an audit writer process): the A/B figure that other load on the machine disturbs least."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    family = {root}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in family and pid not in family:
                family.add(pid)
                grew = True
    return sum(times.get(pid, 0.0) for pid in family)


@contextmanager
def serve(env: dict[str, str], workers: int) -> Iterator[tuple[str, str, int]]:
    """A running server and a gateway key for the bench principals."""
    db = open_database(env["MAGISTRATE_DATABASE_URL"])
    _, token = Keys(db).create("agent", "bench-gateway", may_act_as="bench:*")
    db.close()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = Path(env["MAGISTRATE_HOME"]) / f"server-{port}.log"
    log = open(log_path, "wb")  # noqa: SIM115 - a file, never a pipe nobody reads
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "magistrate",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env={**os.environ, **env},
        cwd=env["MAGISTRATE_HOME"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(log_path.read_text())
            try:
                if httpx2.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx2.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server not ready in 60 s")
            time.sleep(0.2)
        yield url, token, proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        problems = [line for line in log_path.read_text().splitlines() if "Error" in line]
        if problems:  # a benchmark that hid server errors would measure the wrong thing
            print(f"server log ({log_path}):\n" + "\n".join(problems[:20]), file=sys.stderr)


# ---------------------------------------------------------------------- clients
def bodies(kind: str, mix: list[dict[str, Any]], batch: int) -> list[str]:
    """Request bodies: one action each, or `batch` actions each."""
    if kind == "check":
        return [json.dumps(a) for a in mix]
    groups = [mix[i : i + batch] for i in range(0, len(mix), batch)]
    groups = [g for g in groups if len(g) == batch] or [mix[:batch]]
    return [json.dumps({"actions": g}) for g in groups]


def prime(url: str, token: str, mix: list[dict[str, Any]], batch: int = 100) -> None:
    """Every action judged once (batches, one after another), so the timed runs of every mode
    find the assessment cache warm: a time-boxed warm-up at a mode's own rate does not cover
    the corpus where decisions are slow (first sight is measured apart: `magistrate bench`)."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with httpx2.Client(base_url=url, headers=headers, timeout=120) as client:
        for i in range(0, len(mix), batch):
            body = json.dumps({"actions": mix[i : i + batch]})
            client.post("/v1/check/batch", content=body).raise_for_status()


def run_wrk(
    url: str, token: str, path: str, payloads: list[str], connections: int, duration: float
) -> dict[str, float]:
    """wrk with a Lua script cycling through the bodies; requests/s, p50, p99 (ms), errors."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write("local bodies = {\n")
        for body in payloads:
            level = "=" * 8
            f.write(f"[{level}[{body}]{level}],\n")
        f.write("}\nlocal i = 0\n")
        f.write(
            'local headers = {["Content-Type"] = "application/json", '
            f'["Authorization"] = "Bearer {token}"}}\n'
        )
        f.write(
            "request = function()\n  i = i + 1\n"
            f'  return wrk.format("POST", "{path}", headers, bodies[(i % #bodies) + 1])\nend\n'
        )
        script = f.name
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{int(duration)}s",
                "--latency",
                "--timeout",
                "10s",
                "-s",
                script,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=duration + 60,
            check=True,
        ).stdout
    finally:
        os.unlink(script)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    if rate == 0:
        raise RuntimeError(f"no request completed:\n{out}")

    def pct(label: str) -> float:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
        assert m, out
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[m.group(2)]

    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*timeout (\d+)", out)
    return {
        "requests_per_s": rate,
        "p50_ms": pct("50"),
        "p99_ms": pct("99"),
        "non_2xx": float(bad.group(1)) if bad else 0.0,
        "timeouts": float(errors.group(1)) if errors else 0.0,
    }


def run_httpx2(
    url: str, token: str, path: str, payloads: list[str], connections: int, duration: float
) -> dict[str, float]:
    """An asyncio httpx2 client with `connections` concurrent loops, for `duration` seconds."""

    async def main() -> dict[str, float]:
        latencies: list[float] = []
        bad = 0
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        limits = httpx2.Limits(max_connections=connections)
        async with httpx2.AsyncClient(
            base_url=url, headers=headers, limits=limits, timeout=30
        ) as client:
            stop = time.monotonic() + duration

            async def loop(offset: int) -> None:
                nonlocal bad
                i = offset
                while time.monotonic() < stop:
                    t = time.perf_counter()
                    r = await client.post(path, content=payloads[i % len(payloads)])
                    latencies.append(time.perf_counter() - t)
                    bad += r.status_code != 200
                    i += connections

            started = time.monotonic()
            await asyncio.gather(*(loop(k) for k in range(connections)))
            elapsed = time.monotonic() - started
        latencies.sort()
        return {
            "requests_per_s": len(latencies) / elapsed,
            "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
            "non_2xx": float(bad),
            "timeouts": 0.0,
        }

    return asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--modes", default="embedded,shared")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--connections", type=int, default=16, help="for /v1/check")
    parser.add_argument("--batch", type=int, default=100, help="actions per batch request")
    parser.add_argument("--batch-connections", type=int, default=4)
    parser.add_argument("--client", choices=["auto", "wrk", "httpx2"], default="auto")
    parser.add_argument("--endpoints", default="check,batch", help="check, batch or both")
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    args = parser.parse_args()
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "httpx2"
    drive = run_wrk if client == "wrk" else run_httpx2
    mix = actions()
    plans = {
        "check": ("/v1/check", bodies("check", mix, 1), args.connections, 1),
        "batch": (
            "/v1/check/batch",
            bodies("batch", mix, args.batch),
            args.batch_connections,
            args.batch,
        ),
    }
    print(
        f"client {client}; {len(mix)} actions from tests/data over {PRINCIPALS} principals; "
        f"{args.duration:.0f} s per run after {args.warmup:.0f} s warm-up; "
        f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    results: list[dict[str, Any]] = []
    for mode in args.modes.split(","):
        for workers in (int(w) for w in args.workers.split(",")):
            with store(mode) as env, serve(env, workers) as (url, token, pid):
                prime(url, token, mix)
                for name in args.endpoints.split(","):
                    path, payloads, connections, per_request = plans[name]
                    drive(url, token, path, payloads, connections, args.warmup)
                    cpu = server_cpu_s(pid)
                    figures = drive(url, token, path, payloads, connections, args.duration)
                    cpu = server_cpu_s(pid) - cpu
                    decisions = figures["requests_per_s"] * per_request * args.duration
                    trips = None
                    if mode == "shared" and path == "/v1/check":
                        trips = redis_trips(url, token, payloads, env["MAGISTRATE_REDIS_PREFIX"])
                    row = {
                        "mode": mode,
                        "workers": workers,
                        "endpoint": path,
                        "connections": connections,
                        "actions_per_request": per_request,
                        "decisions_per_s": figures["requests_per_s"] * per_request,
                        "redis_trips_per_decision": trips,
                        "server_cpu_us_per_decision": cpu / decisions * 1e6,
                        **figures,
                    }
                    results.append(row)
                    print(
                        f"{mode:<8} workers={workers} {path:<16} c={connections:<3} "
                        f"{row['decisions_per_s']:>9,.0f} decisions/s  "
                        f"{figures['requests_per_s']:>8,.0f} req/s  "
                        f"p50 {figures['p50_ms']:7.2f} ms  p99 {figures['p99_ms']:7.2f} ms  "
                        f"server CPU {row['server_cpu_us_per_decision']:6.1f} µs/decision"
                        + (f"  non-2xx {figures['non_2xx']:.0f}" if figures["non_2xx"] else ""),
                        flush=True,
                    )
                    if verdict(row):
                        print(f"{'':<9}{verdict(row)}", flush=True)
    print(
        "\n| mode | workers | endpoint | decisions/s | p50 | p99 | server CPU/decision "
        "| against the targets |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        per = f" ({r['actions_per_request']}/request)" if r["actions_per_request"] > 1 else ""
        print(
            f"| {r['mode']} | {r['workers']} | `{r['endpoint']}`{per} | "
            f"{r['decisions_per_s']:,.0f} | {r['p50_ms']:.2f} ms | {r['p99_ms']:.2f} ms | "
            f"{r['server_cpu_us_per_decision']:.0f} µs | {verdict(r) or '-'} |"
        )
    if args.json is not None:
        args.json.write_text(json.dumps({"client": client, "results": results}, indent=2))


if __name__ == "__main__":
    main()
