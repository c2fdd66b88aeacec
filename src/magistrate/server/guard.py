"""The outermost ASGI layer: the body size limit (413) before anything reads the body, the
security headers, the answering worker, and each request's timing."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

# The dashboard loads only its own files; nothing from elsewhere, no inline script.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", CSP.encode()),
]


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
        self._headers: list[tuple[bytes, bytes]] = []
        self._for: str | None = None

    def _extra_headers(self) -> list[tuple[bytes, bytes]]:
        worker = self.worker()  # set once the worker has started: built again only then
        if worker != self._for:
            self._headers = [*SECURITY_HEADERS, (b"x-magistrate-worker", worker.encode())]
            self._for = worker
        return self._headers

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method = scope.get("method", "GET")
        length = next((v for k, v in scope.get("headers", ()) if k == b"content-length"), None)
        status = [500]

        async def sending(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message["headers"] = [*message.get("headers", ()), *self._extra_headers()]
            await send(message)

        try:
            refused: tuple[int, str] | None = None
            if length is not None:
                try:
                    size = int(length)
                except ValueError:
                    size, refused = 0, (400, "Content-Length: not a number")
                if size > self.max_body:
                    refused = (413, self._too_large(size))
            elif method in ("POST", "PUT", "PATCH"):
                receive, refused = await self._buffered(receive)
            if refused is not None:
                status[0] = refused[0]
                await _reply(send, *refused)
                return
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.on_request(method, template, status[0], time.perf_counter() - started)

    async def _buffered(self, receive: Receive) -> tuple[Receive, tuple[int, str] | None]:
        """No length given (chunked): read up to the limit here, then replay."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return receive, (413, self._too_large(size, at_least=True))
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

        return replay, None

    def _too_large(self, size: int, at_least: bool = False) -> str:
        more = "over " if at_least else ""
        return (
            f"request body is {more}{size:,} bytes; the limit is {self.max_body:,} bytes "
            "(MAGISTRATE_MAX_BODY_BYTES)"
        )


async def _reply(send: Send, code: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": code, "headers": headers})
    await send({"type": "http.response.body", "body": body})
