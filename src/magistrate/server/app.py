"""The governance server: the HTTP API, the approvals dashboard, health and metrics.

`create_app()` builds the ASGI app; uvicorn calls it once per worker process
(`magistrate serve --workers N`). Each worker claims its own audit chain; everything else that
must be shared — approvals, keys and the audit log in the database, trust and sessions in Redis
(`MAGISTRATE_REDIS_URL`) — lives outside the process, so workers and replicas are
interchangeable.

The routes live in `server/routes/` (one router per concern), their bodies are parsed by the
pydantic models of `server/models.py` (`server/bodies.py`), and keys are checked by the
dependencies of `server/auth.py`. Blocking work (judging, which may wait on Redis or a `sync`
audit commit; database reads and writes) runs in worker threads, never on the event loop.
Governance fails closed: an error while judging is a `deny` verdict, and an unexpected server
error answers 500 with `"decision": "deny"` (`server/handlers.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import inspect
import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles
from prometheus_client import Histogram as PromHistogram

from magistrate import __version__
from magistrate.config import Settings
from magistrate.governor import Governor
from magistrate.server import routes
from magistrate.server.coalesce import Coalescer
from magistrate.server.core import Server
from magistrate.server.fastlane import FastLane, MagistrateAPI
from magistrate.server.guard import Guard
from magistrate.server.handlers import add_error_handlers
from magistrate.server.models import ActionIn, CheckIn
from magistrate.server.responses import approval_out
from magistrate.server.routes import check
from magistrate.server.routes.operations import STATIC

log = logging.getLogger("magistrate.server")
STATS_EVERY_S = 2.0
GC_YOUNG = 10_000  # allocations between collections of the youngest generation (default 700)
GOVERNANCE_THREADS = 8  # judging in parallel: enough to overlap Redis and database waits
# FastAPI's own OpenTelemetry asks the global providers (reading os.environ) on every request
# to learn it is off; the server's telemetry is magistrate.telemetry, so say it is off once.
NO_NATIVE_TELEMETRY: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters
    else {}
)


def create_app(settings: Settings | None = None, *, governor: Governor | None = None) -> FastAPI:
    """The ASGI app. With no arguments, configured from `MAGISTRATE_*` and `magistrate.toml`
    (the form uvicorn uses: `magistrate.server.app:create_app`, factory)."""
    s = settings or Settings()
    server = Server(s, governor=governor)
    app = MagistrateAPI(
        title="Magistrate",
        version=__version__,
        summary="Constitutional governance for AI agents: every action gets a verdict.",
        description="Submit an action, get `allow`, `deny` or `escalate` with its risk tier, "
        "the constitution's articles that decided it, and an audit record. Escalations wait "
        "for a human approver. Authenticate with `Authorization: Bearer <key>`.",
        lifespan=_lifespan(server),
        **NO_NATIVE_TELEMETRY,
        docs_url=None,  # FastAPI's pages load from a CDN: ours (/docs) are served from here
        redoc_url=None,
    )
    app.state.magistrate = server
    add_error_handlers(app)
    routes.include(app, s)
    app.mount("/dashboard", StaticFiles(directory=STATIC), name="dashboard")
    # Outermost, before the framework's own middleware: the Guard, then the fast lane
    app.outer = Guard(
        FastLane(app, server, s.max_batch),
        max_body=s.max_body_bytes,
        on_request=_timing(server),
        worker=lambda: server.worker_id,
    )
    app.openapi = _openapi(app, s)  # type: ignore[method-assign]
    return app


def _lifespan(server: Server) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        server.executor = ThreadPoolExecutor(GOVERNANCE_THREADS, "magistrate-judge")
        server.coalescer = Coalescer(server.executor, GOVERNANCE_THREADS)
        await anyio.to_thread.run_sync(server.start)
        # Everything built so far (constitution, compiled patterns, caches) lives as long as
        # the worker: keep it out of the collector's full scans, which otherwise pause every
        # request for tens of milliseconds (the p99).
        gc.collect()
        gc.freeze()
        # Each check leaves short-lived containers behind: collecting the youngest generation
        # every 700 allocations, and promoting survivors into full collections of every cached
        # assessment, cost ~10 µs per check and 30 ms pauses; a larger first threshold lets
        # them die young (measured: GC time per check ~12 -> ~4 µs, a third of the full scans).
        thresholds = gc.get_threshold()
        gc.set_threshold(GC_YOUNG, *thresholds[1:])
        approvals = server.gov.approvals
        start = getattr(approvals.wakeups, "start", None) if approvals else None
        if start is not None:
            await start()
        server.tasks.append(asyncio.create_task(_publish_stats(server)))
        log.info("worker %s ready", server.worker_id)
        try:
            yield
        finally:
            for task in server.tasks:
                task.cancel()
            for task in server.tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            if server.feed is not None:
                await server.feed.close()
            if approvals is not None:
                aclose = getattr(approvals.wakeups, "aclose", None)
                if aclose is not None:
                    await aclose()
            with contextlib.suppress(Exception):
                await anyio.to_thread.run_sync(server.publish_stats)
            await anyio.to_thread.run_sync(server.stop)
            server.executor.shutdown(wait=False)  # no new work; a thread still busy finishes
            gc.set_threshold(*thresholds)

    return lifespan


def _timing(server: Server) -> Callable[[str, str, int, float], None]:
    """What the Guard calls after each request: the dashboard's latency and Prometheus'."""
    histogram = PromHistogram(
        "magistrate_http_request_duration_seconds",
        "HTTP request duration by route, method and status",
        ["method", "route", "status"],
        registry=server.registry,
        buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60),
    )
    server.http_latency = histogram
    children: dict[tuple[str, str, int], Any] = {}  # labels() costs µs per request: looked up once

    def on_request(method: str, route: str, status: int, seconds: float) -> None:
        if status == 200 and route == "/v1/check":  # the dashboard's latency: verdicts given
            server.stats.observe_request("check_request", seconds)
        elif status == 200 and route == "/v1/check/batch":
            server.stats.observe_request("batch_request", seconds)
        if route == "/v1/events":
            return
        child = children.get((method, route, status))
        if child is None:
            if len(children) > 10_000:  # methods and statuses are the caller's: bounded
                children.clear()
            child = children[method, route, status] = histogram.labels(method, route, str(status))
        child.observe(seconds)

    return on_request


def _openapi(app: FastAPI, s: Settings) -> Callable[[], dict[str, Any]]:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        # The bodies that `bodies.parse` validates, exactly as it validates them
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (ActionIn, CheckIn, check.batch_model(s.max_batch)):
            spec = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in spec.pop("$defs", {}).items():
                components.setdefault(name, sub)
            components[model.__name__] = spec
        app.openapi_schema = schema
        return schema

    return openapi


async def _publish_stats(server: Server) -> None:
    while True:
        try:
            await anyio.to_thread.run_sync(server.publish_stats)
        except Exception as exc:  # the database is down: the dashboard shows stale figures
            log.warning("publishing worker figures failed: %s", exc)
        await asyncio.sleep(STATS_EVERY_S)


__all__ = ["Server", "approval_out", "create_app"]
