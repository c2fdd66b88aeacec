"""How errors are answered: invalid input 422 naming the field, a store down 503, anything
unexpected 500 — each with `"decision": "deny"` where a client might read only that."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.requests import ClientDisconnect

from magistrate.db import StoreUnavailable
from magistrate.errors import InvalidAction
from magistrate.server.responses import json_response

log = logging.getLogger("magistrate.server")


def add_error_handlers(app: FastAPI) -> None:
    """Register the handlers."""

    @app.exception_handler(InvalidAction)
    async def invalid_action(request: Request, exc: InvalidAction) -> Response:
        return json_response({"detail": str(exc), "field": exc.field}, 422)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        first = errors[0] if errors else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        name = ".".join(loc) or "body"
        message = str(first.get("msg", "invalid"))
        return json_response({"detail": f"{name}: {message}", "field": name}, 422)

    @app.exception_handler(ClientDisconnect)
    async def client_gone(request: Request, exc: ClientDisconnect) -> Response:
        # The caller left before sending its whole body: nothing was judged, nobody to answer.
        return Response(status_code=400)

    @app.exception_handler(StoreUnavailable)
    async def store_down(request: Request, exc: StoreUnavailable) -> Response:
        log.warning("store unavailable on %s %s: %s", request.method, request.url.path, exc)
        return json_response({"detail": f"store unavailable: {exc}", "decision": "deny"}, 503)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        # A client that reads only `decision` still fails closed.
        return json_response(
            {"detail": f"internal error: {type(exc).__name__}", "decision": "deny"}, 500
        )
