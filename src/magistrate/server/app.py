"""The governance server: the HTTP API, the approvals dashboard, health and metrics.

`create_app()` builds the ASGI app; uvicorn calls it once per worker process
(`magistrate serve --workers N`). Each worker claims its own audit chain; everything else that
must be shared — approvals, keys and the audit log in the database, trust and sessions in Redis
(`MAGISTRATE_REDIS_URL`) — lives outside the process, so workers and replicas are
interchangeable.

Blocking work (judging, which may wait on Redis or a `sync` audit commit; database reads and
writes) runs in worker threads, never on the event loop. Governance fails closed: an error
while judging is a `deny` verdict, and an unexpected server error answers 500 with
`"decision": "deny"`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import anyio
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client import Histogram as PromHistogram
from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect

from magistrate import __version__, jsonin
from magistrate.action import Action, principal_name
from magistrate.approvals import ApprovalError, ApprovalRequest, Approvals
from magistrate.audit import verify
from magistrate.audit.query import parse_time
from magistrate.config import Settings
from magistrate.db import AuditFilter, Database, StoreUnavailable, open_database
from magistrate.errors import InvalidAction, SuspensionError
from magistrate.governor import Governor
from magistrate.keys import ApiKey, Keys
from magistrate.levels import Risk
from magistrate.server.auth import acting_principal, require
from magistrate.server.events import DecisionFeed
from magistrate.server.models import (
    ActionIn,
    ApprovalOut,
    ApprovalsOut,
    ApprovalStatus,
    AuditOut,
    BatchIn,
    BatchOut,
    CheckIn,
    KeyCheckIn,
    KeyCheckOut,
    ProblemOut,
    ResolveIn,
    StandingOut,
    VerdictOut,
    VerifyOut,
)
from magistrate.server.operators import add_operator_routes
from magistrate.server.stats import WorkerStats, merge
from magistrate.server.workers import WorkerSlot, host_name
from magistrate.verdict import Verdict

log = logging.getLogger("magistrate.server")
STATIC = Path(__file__).resolve().parent / "static"
STATS_EVERY_S = 2.0
STATS_LIVE_S = 10.0  # a worker that has not published for this long is gone
GOVERNANCE_THREADS = 8  # judging in parallel: enough to overlap Redis and database waits

# The dashboard loads only its own files; nothing from elsewhere, no inline script.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ProblemOut, "description": "No key, or an invalid or revoked key."},
    403: {"model": ProblemOut, "description": "The key's role or principal does not allow it."},
    413: {"model": ProblemOut, "description": "The body is over the size limit."},
    422: {"model": ProblemOut, "description": "Invalid input: `field` names it and the limit."},
}


@dataclass
class Server:
    """Everything one worker serves with."""

    settings: Settings
    governor: Governor | None = None
    keys: Keys | None = None
    db: Database | None = None
    stats: WorkerStats = field(default_factory=lambda: WorkerStats("starting"))
    feed: DecisionFeed | None = None
    worker_id: str = ""
    owns_governor: bool = False
    slot: WorkerSlot | None = None
    limiter: anyio.CapacityLimiter | None = None
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    http_latency: PromHistogram | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    own_db: bool = False
    inline: bool = False  # judge single checks on the event loop (nothing on the path blocks)

    @property
    def gov(self) -> Governor:
        """The governor (started)."""
        if self.governor is None:
            raise HTTPException(503, "the server is starting")
        return self.governor

    @property
    def approvals(self) -> Approvals:
        """The approval store (503 when the audit database is off)."""
        approvals = self.gov.approvals
        if approvals is None:
            raise HTTPException(503, "approvals need the database: set MAGISTRATE_AUDIT=true")
        return approvals

    @property
    def database(self) -> Database:
        """The database holding audit, approvals and keys."""
        if self.db is None:
            raise HTTPException(503, "the server is starting")
        return self.db

    async def judge(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run blocking governance work in a worker thread."""
        return await anyio.to_thread.run_sync(lambda: fn(*args, **kwargs), limiter=self.limiter)

    def observe(self, verdict: Verdict) -> None:
        """Count a verdict for the dashboard."""
        decision = "ungoverned" if verdict.ungoverned else verdict.decision.value
        self.stats.observe_verdict(decision, verdict.risk.value, verdict.timings_ns.get("total", 0))

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Open the stores (blocking: runs in a thread at start-up)."""
        s = self.settings
        if self.governor is None:
            self.slot = WorkerSlot(Path(s.spool_dir))
            self.worker_id = self.slot.id
            chain = f"{s.chain_id}-{self.worker_id}"
            self.governor = Governor.from_settings(s.model_copy(update={"chain_id": chain}))
            self.owns_governor = True
        else:
            self.worker_id = f"{host_name()}-{os.getpid()}-{secrets.token_hex(3)}"
        gov = self.governor
        if gov.audit is not None:
            self.db = gov.audit.db
        else:  # keys still need a database
            self.db = open_database(s.database_url)
            self.own_db = True
        self.keys = Keys(self.db, cache_s=s.key_cache_s, stale_s=s.key_stale_s)
        if gov.approvals is not None:
            gov.approvals.is_approver = self.keys.is_approver
            gov.approvals.poll_s = s.approval_poll_s
        self.stats = WorkerStats(self.worker_id)
        self.feed = DecisionFeed(self.db) if gov.audit is not None else None
        self.inline = nothing_blocks(gov)

    def stop(self) -> None:
        """Flush and close what this worker opened (blocking)."""
        if self.owns_governor and self.governor is not None:
            self.governor.close()
        if self.own_db and self.db is not None:
            self.db.close()
        if self.slot is not None:
            self.slot.release()

    def publish_stats(self) -> None:
        """Write this worker's figures to the database (blocking)."""
        self.database.stats_put(self.worker_id, json.dumps(self.stats.snapshot()), time.time())

    def merged_stats(self) -> dict[str, Any]:
        """Every live worker's figures, merged (blocking: reads the database)."""
        snapshots = {self.worker_id: self.stats.snapshot()}
        try:
            for worker, _, body in self.database.stats_since(time.time() - STATS_LIVE_S):
                if worker != self.worker_id:
                    snapshots[worker] = json.loads(body)
        except Exception as exc:  # the dashboard still gets this worker's own figures
            log.warning("reading worker figures failed: %s", exc)
        return merge(snapshots.values())


