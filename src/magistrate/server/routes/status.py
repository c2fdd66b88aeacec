"""Status, the calling key, key sign-in, and the live decision stream."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response, StreamingResponse

from magistrate import __version__
from magistrate.keys import ApiKey
from magistrate.server.auth import require
from magistrate.server.core import Server, current
from magistrate.server.models import KeyCheckIn, KeyCheckOut
from magistrate.server.responses import ERRORS, json_response

Anyone = Annotated[ApiKey, Depends(require("agent", "approver", "admin"))]
Approver = Annotated[ApiKey, Depends(require("approver", "admin"))]
router = APIRouter(tags=["status"])


def _status(server: Server, key: ApiKey) -> dict[str, Any]:
    gov = server.gov
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


@router.get("/v1/status", responses=ERRORS, summary="Server and governance")
async def status(request: Request, key: Anyone) -> Response:
    """Constitution, mode, stores, this worker, and decision counts and latency over every
    live worker."""
    server = current(request)
    server.gov  # noqa: B018 - 503 while starting, before a thread is taken
    return json_response(await server.judge(_status, server, key))


@router.post(
    "/v1/keys/verify",
    response_model=KeyCheckOut,
    responses={422: ERRORS[422]},
    summary="Is this key valid? (sign-in)",
)
async def keys_verify(request: Request, body: KeyCheckIn) -> Response:
    """Whether a key is valid, with its name and role: 200 either way, so a sign-in form
    can say "not valid" without a failed request."""
    server = current(request)
    keys = server.keys
    if keys is None:
        raise HTTPException(503, "the server is starting")
    key = keys.peek(body.key) or await server.judge(keys.authenticate, body.key)
    if key is None:
        return json_response({"valid": False, "detail": "invalid or revoked API key"})
    return json_response({"valid": True, **key.to_dict()})


@router.get("/v1/whoami", responses=ERRORS, summary="The calling key")
async def whoami(key: Anyone) -> Response:
    """The key's name (its principal), role and pattern."""
    return json_response(key.to_dict())


@router.get(
    "/v1/events",
    responses={**ERRORS, 200: {"content": {"text/event-stream": {}}}},
    summary="Live decisions (server-sent events)",
)
async def events(request: Request, key: Approver) -> Response:
    """Every audit record as it is stored, from every worker: `event: verdict` or
    `event: approval`, data a JSON summary. Starts with the most recent records."""
    feed = current(request).feed
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
