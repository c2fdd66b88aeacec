"""Helpers for the MCP gateway tests: real processes, real transports, the real audit log."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from mcp import ClientSession, StdioServerParameters, stdio_client

from magistrate.db import AuditFilter, open_database

TOOLS_SERVER = str(Path(__file__).parent / "mcp_servers" / "tools_server.py")
PY = sys.executable


def proxy_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of a proxy (and its server) writing to a private database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAGISTRATE_")}
    env.update(
        MAGISTRATE_DATABASE_URL=f"sqlite:///{tmp}/m.db",
        MAGISTRATE_SPOOL_DIR=str(tmp / "spool"),
        MAGISTRATE_CONFIG=str(tmp / "none.toml"),
        MAGISTRATE_METRICS="false",
        MCP_TEST_JOURNAL=str(tmp / "journal.jsonl"),
    )
    env.update(extra)
    return env


def proxy_command(*options: str) -> list[str]:
    """`magistrate mcp-proxy OPTIONS` run by this interpreter."""
    return [PY, "-m", "magistrate", "mcp-proxy", *options]


@asynccontextmanager
async def stdio_session(argv: list[str], env: dict[str, str]) -> AsyncIterator[ClientSession]:
    """An initialized SDK client session with a process over stdio."""
    params = StdioServerParameters(command=argv[0], args=argv[1:], env=env)
    with open(os.devnull, "w") as devnull:
        async with (
            stdio_client(params, errlog=devnull) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            yield session


def journal(tmp: Path) -> list[dict[str, Any]]:
    """The calls that reached the test server."""
    path = tmp / "journal.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def audit_records(tmp: Path) -> list[dict[str, Any]]:
    """Every verdict record in the audit log, oldest first."""
    db = open_database(f"sqlite:///{tmp}/m.db")
    try:
        return [
            json.loads(row.body) for row in db.audit_rows(AuditFilter()) if row.type == "verdict"
        ]
    finally:
        db.close()


def wait_for_records(tmp: Path, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    """The audit records once at least `count` are there (the writer commits in batches)."""
    deadline = time.monotonic() + timeout
    while True:
        records = audit_records(tmp) if (tmp / "m.db").exists() else []
        if len(records) >= count or time.monotonic() > deadline:
            return records
        time.sleep(0.05)


def text_of(result: Any) -> str:
    """All text blocks of a CallToolResult."""
    return "\n".join(getattr(block, "text", "") for block in result.content)


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Wait until something listens on the port (or the process died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")


@contextmanager
def running(argv: list[str], env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A process that serves on `port`, stopped afterwards."""
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_port(port, proc)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