def nothing_blocks(gov: Governor) -> bool:
    """True when a check cannot wait on anything remote: trust and sessions in memory, audit
    queued (batched), approvals (escalations only) in a local SQLite file. Then a thread hop
    costs more than the check (tens of µs against a ~40% loss of throughput), so single checks
    run on the event loop; otherwise they run in worker threads."""
    from magistrate.db.sqlite import SQLiteDatabase
    from magistrate.provenance_store import MemoryProvenanceStore
    from magistrate.sessions import MemorySessionStore
    from magistrate.trust import MemoryTrustLedger

    return (
        type(getattr(gov.justica.trust, "inner", gov.justica.trust)) is MemoryTrustLedger
        and type(gov.justica.sessions) is MemorySessionStore
        and type(gov.justica.provenance.store) is MemoryProvenanceStore
        and (gov.audit is None or gov.audit.durability == "batched")
        and (gov.approvals is None or isinstance(gov.approvals.db, SQLiteDatabase))
        and (gov.sofia is None or gov.sofia.llm is None)
    )


def approval_out(request: ApprovalRequest) -> dict[str, Any]:
    """The API form of an approval request."""
    out = request.to_dict()
    status = out["status"]
    out["decision"] = {"approved": "allow", "used": "allow", "pending": "escalate"}.get(
        status, "deny"
    )
    out["age_s"] = round(time.time() - request.requested_at, 3)
    return out


def _json(data: Any, status_code: int = 200) -> Response:
    # backslashreplace: a lone surrogate that slipped into a message is written as its JSON
    # escape (valid JSON) instead of failing the response
    return Response(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(
            "utf-8", "backslashreplace"
        ),
        status_code=status_code,
        media_type="application/json",
    )


def _parse_body(raw: bytes) -> Any:
    """The JSON body: 400 when it is not JSON, 422 when it is over a limit (nesting checked
    on the raw bytes first, so the parser never recurses into hostile depth)."""
    try:
        return jsonin.parse(raw)
    except jsonin.MalformedJSON as exc:
        raise HTTPException(400, str(exc)) from None


