"""For operators and orchestrators: liveness, readiness, Prometheus metrics, the dashboard."""

from __future__ import annotations

from pathlib import Path

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from prometheus_client import generate_latest

from magistrate.server.core import Server, current
from magistrate.server.responses import json_response

STATIC = Path(__file__).resolve().parent.parent / "static"
router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    """200 while the process serves requests."""
    return {"status": "ok"}


def _probe(server: Server, checks: dict[str, str]) -> None:
    try:
        server.database.ping()
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"{type(exc).__name__}: {exc}"
    ping = getattr(server.gov.trust, "ping", None)
    if ping is not None:
        try:
            ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"{type(exc).__name__}: {exc}"


@router.get(
    "/readyz", summary="Readiness", responses={503: {"description": "A store is unreachable."}}
)
async def readyz(request: Request) -> Response:
    """200 when the database (and Redis, when configured) answer; 503 naming what does
    not."""
    server = current(request)
    checks: dict[str, str] = {}
    if server.governor is None:
        return json_response({"ready": False, "checks": {"server": "starting"}}, 503)
    try:
        with anyio.fail_after(5):
            await anyio.to_thread.run_sync(_probe, server, checks)
    except TimeoutError:
        checks.setdefault("database", "timed out")
    ready = all(v == "ok" for v in checks.values())
    return json_response({"ready": ready, "checks": checks}, 200 if ready else 503)


@router.get(
    "/metrics", summary="Prometheus metrics", responses={200: {"content": {"text/plain": {}}}}
)
async def metrics(request: Request) -> Response:
    """This worker's metrics in the Prometheus text format."""
    server = current(request)
    gov = server.gov

    def render() -> bytes:
        text = gov.telemetry.prometheus_text() if gov.telemetry is not None else b""
        return text + bytes(generate_latest(server.registry))

    return Response(
        await anyio.to_thread.run_sync(render),
        media_type="text/plain; version=0.0.4; charset=utf-8",
    )


@router.get("/", include_in_schema=False)
async def dashboard() -> HTMLResponse:
    """The approvals dashboard."""
    return HTMLResponse((STATIC / "index.html").read_text(encoding="utf-8"))
