"""`POST /v1/check` and `POST /v1/check/batch`: the verdicts."""

from __future__ import annotations

import asyncio
import functools
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import Field, create_model

from magistrate.action import Action
from magistrate.config import Settings
from magistrate.keys import ApiKey
from magistrate.levels import Risk
from magistrate.server.auth import require
from magistrate.server.bodies import action, parse, parse_json
from magistrate.server.core import Server, current
from magistrate.server.models import ActionIn, BatchIn, BatchOut, CheckIn, VerdictOut
from magistrate.server.responses import ERRORS, body_spec, dumps

Checker = Annotated[ApiKey, Depends(require("agent", "admin"))]


@functools.cache
def batch_model(max_batch: int) -> type[BatchIn]:
    """BatchIn with this server's limit on the number of actions (`max_batch`)."""
    model: type[BatchIn] = create_model(
        "BatchIn",
        __base__=BatchIn,
        __doc__=BatchIn.__doc__,
        actions=(list[ActionIn], Field(max_length=max_batch)),
    )
    return model


async def verdict_body(server: Server, key: ApiKey, raw: bytes) -> bytes:
    """The JSON verdict for one action's body, judged as `key` allows (raises what the error
    handlers answer: 400, 403, 422, 503). The route below and the fast lane both answer this."""
    body = parse(CheckIn, parse_json(raw), "action")
    floor = Risk.parse(body.min_risk) if body.min_risk is not None else None
    act = action(key, body)
    gov = server.gov
    if server.inline:
        verdict = gov.check(act, min_risk=floor)
    elif gov.sofia is not None and gov.sofia.llm is not None:
        # Sofia's System 2 asked on this loop, concurrently; the stores in a thread
        verdict = await gov.acheck(act, min_risk=floor, threaded=True)
    else:
        verdict = await server.check(act, floor)
    server.observe(verdict)
    return dumps(verdict.to_dict())


async def batch_body(server: Server, key: ApiKey, raw: bytes, model: type[BatchIn]) -> bytes:
    """The JSON verdicts for a batch body (`model` holds the server's batch limit)."""
    gov = server.gov
    if not server.inline and gov.sofia is not None and gov.sofia.llm is not None:
        # Sofia's System 2: the batch's consultations go out at once, on this loop
        items = await asyncio.to_thread(_items, key, raw, model)
        verdicts = await gov.acheck_many(items, threaded=True)
        for verdict in verdicts:
            server.observe(verdict)
        return dumps({"verdicts": [v.to_dict() for v in verdicts]})
    body: bytes = await server.judge(lambda: _judge_batch(server, _items(key, raw, model)))
    return body


async def check(request: Request, key: Checker) -> Response:
    """The verdict for one action: allow, deny or escalate (then poll the approval)."""
    body = await verdict_body(current(request), key, await request.body())
    return Response(body, media_type="application/json")


def _items(key: ApiKey, raw: bytes, model: type[BatchIn]) -> list[Action]:
    """The actions of a batch body, each judged as the key's principal."""
    body = parse(model, parse_json(raw))
    return [action(key, a, f"actions[{i}].") for i, a in enumerate(body.actions)]


def _judge_batch(server: Server, items: list[Action]) -> bytes:
    verdicts = server.gov.check_many(items)  # a shared trust ledger: one round trip for all
    for verdict in verdicts:
        server.observe(verdict)
    return dumps({"verdicts": [v.to_dict() for v in verdicts]})


def router(s: Settings) -> APIRouter:
    """The checking routes, with this server's batch limit."""
    model = batch_model(s.max_batch)
    r = APIRouter(tags=["check"])
    r.add_api_route(
        "/v1/check",
        check,
        methods=["POST"],
        response_model=VerdictOut,
        responses=ERRORS,
        openapi_extra=body_spec(CheckIn),
        summary="Judge one action",
    )

    async def check_batch(request: Request, key: Checker) -> Response:
        """Verdicts for up to `max_batch` actions, in order, with one pattern scan."""
        body = await batch_body(current(request), key, await request.body(), model)
        return Response(body, media_type="application/json")

    r.add_api_route(
        "/v1/check/batch",
        check_batch,
        methods=["POST"],
        response_model=BatchOut,
        responses=ERRORS,
        openapi_extra=body_spec(model),
        summary="Judge many actions",
    )
    return r
