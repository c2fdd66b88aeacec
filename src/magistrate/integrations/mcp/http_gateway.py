"""The streamable-HTTP gateway: an MCP endpoint in front of another one. Each HTTP exchange is
relayed (sessions, SSE streams, resumption and the 2026 per-request envelope keep working) and
every JSON-RPC message in the bodies and event streams is governed as the relay does."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from magistrate.governor import Governor
from magistrate.integrations.mcp.content import (
    CLIENT_READS,
    SERVER_PROMPTS,
    judge_content,
    label_of,
)
from magistrate.integrations.mcp.jsonrpc import (
    JSONRPC_INTERNAL_ERROR,
    JSONRPC_INVALID_REQUEST,
    JSONRPC_PARSE_ERROR,
    PendingCall,
    error_response,
    id_key,
    parse_body,
    result_response,
)
from magistrate.integrations.mcp.policy import ProxyOptions, ToolCallGovernor
from magistrate.integrations.mcp.sse import relay_sse

log = logging.getLogger("magistrate.mcp")


HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "accept-encoding",
        "content-encoding",
    }
)
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


class HttpGateway:
    """A streamable-HTTP MCP endpoint in front of another one, governing as the relay does."""

    def __init__(
        self,
        upstream: str,
        governor: Governor,
        options: ProxyOptions,
        *,
        path: str = "/mcp",
        host: str = "127.0.0.1",
        max_body: int | None = None,
        timeout_s: float = 600.0,
    ) -> None:
        if not upstream.startswith(("http://", "https://")):
            raise ValueError(f"--http: expected an http:// or https:// URL; got {upstream!r}")
        self.upstream = upstream
        self.core = ToolCallGovernor(governor, options)
        self.path = path if path.startswith("/") else f"/{path}"
        self.host = host
        self.max_body = max_body
        self.timeout_s = timeout_s
        self.default_session = f"mcp-{uuid.uuid4().hex[:12]}"
        self._client: Any = None
        # tools/call ids forwarded within a session, for results replayed on a resumed stream
        self._calls: dict[tuple[str, str], PendingCall] = {}

    def app(self) -> Any:
        """The ASGI application (Starlette)."""
        from contextlib import asynccontextmanager

        import httpx2
        from mcp.server.transport_security import (
            DEFAULT_MAX_REQUEST_BODY_SIZE,
            RequestBodyLimitMiddleware,
            TransportSecurityMiddleware,
            TransportSecuritySettings,
        )
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import Response
        from starlette.routing import Route

        if self.host in LOOPBACK:
            hosts = ["127.0.0.1", "localhost", "[::1]"]
            security = TransportSecuritySettings(
                enable_dns_rebinding_protection=True,
                allowed_hosts=[h for host in hosts for h in (host, f"{host}:*")],
                allowed_origins=[f"{s}://{h}:*" for s in ("http", "https") for h in hosts]
                + [f"{s}://{h}" for s in ("http", "https") for h in hosts],
            )
        else:
            security = TransportSecuritySettings(enable_dns_rebinding_protection=False)
        checker = TransportSecurityMiddleware(security)

        @asynccontextmanager
        async def lifespan(app: Any) -> AsyncIterator[None]:
            timeout = httpx2.Timeout(self.timeout_s, connect=10.0)
            async with httpx2.AsyncClient(timeout=timeout, follow_redirects=False) as client:
                self._client = client
                yield
            self._client = None

        async def endpoint(request: Request) -> Response:
            problem = await checker.validate_request(request, is_post=request.method == "POST")
            if problem is not None:
                return problem
            response: Response = await self.handle(request)
            return response

        app = Starlette(
            routes=[Route(self.path, endpoint, methods=["GET", "POST", "DELETE"])],
            lifespan=lifespan,
        )
        return RequestBodyLimitMiddleware(app, self.max_body or DEFAULT_MAX_REQUEST_BODY_SIZE)

    async def handle(self, request: Any) -> Any:
        """One HTTP exchange from the client."""
        from starlette.responses import JSONResponse

        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        session_header = request.headers.get("mcp-session-id")
        session = f"http:{session_header}" if session_header else self.default_session
        if request.method != "POST":
            return await self._forward(request.method, headers, None, session_header, {}, set())
        body = await request.body()
        try:
            payload = parse_body(body)
        except (ValueError, UnicodeDecodeError) as exc:
            return JSONResponse(
                error_response(None, JSONRPC_PARSE_ERROR, f"parse error: {exc}"), status_code=400
            )
        messages = payload if isinstance(payload, list) else [payload]
        if not messages or not all(isinstance(m, dict) for m in messages):
            return JSONResponse(
                error_response(None, JSONRPC_INVALID_REQUEST, "expected a JSON-RPC message"),
                status_code=400,
            )
        calls: dict[str, PendingCall] = {}
        lists: set[str] = set()
        answers: list[dict[str, Any]] = []
        for message in messages:
            method = message.get("method")
            if method == "tools/call" and "id" not in message:
                return JSONResponse(
                    error_response(
                        None, JSONRPC_INVALID_REQUEST, "tools/call must be a request with an id"
                    ),
                    status_code=400,
                )
            if "id" in message and method == "tools/call":
                ruling = await self.core.judge_call(message.get("params"), session)
                if not ruling.forward:
                    assert ruling.result is not None
                    answers.append(result_response(message["id"], ruling.result))
                    continue
                params = message.get("params") or {}
                calls[id_key(message["id"])] = PendingCall(str(params.get("name")), session)
            elif "id" in message and method in CLIENT_READS:
                label = label_of(str(method), message.get("params"))
                calls[id_key(message["id"])] = PendingCall(label, session, read=True)
            elif "id" in message and method == "tools/list" and self.core.options.hide_tools:
                lists.add(id_key(message["id"]))
        if answers:
            if not isinstance(payload, list):
                return JSONResponse(answers[0])
            # A batch with a blocked call is answered whole: nothing in it is forwarded.
            blocked = {id_key(a["id"]) for a in answers}
            for message in messages:
                if "id" in message and "method" in message and id_key(message["id"]) not in blocked:
                    answers.append(
                        error_response(
                            message["id"],
                            JSONRPC_INVALID_REQUEST,
                            "not forwarded: this batch held a tool call that governance did not "
                            "allow; send the other messages again without it",
                        )
                    )
            return JSONResponse(answers)
        if session_header:  # a result replayed on a resumed stream is judged too
            for key, call in calls.items():
                self._calls[(session_header, key)] = call
            while len(self._calls) > 10_000:  # bounded: the oldest go first
                self._calls.pop(next(iter(self._calls)))
        content = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        return await self._forward("POST", headers, content, session_header, calls, lists)

    async def _forward(
        self,
        method: str,
        headers: dict[str, str],
        content: bytes | None,
        session_header: str | None,
        calls: dict[str, PendingCall],
        lists: set[str],
    ) -> Any:
        import httpx2
        from starlette.responses import JSONResponse, Response, StreamingResponse

        client = self._client
        assert client is not None, "the gateway's lifespan has not started"
        headers = {**headers, "accept-encoding": "identity"}
        request = client.build_request(method, self.upstream, headers=headers, content=content)
        try:
            upstream = await client.send(request, stream=True)
        except httpx2.HTTPError as exc:
            log.error("upstream %s unreachable: %s", self.upstream, exc)
            return JSONResponse(
                error_response(
                    None, JSONRPC_INTERNAL_ERROR, f"upstream MCP server unreachable: {exc}"
                ),
                status_code=502,
            )
        out_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP}
        content_type = upstream.headers.get("content-type", "").lower()

        async def transform(message: Any) -> Any:
            return await self._from_server(message, session_header, calls, lists)

        if content_type.startswith("text/event-stream"):

            async def events() -> AsyncIterator[bytes]:
                try:
                    async for chunk in relay_sse(upstream.aiter_raw(), transform):
                        yield chunk
                finally:
                    await upstream.aclose()

            return StreamingResponse(
                events(), status_code=upstream.status_code, headers=out_headers
            )
        try:
            body = await upstream.aread()
        finally:
            await upstream.aclose()
        if content_type.startswith("application/json") and body:
            try:
                data = json.loads(body)
            except ValueError:
                data = None
            if isinstance(data, list):
                changed = [await transform(m) for m in data]
                if any(a is not b for a, b in zip(changed, data, strict=True)):
                    body = json.dumps(changed, ensure_ascii=False).encode()
            elif isinstance(data, dict):
                changed_one = await transform(data)
                if changed_one is not data:
                    body = json.dumps(changed_one, ensure_ascii=False).encode()
            elif calls:  # a tool result we cannot read is not passed on
                body = json.dumps(
                    error_response(None, JSONRPC_INTERNAL_ERROR, "unreadable tool result withheld")
                ).encode()
        return Response(body, status_code=upstream.status_code, headers=out_headers)

    async def _from_server(
        self,
        message: Any,
        session_header: str | None,
        calls: dict[str, PendingCall],
        lists: set[str],
    ) -> Any:
        if isinstance(message, list):  # a batch (2025-03-26): each response on its own
            changed = [await self._from_server(m, session_header, calls, lists) for m in message]
            same = all(a is b for a, b in zip(changed, message, strict=True))
            return message if same else changed
        if isinstance(message, dict) and message.get("method") in SERVER_PROMPTS:
            return await self._sampling(message, session_header)
        if not isinstance(message, dict) or "method" in message or "id" not in message:
            return message
        key = id_key(message["id"])
        call = calls.get(key)
        if session_header:
            tracked = self._calls.pop((session_header, key), None)
            call = call or tracked
        if call is not None and call.read:
            if "result" not in message:
                return message
            shown, notice = await judge_content(
                self.core, call.name, message["result"], call.session
            )
            if notice is not None:
                return error_response(message["id"], JSONRPC_INTERNAL_ERROR, notice)
            return {**message, "result": shown}
        judged = await self.core.judge_response(
            call.name if call is not None else None,
            message,
            call.session if call is not None else self.default_session,
        )
        if judged is not None:
            return judged
        if key in lists and "result" in message:
            return {**message, "result": self.core.filter_tools(message["result"])}
        return message

    async def _sampling(self, message: dict[str, Any], session_header: str | None) -> Any:
        """A server's sampling request on a stream: judged as its content. A refused one is
        not passed on (the client is told in a log notification; the server's request goes
        unanswered, i.e. refused), an allowed one reaches the client with credentials masked."""
        session = f"http:{session_header}" if session_header else self.default_session
        label = str(message.get("method"))
        shown, notice = await judge_content(self.core, label, message.get("params"), session)
        if notice is not None:
            log.warning("%s withheld: %s", label, notice)
            return {
                "jsonrpc": "2.0",
                "method": "notifications/message",
                "params": {"level": "warning", "logger": "magistrate", "data": notice},
            }
        return {**message, "params": shown}


async def serve_http(
    upstream: str,
    governor: Governor,
    options: ProxyOptions,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    path: str = "/mcp",
    ready: Callable[[str], None] | None = None,
) -> int:
    """Serve streamable HTTP at http://host:port/path in front of `upstream` until stopped."""
    import uvicorn

    gateway = HttpGateway(upstream, governor, options, path=path, host=host)
    config = uvicorn.Config(
        gateway.app(), host=host, port=port, log_level="warning", lifespan="on", access_log=False
    )
    server = uvicorn.Server(config)
    url = f"http://{host}:{port}{gateway.path}"
    log.info("proxying %s at %s (principal %s)", upstream, url, options.principal)

    async def announce() -> None:
        while not server.started:
            if server.should_exit:
                return
            await asyncio.sleep(0.02)
        if ready is not None:
            ready(url)

    watcher = asyncio.create_task(announce())
    try:
        await server.serve()
    finally:
        watcher.cancel()
    return 0 if server.started else 1


__all__ = [
    "HOP_BY_HOP",
    "LOOPBACK",
    "HttpGateway",
    "serve_http",
]