def _action(key: ApiKey, data: Any, where: str = "") -> Action:
    """An Action from a JSON object, judged as the principal the key may act as."""
    if not isinstance(data, dict):
        raise InvalidAction(where or "action", f"must be a JSON object; got {type(data).__name__}")
    fields = dict(data)
    fields["principal"] = acting_principal(key, fields.get("principal"), f"{where}principal")
    try:
        return Action.from_dict(fields)
    except InvalidAction as exc:
        if where:
            raise InvalidAction(f"{where}{exc.field}", exc.message) from None
        raise


async def _note(request: Request) -> str | None:
    """The approver's note from an optional `{"note": ...}` body, read whatever the content
    type (as `/v1/check` reads its body): empty means no note."""
    raw = await request.body()
    if not raw.strip():
        return None
    data = _parse_body(raw)
    try:
        return ResolveIn.model_validate(data).note
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first.get("loc", ())) or "body"
        raise InvalidAction(name, str(first.get("msg", "invalid"))) from None


def _batch_items(key: ApiKey, data: Any, limit: int) -> list[Action]:
    """The actions of a batch request body, each judged as the key's principal."""
    if not isinstance(data, dict):
        raise InvalidAction("body", f"must be a JSON object; got {type(data).__name__}")
    actions = data.get("actions")
    if not isinstance(actions, list):
        raise InvalidAction("actions", "must be a list of actions")
    if len(actions) > limit:
        raise InvalidAction("actions", f"has {len(actions):,} actions; the limit is {limit:,}")
    return [_action(key, a, f"actions[{i}].") for i, a in enumerate(actions)]


def _body(model: type[BaseModel], required: bool = True) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": required,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
            },
        }
    }


