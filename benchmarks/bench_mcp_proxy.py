"""Added latency of the MCP gateway per tool call: the same server called directly and through
`magistrate mcp-proxy`, by the SDK's client, over stdio (and, with --http, streamable HTTP).

Each call is `echo(text)` with a different text every time (so neither the call nor the
result is a cache hit: both are judged from scratch), after a warm-up. The proxy runs as
configured by default: audit log on (SQLite, batched), metrics on, results checked as
tool_output. Reported: p50, p99 and mean per call, and the proxy's added p50 / p99.

Run: `.venv/bin/python benchmarks/bench_mcp_proxy.py [--n 2000] [--warmup 200] [--http]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcp import ClientSession, StdioServerParameters, stdio_client  # noqa: E402
from mcp.client.client import Client  # noqa: E402
from tests.mcp_helpers import (  # noqa: E402
    PY,
    TOOLS_SERVER,
    free_port,
    proxy_command,
    proxy_env,
    running,
)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(call: Callable[[str], Awaitable[Any]], n: int, warmup: int) -> list[float]:
    for i in range(warmup):
        await call(f"warm-up line {i}")
    times = []
    for i in range(n):
        text = f"report line {i}: {i * 7919 % 10007} rows processed"
        t0 = time.perf_counter()
        result = await call(text)
        times.append(time.perf_counter() - t0)
        if result.is_error:
            raise RuntimeError(f"call {i} failed: {result.content}")
    return times


async def stdio_times(argv: list[str], env: dict[str, str], n: int, warmup: int) -> list[float]:
    params = StdioServerParameters(command=argv[0], args=argv[1:], env=env)
    with open(os.devnull, "w") as devnull:
        async with stdio_client(params, errlog=devnull) as (r, w), ClientSession(r, w) as s:
            await s.initialize()
            return await measure(lambda t: s.call_tool("echo", {"text": t}), n, warmup)


async def http_times(url: str, n: int, warmup: int) -> list[float]:
    async with Client(url, mode="legacy") as client:
        return await measure(lambda t: client.call_tool("echo", {"text": t}), n, warmup)


def report(name: str, direct: list[float], proxied: list[float]) -> dict[str, float]:
    ms = 1000.0
    row = {
        "direct_p50": pct(direct, 0.5) * ms,
        "direct_p99": pct(direct, 0.99) * ms,
        "proxy_p50": pct(proxied, 0.5) * ms,
        "proxy_p99": pct(proxied, 0.99) * ms,
        "direct_mean": statistics.fmean(direct) * ms,
        "proxy_mean": statistics.fmean(proxied) * ms,
    }
    row["added_p50"] = row["proxy_p50"] - row["direct_p50"]
    row["added_p99"] = row["proxy_p99"] - row["direct_p99"]
    print(
        f"{name:<6} direct p50 {row['direct_p50']:.3f} ms  p99 {row['direct_p99']:.3f} ms  "
        f"mean {row['direct_mean']:.3f} | proxy p50 {row['proxy_p50']:.3f} ms  "
        f"p99 {row['proxy_p99']:.3f} ms  mean {row['proxy_mean']:.3f} | "
        f"added p50 {row['added_p50']:+.3f} ms  p99 {row['added_p99']:+.3f} ms"
    )
    return row


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="measured calls per setup")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--http", action="store_true", help="also measure streamable HTTP")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = proxy_env(Path(tmp))
        env.pop("MCP_TEST_JOURNAL")
        env["MAGISTRATE_METRICS"] = "true"
        print(f"{args.n} calls after {args.warmup} warm-up calls; python {sys.version.split()[0]}")
        direct = await stdio_times([PY, TOOLS_SERVER], env, args.n, args.warmup)
        proxied = await stdio_times(
            proxy_command("--quiet", "--", PY, TOOLS_SERVER), env, args.n, args.warmup
        )
        report("stdio", direct, proxied)
        if args.http:
            sp, pp = free_port(), free_port()
            upstream = f"http://127.0.0.1:{sp}/mcp"
            gateway = proxy_command("--quiet", "--http", upstream, "--port", str(pp))
            with running([PY, TOOLS_SERVER, "--http", str(sp)], env, sp):
                direct = await http_times(upstream, args.n, args.warmup)
                with running(gateway, env, pp):
                    proxied = await http_times(f"http://127.0.0.1:{pp}/mcp", args.n, args.warmup)
            report("http", direct, proxied)
        db = Path(tmp) / "m.db"
        count = subprocess.run(
            [PY, "-m", "magistrate", "audit", "export"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.count("\n")
        print(f"audit records written by the proxies: {count} ({db.stat().st_size:,} bytes)")


if __name__ == "__main__":
    asyncio.run(main())
