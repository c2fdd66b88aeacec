"""The fast lane: `POST /v1/check` and `POST /v1/check/batch` answered in plain ASGI, in front
of the framework.

The framework's path for a check — its error middlewares, routing over every route, the
dependency solver, a Request and a Response object — cost more CPU than judging a cached action.
The fast lane answers the two verdict routes with the same functions the routes call
(`verdict_body`, `batch_body`), so what is judged, audited, counted and returned is the same.
It takes a request only when the key is one the route would admit without a database read (a
valid `Bearer` key of an admitted role, checked within `key_cache_s`); any other request goes to
the framework whole, which answers it (401, 403, the first read of a key) exactly as before. An
error raised while answering goes to the app's own exception handlers, as the framework would
send it, so status codes and error bodies are the same. The Guard (body limit, security
headers, timing) stays in front of both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette._utils import is_async_callable
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request

from magistrate.keys import ApiKey
from magistrate.server.core import Server
from magistrate.server.routes.check import batch_body, batch_model, verdict_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Lane = Callable[[Server, ApiKey, bytes], Awaitable[bytes]]
ADMITTED = ("agent", "admin")  # the roles the check routes require (routes/check.py)


class MagistrateAPI(FastAPI):
    """FastAPI whose requests pass first through `outer` (the Guard and the fast lane) when
    set; the framework's own handling is `framework`."""

    outer: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection."""
        if self.outer is None:
            await self.framework(scope, receive, send)
        else:
            await self.outer(scope, receive, send)

    async def framework(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The framework's handling: middleware, routing, dependencies, handlers."""
        await FastAPI.__call__(self, scope, receive, send)


class FastLane:
    """Plain-ASGI answers for the verdict routes; everything else goes to `app.framework`."""

    def __init__(self, app: MagistrateAPI, server: Server, max_batch: int) -> None:
        self.app = app
        self.server = server
        model = batch_model(max_batch)

        async def batch(server: Server, key: ApiKey, raw: bytes) -> bytes:
            return await batch_body(server, key, raw, model)

        lanes: dict[str, Lane] = {"/v1/check": verdict_body, "/v1/check/batch": batch}
        self.lanes: dict[str, tuple[Lane, APIRoute]] = {}
        for route in _api_routes(app.routes):  # the routes' own objects: the Guard's timing
            if route.path in lanes and "POST" in (route.methods or ()):
                self.lanes[route.path] = (lanes[route.path], route)
        if len(self.lanes) != len(lanes):  # a framework that hides its routes: fail at start
            raise RuntimeError(f"fast lane: routes not found: {set(lanes) - set(self.lanes)}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a verdict route here when the request qualifies; pass anything else on."""
        lane = None
        if scope["type"] == "http" and scope["method"] == "POST" and not scope.get("root_path"):
            lane = self.lanes.get(scope["path"])
        key = self._key(scope) if lane is not None else None
        if lane is None or key is None:
            await self.app.framework(scope, receive, send)
            return
        judge, route = lane
        scope["app"] = self.app
        scope["route"] = route
        try:
            body = await judge(self.server, key, await _read(receive))
        except Exception as exc:
            await self._error(scope, receive, send, exc)
            return
        headers = [
            (b"content-length", str(len(body)).encode()),
            (b"content-type", b"application/json"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _key(self, scope: Scope) -> ApiKey | None:
        """The request's key when the route would admit it from the cache (as `KeyAuth` reads
        it: the first Authorization header, `Bearer <key>`); None sends it to the framework."""
        keys = self.server.keys
        if keys is None:
            return None
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, token = value.decode("latin-1").partition(" ")
                token = token.strip()
                if scheme.lower() != "bearer" or not token:
                    return None
                key = keys.peek(token)
                return key if key is not None and key.role in ADMITTED else None
        return None

    async def _error(self, scope: Scope, receive: Receive, send: Send, exc: Exception) -> None:
        """Answer `exc` as the framework does: the app's handler for it (by status for an
        HTTPException, then by class), else its 500 handler and the exception raised on."""
        handlers = self.app.exception_handlers
        handler = handlers.get(exc.status_code) if isinstance(exc, HTTPException) else None
        if handler is None:
            handler = next(
                (handlers[c] for c in type(exc).__mro__ if c in handlers and c is not Exception),
                None,
            )
        last_resort = handler is None
        if handler is None:
            handler = handlers.get(500) or handlers.get(Exception)
        if handler is None:
            raise exc
        request = Request(scope, receive)
        if is_async_callable(handler):
            response = await handler(request, exc)
        else:
            response = await run_in_threadpool(handler, request, exc)
        if response is not None:
            await response(scope, receive, send)
        if last_resort:  # as Starlette's error middleware: the server logs it too
            raise exc


def _api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """Every APIRoute of the app, also inside included routers (which FastAPI keeps whole)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _api_routes(inner.routes)


async def _read(receive: Receive) -> bytes:
    """The whole request body, as Starlette's `Request.body()` reads it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            if chunk:
                chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect()