class Guard:
    """Pure ASGI middleware: the body size limit (413), security headers, the answering worker
    (`X-Magistrate-Worker`), and request timing for the dashboard and Prometheus."""

    def __init__(
        self,
        app: Callable[..., Awaitable[None]],
        max_body: int,
        on_request: Callable[[str, str, int, float], None],
        worker: Callable[[], str],
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.on_request = on_request
        self.worker = worker

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
        send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method = scope.get("method", "GET")
        length = next((v for k, v in scope.get("headers", ()) if k == b"content-length"), None)
        status = [500]

        async def reply(code: int, detail: str) -> None:
            status[0] = code
            body = json.dumps({"detail": detail}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": code,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"connection", b"close"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})

        async def sending(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"content-security-policy", CSP.encode()),
                    (b"x-magistrate-worker", self.worker().encode()),
                ]
                message["headers"] = headers
            await send(message)

        try:
            if length is not None:
                try:
                    size = int(length)
                except ValueError:
                    await reply(400, "Content-Length: not a number")
                    return
                if size > self.max_body:
                    await reply(413, self._too_large(size))
                    return
            elif method in ("POST", "PUT", "PATCH"):
                # No length given (chunked): read up to the limit here, then replay.
                chunks: list[bytes] = []
                size = 0
                while True:
                    message = await receive()
                    if message["type"] != "http.request":
                        break
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.max_body:
                        await reply(413, self._too_large(size, at_least=True))
                        return
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
                whole = b"".join(chunks)
                replayed = False

                async def replay() -> MutableMapping[str, Any]:
                    nonlocal replayed
                    if not replayed:
                        replayed = True
                        return {"type": "http.request", "body": whole, "more_body": False}
                    return await receive()

                receive = replay
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.on_request(method, template, status[0], time.perf_counter() - started)

    def _too_large(self, size: int, at_least: bool = False) -> str:
        more = "over " if at_least else ""
        return (
            f"request body is {more}{size:,} bytes; the limit is {self.max_body:,} bytes "
            "(MAGISTRATE_MAX_BODY_BYTES)"
        )


def create_app(settings: Settings | None = None, *, governor: Governor | None = None) -> FastAPI:
    """The ASGI app. With no arguments, configured from `MAGISTRATE_*` and `magistrate.toml`
    (the form uvicorn uses: `magistrate.server.app:create_app`, factory)."""
    s = settings or Settings()
    server = Server(s, governor=governor)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        server.limiter = anyio.CapacityLimiter(GOVERNANCE_THREADS)
        await anyio.to_thread.run_sync(server.start)
        # Everything built so far (constitution, compiled patterns, caches) lives as long as
        # the worker: keep it out of the collector's full scans, which otherwise pause every
        # request for tens of milliseconds (the p99).
        gc.collect()
        gc.freeze()
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

    app = FastAPI(
        title="Magistrate",
        version=__version__,
        summary="Constitutional governance for AI agents: every action gets a verdict.",
        description="Submit an action, get `allow`, `deny` or `escalate` with its risk tier, "
        "the constitution's articles that decided it, and an audit record. Escalations wait "
        "for a human approver. Authenticate with `Authorization: Bearer <key>`.",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's pages load from a CDN: ours (/docs) are served from here
        redoc_url=None,
    )
    app.state.magistrate = server
    server.http_latency = PromHistogram(
        "magistrate_http_request_duration_seconds",
        "HTTP request duration by route, method and status",
        ["method", "route", "status"],
        registry=server.registry,
        buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60),
    )

    def on_request(method: str, route: str, status: int, seconds: float) -> None:
        if status == 200 and route == "/v1/check":  # the dashboard's latency: verdicts given
            server.stats.observe_request("check_request", seconds)
        elif status == 200 and route == "/v1/check/batch":
            server.stats.observe_request("batch_request", seconds)
        if server.http_latency is not None and route != "/v1/events":
            server.http_latency.labels(method, route, str(status)).observe(seconds)

    app.add_middleware(
        Guard, max_body=s.max_body_bytes, on_request=on_request, worker=lambda: server.worker_id
    )
    _errors(app)
    _routes(app, server, s)
    add_operator_routes(app, server)  # API docs, principals view, audit browser
    app.mount("/dashboard", StaticFiles(directory=STATIC), name="dashboard")

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
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (ActionIn, CheckIn, BatchIn):
            spec = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in spec.pop("$defs", {}).items():
                components.setdefault(name, sub)
            components[model.__name__] = spec
        components["BatchIn"]["properties"]["actions"]["maxItems"] = s.max_batch
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


async def _publish_stats(server: Server) -> None:
    while True:
        try:
            await anyio.to_thread.run_sync(server.publish_stats)
        except Exception as exc:  # the database is down: the dashboard shows stale figures
            log.warning("publishing worker figures failed: %s", exc)
        await asyncio.sleep(STATS_EVERY_S)


def _errors(app: FastAPI) -> None:
    @app.exception_handler(InvalidAction)
    async def invalid_action(request: Request, exc: InvalidAction) -> Response:
        return _json({"detail": str(exc), "field": exc.field}, 422)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        first = errors[0] if errors else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        name = ".".join(loc) or "body"
        message = str(first.get("msg", "invalid"))
        return _json({"detail": f"{name}: {message}", "field": name}, 422)

    @app.exception_handler(ClientDisconnect)
    async def client_gone(request: Request, exc: ClientDisconnect) -> Response:
        # The caller left before sending its whole body: nothing was judged, nobody to answer.
        return Response(status_code=400)

    @app.exception_handler(StoreUnavailable)
    async def store_down(request: Request, exc: StoreUnavailable) -> Response:
        log.warning("store unavailable on %s %s: %s", request.method, request.url.path, exc)
        return _json({"detail": f"store unavailable: {exc}", "decision": "deny"}, 503)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        # A client that reads only `decision` still fails closed.
        return _json({"detail": f"internal error: {type(exc).__name__}", "decision": "deny"}, 500)


def _routes(app: FastAPI, server: Server, s: Settings) -> None:
    checker = require("agent", "admin")
    approver = require("approver", "admin")
    admin = require("admin")
    anyone = require("agent", "approver", "admin")

    # ------------------------------------------------------------------ checking
    @app.post(
        "/v1/check",
        tags=["check"],
        response_model=VerdictOut,
        responses=ERRORS,
        openapi_extra=_body(CheckIn),
        summary="Judge one action",
    )
    async def check(request: Request, key: ApiKey = Depends(checker)) -> Response:  # noqa: B008
        """The verdict for one action: allow, deny or escalate (then poll the approval)."""
        data = _parse_body(await request.body())
        floor: Risk | None = None
        if isinstance(data, dict) and data.get("min_risk") is not None:
            try:
                floor = Risk.parse(data["min_risk"])
            except ValueError as exc:
                raise InvalidAction("min_risk", str(exc)) from None
        action = _action(key, data)
        gov = server.gov
        if server.inline:
            verdict = gov.check(action, min_risk=floor)
        elif gov.sofia is not None and gov.sofia.llm is not None:
            # Sofia's System 2 asked on this loop, concurrently; the stores in a thread
            verdict = await gov.acheck(action, min_risk=floor, threaded=True)
        else:
            verdict = await server.judge(gov.check, action, min_risk=floor)
        server.observe(verdict)
        return _json(verdict.to_dict())

    @app.post(
        "/v1/check/batch",
        tags=["check"],
        response_model=BatchOut,
        responses=ERRORS,
        openapi_extra=_body(BatchIn),
        summary="Judge many actions",
    )
    async def check_batch(
        request: Request,
        key: ApiKey = Depends(checker),  # noqa: B008
    ) -> Response:
        """Verdicts for up to `max_batch` actions, in order, with one pattern scan."""
        raw = await request.body()
        gov = server.gov
        if not server.inline and gov.sofia is not None and gov.sofia.llm is not None:
            # Sofia's System 2: the batch's consultations go out at once, on this loop
            items = await asyncio.to_thread(
                lambda: _batch_items(key, _parse_body(raw), s.max_batch)
            )
            verdicts = await gov.acheck_many(items, threaded=True)
            for verdict in verdicts:
                server.observe(verdict)
            out = {"verdicts": [v.to_dict() for v in verdicts]}
            body = json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode()
            return Response(body, media_type="application/json")

        def judge() -> bytes:
            items = _batch_items(key, _parse_body(raw), s.max_batch)
            with contextlib.ExitStack() as stack:
                batch = getattr(gov.trust, "batch", None)  # Redis: one read for the batch
                if batch is not None:
                    try:
                        stack.enter_context(batch([a.principal for a in items]))
                    except Exception:  # unreachable: each check below fails closed itself
                        log.warning("trust prefetch failed; judging without it", exc_info=True)
                verdicts = gov.check_many(items)
            for verdict in verdicts:
                server.observe(verdict)
            out = {"verdicts": [v.to_dict() for v in verdicts]}
            return json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode()

        body = await server.judge(judge)
        return Response(body, media_type="application/json")

    # ------------------------------------------------------------------ approvals
    @app.get(
        "/v1/approvals",
        tags=["approvals"],
        response_model=ApprovalsOut,
        responses=ERRORS,
        summary="List approval requests",
    )
    async def approvals_list(
        status: ApprovalStatus | None = Query(  # noqa: B008
            None, description="Only this status; `pending` excludes expired requests."
        ),
        limit: int = Query(100, ge=1, le=1000),
        key: ApiKey = Depends(approver),  # noqa: B008
    ) -> Response:
        """Approval requests, newest first."""
        approvals = server.approvals
        requests = await server.judge(approvals.list, status, limit)
        return _json({"approvals": [approval_out(r) for r in requests]})

    @app.get(
        "/v1/approvals/{approval_id}",
        tags=["approvals"],
        response_model=ApprovalOut,
        responses={**ERRORS, 404: {"model": ProblemOut, "description": "No such request."}},
        summary="One approval request (long-poll with ?wait=)",
    )
    async def approvals_get(
        approval_id: str = PathParam(..., max_length=100),
        wait: float = Query(
            0,
            ge=0,
            le=s.max_wait_s,
            description="Seconds to wait while the request is pending; returns as soon as a "
            "human resolves it, on whichever server.",
        ),
        key: ApiKey = Depends(anyone),  # noqa: B008
    ) -> Response:
        """The request; an agent key may read only requests of principals it acts as."""
        approvals = server.approvals
        request = await _get_approval(server, approvals, approval_id)
        if key.role == "agent" and not key.may_act_as_principal(request.principal):
            raise HTTPException(
                403,
                f"key {key.name!r} may read only approvals of the principals it acts as; this "
                f"one is {request.principal!r}'s",
            )
        if wait > 0 and request.effective_status == "pending":
            request = await approvals.wait(approval_id, wait)
        return _json(approval_out(request))

    async def resolve(approval_id: str, key: ApiKey, http: Request, approve: bool) -> Response:
        approvals = server.approvals
        act = approvals.approve if approve else approvals.deny
        note = await _note(http)
        try:
            request = await server.judge(act, approval_id, key, note)
        except ApprovalError as exc:
            code = {"not_found": 404, "forbidden": 403, "expired": 409}.get(exc.reason, 409)
            raise HTTPException(code, str(exc)) from None
        return _json(approval_out(request))

    resolve_responses = {
        **ERRORS,
        404: {"model": ProblemOut, "description": "No such request."},
        409: {"model": ProblemOut, "description": "Already resolved, or expired."},
    }

    @app.post(
        "/v1/approvals/{approval_id}/approve",
        tags=["approvals"],
        response_model=ApprovalOut,
        responses=resolve_responses,
        openapi_extra=_body(ResolveIn, required=False),
        summary="Approve a pending request",
    )
    async def approvals_approve(
        request: Request,
        approval_id: str = PathParam(..., max_length=100),
        key: ApiKey = Depends(approver),  # noqa: B008
    ) -> Response:
        """Allow the action once; nobody approves their own request."""
        return await resolve(approval_id, key, request, approve=True)

    @app.post(
        "/v1/approvals/{approval_id}/deny",
        tags=["approvals"],
        response_model=ApprovalOut,
        responses=resolve_responses,
        openapi_extra=_body(ResolveIn, required=False),
        summary="Deny a pending request",
    )
    async def approvals_deny(
        request: Request,
        approval_id: str = PathParam(..., max_length=100),
        key: ApiKey = Depends(approver),  # noqa: B008
    ) -> Response:
        """Refuse the action."""
        return await resolve(approval_id, key, request, approve=False)

    # ------------------------------------------------------------------ principals
    @app.get(
        "/v1/principals/{principal}",
        tags=["principals"],
        response_model=StandingOut,
        responses=ERRORS,
        summary="A principal's trust and suspension",
    )
    async def principal_get(
        principal: str = PathParam(..., max_length=256),
        key: ApiKey = Depends(approver),  # noqa: B008
    ) -> Response:
        """The principal's current trust score (decay applied) and suspension."""
        principal = principal_name(principal) or ""
        state = await server.judge(server.gov.trust.state, principal)
        return _json(
            {
                "principal": principal,
                "trust": round(state.score, 6),
                "suspended": state.suspended,
                "reason": state.reason,
            }
        )

    @app.post(
        "/v1/principals/{principal}/lift-suspension",
        tags=["principals"],
        response_model=StandingOut,
        responses={**ERRORS, 409: {"model": ProblemOut, "description": "Not suspended."}},
        openapi_extra=_body(ResolveIn, required=False),
        summary="Lift a principal's suspension",
    )
    async def principal_lift(
        request: Request,
        principal: str = PathParam(..., max_length=256),
        key: ApiKey = Depends(approver),  # noqa: B008
    ) -> Response:
        """Let a suspended principal act again (trust raised to just above the threshold);
        recorded in the audit log. Nobody lifts their own suspension."""
        gov = server.gov
        note = await _note(request)
        principal = principal_name(principal) or ""

        def lift() -> dict[str, Any]:
            gov.lift_suspension(principal, key)  # the approver is the key's holder
            if gov.audit is not None:
                gov.audit.record_event(
                    "suspension",
                    f"lift-{secrets.token_hex(8)}",
                    principal,
                    "allow",
                    "LOW",
                    {"status": "lifted", "resolved_by": key.name, "note": note},
                )
            state = gov.trust.state(principal)
            return {
                "principal": principal,
                "trust": round(state.score, 6),
                "suspended": state.suspended,
                "reason": state.reason,
            }

        try:
            return _json(await server.judge(lift))
        except SuspensionError as exc:
            code = 403 if "own suspension" in str(exc) else 409
            raise HTTPException(code, str(exc)) from None
        except ApprovalError as exc:
            raise HTTPException(403, str(exc)) from None

    # ------------------------------------------------------------------ audit
    @app.get(
        "/v1/audit",
        tags=["audit"],
        response_model=AuditOut,
        responses=ERRORS,
        summary="Read audit records",
    )
    async def audit(
        since: str | None = Query(None, description="ISO time or age (30m, 12h, 7d)."),
        until: str | None = Query(None, description="ISO time or age; exclusive."),
        principal: str | None = Query(None, max_length=256),
        decision: Literal["allow", "escalate", "deny", "ungoverned"] | None = None,
        risk: Literal["LOW", "MEDIUM", "HIGH", "CRITICAL"] | None = None,
        chain: str | None = Query(None, max_length=300, description="One chain id."),
        type: Literal["verdict", "approval", "suspension"] | None = None,
        after_id: int | None = Query(None, ge=0, le=2**62),
        limit: int = Query(100, ge=1, le=10_000),
        order: Literal["asc", "desc"] = Query(
            "asc", description="asc pages with after_id; desc gives the newest `limit`."
        ),
        key: ApiKey = Depends(admin),  # noqa: B008
    ) -> Response:
        """Stored records, filtered as in `magistrate audit export`."""
        try:
            since_at = parse_time(since) if since else None
            until_at = parse_time(until) if until else None
        except ValueError as exc:
            field_name = "since" if since and until is None else "since/until"
            raise InvalidAction(field_name, str(exc)) from None
        where = AuditFilter(
            chain_id=chain,
            since=since_at,
            until=until_at,
            principal=principal,
            decision=decision,
            risk=risk,
            type=type,
            after_id=after_id if order == "asc" else None,
        )

        def read() -> dict[str, Any]:
            rows = list(server.database.audit_rows(where, limit, newest_first=order == "desc"))
            records = []
            for row in rows:
                body = json.loads(row.body)
                body["hash"], body["row_id"] = row.hash, row.row_id
                records.append(body)
            last = rows[-1].row_id if rows and order == "asc" and len(rows) == limit else None
            return {"records": records, "next_after_id": last}

        return _json(await server.judge(read))

    @app.get(
        "/v1/audit/verify",
        tags=["audit"],
        response_model=VerifyOut,
        responses=ERRORS,
        summary="Verify every audit chain",
    )
    async def audit_verify(key: ApiKey = Depends(admin)) -> Response:  # noqa: B008
        """Every chain's hashes, sequence and links checked (as `magistrate audit verify`)."""

        def run() -> dict[str, Any]:
            gov = server.gov
            if gov.audit is not None:
                gov.audit.flush(10)  # this worker's queued records are part of its chain
            reports = verify(server.database, *(gov.audit.verifiers() if gov.audit else ()))
            return {
                "ok": all(r.ok for r in reports),
                "chains": [{k: getattr(r, k) for k in r.__slots__} for r in reports],
            }

        return _json(await server.judge(run))

    # ------------------------------------------------------------------ status, stream
    @app.get("/v1/status", tags=["status"], responses=ERRORS, summary="Server and governance")
    async def status(key: ApiKey = Depends(anyone)) -> Response:  # noqa: B008
        """Constitution, mode, stores, this worker, and decision counts and latency over every
        live worker."""
        gov = server.gov

        def read() -> dict[str, Any]:
            info = gov.status()
            info["server"] = {
                "version": __version__,
                "worker": server.worker_id,
                "pid": os.getpid(),
                "chain": gov.audit.chain_id if gov.audit else None,
                "started_at": server.stats.started_at,
                "stream_subscribers": server.feed.subscribers if server.feed else 0,
            }
            info["stats"] = server.merged_stats()
            try:
                info["approvals_pending"] = (
                    gov.approvals.pending_count() if gov.approvals is not None else 0
                )
            except Exception:
                info["approvals_pending"] = None
            sofia = info.get("sofia")
            if sofia and key.role not in ("approver", "admin"):
                # What System 2 reads (and where it runs) tells an agent how to word an action
                # so that no model reads it: only approvers and admins see the read policy.
                info["sofia"] = {"system2": bool(sofia.get("system2"))}
            return info

        return _json(await server.judge(read))

    @app.post(
        "/v1/keys/verify",
        tags=["status"],
        response_model=KeyCheckOut,
        responses={422: ERRORS[422]},
        summary="Is this key valid? (sign-in)",
    )
    async def keys_verify(body: KeyCheckIn) -> Response:
        """Whether a key is valid, with its name and role: 200 either way, so a sign-in form
        can say "not valid" without a failed request."""
        keys = server.keys
        if keys is None:
            raise HTTPException(503, "the server is starting")
        key = keys.peek(body.key) or await server.judge(keys.authenticate, body.key)
        if key is None:
            return _json({"valid": False, "detail": "invalid or revoked API key"})
        return _json({"valid": True, **key.to_dict()})

    @app.get("/v1/whoami", tags=["status"], responses=ERRORS, summary="The calling key")
    async def whoami(key: ApiKey = Depends(anyone)) -> Response:  # noqa: B008
        """The key's name (its principal), role and pattern."""
        return _json(key.to_dict())

    @app.get(
        "/v1/events",
        tags=["status"],
        responses={**ERRORS, 200: {"content": {"text/event-stream": {}}}},
        summary="Live decisions (server-sent events)",
    )
    async def events(request: Request, key: ApiKey = Depends(approver)) -> Response:  # noqa: B008
        """Every audit record as it is stored, from every worker: `event: verdict` or
        `event: approval`, data a JSON summary. Starts with the most recent records."""
        feed = server.feed
        if feed is None:
            raise HTTPException(503, "the decision stream reads the audit log, which is off")

        async def stream() -> AsyncIterator[bytes]:
            yield b"retry: 2000\n\n"
            async with feed.subscribe() as queue:
                while True:
                    try:
                        event = await asyncio.wait_for(queue.get(), 15)
                    except TimeoutError:
                        yield b": keep-alive\n\n"
                        continue
                    if event is None:
                        return
                    data = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
                    yield f"id: {event['id']}\nevent: {event['type']}\ndata: {data}\n\n".encode()

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    # ------------------------------------------------------------------ operations
    @app.get("/healthz", tags=["operations"], summary="Liveness")
    async def healthz() -> dict[str, str]:
        """200 while the process serves requests."""
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["operations"],
        summary="Readiness",
        responses={503: {"description": "A store is unreachable."}},
    )
    async def readyz() -> Response:
        """200 when the database (and Redis, when configured) answer; 503 naming what does
        not."""
        checks: dict[str, str] = {}

        def probe() -> None:
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

        if server.governor is None:
            return _json({"ready": False, "checks": {"server": "starting"}}, 503)
        try:
            with anyio.fail_after(5):
                await anyio.to_thread.run_sync(probe)
        except TimeoutError:
            checks.setdefault("database", "timed out")
        ready = all(v == "ok" for v in checks.values())
        return _json({"ready": ready, "checks": checks}, 200 if ready else 503)

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics",
        responses={200: {"content": {"text/plain": {}}}},
    )
    async def metrics() -> Response:
        """This worker's metrics in the Prometheus text format."""
        gov = server.gov

        def render() -> bytes:
            text = gov.telemetry.prometheus_text() if gov.telemetry is not None else b""
            return text + bytes(generate_latest(server.registry))

        return Response(
            await anyio.to_thread.run_sync(render),
            media_type="text/plain; version=0.0.4; charset=utf-8",
        )

    @app.get("/", include_in_schema=False)
    async def dashboard() -> HTMLResponse:
        """The approvals dashboard."""
        return HTMLResponse((STATIC / "index.html").read_text(encoding="utf-8"))


async def _get_approval(server: Server, approvals: Approvals, approval_id: str) -> ApprovalRequest:
    try:
        request: ApprovalRequest = await server.judge(approvals.get, approval_id)
    except ApprovalError as exc:
        raise HTTPException(404, str(exc)) from None
    return request


__all__ = ["Server", "approval_out", "create_app"]
