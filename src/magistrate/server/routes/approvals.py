"""Approval requests: list, read (long-polling), approve, deny."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response

from magistrate.approvals import ApprovalError, ApprovalRequest
from magistrate.config import Settings
from magistrate.keys import ApiKey
from magistrate.server.auth import require
from magistrate.server.bodies import note
from magistrate.server.core import Server, current
from magistrate.server.models import (
    ApprovalOut,
    ApprovalsOut,
    ApprovalStatus,
    ProblemOut,
    ResolveIn,
)
from magistrate.server.responses import ERRORS, approval_out, body_spec, json_response

Approver = Annotated[ApiKey, Depends(require("approver", "admin"))]
Anyone = Annotated[ApiKey, Depends(require("agent", "approver", "admin"))]
ApprovalId = Annotated[str, PathParam(max_length=100)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ProblemOut, "description": "No such request."}
}
RESOLVE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    **NOT_FOUND,
    409: {"model": ProblemOut, "description": "Already resolved, or expired."},
}


async def approvals_list(
    request: Request,
    key: Approver,
    status: Annotated[
        ApprovalStatus | None,
        Query(description="Only this status; `pending` excludes expired requests."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """Approval requests, newest first."""
    server = current(request)
    approvals = server.approvals
    requests = await server.judge(approvals.list, status, limit)
    return json_response({"approvals": [approval_out(r) for r in requests]})


async def _get(server: Server, approval_id: str) -> ApprovalRequest:
    try:
        found: ApprovalRequest = await server.judge(server.approvals.get, approval_id)
    except ApprovalError as exc:
        raise HTTPException(404, str(exc)) from None
    return found


async def _resolve(request: Request, approval_id: str, key: ApiKey, approve: bool) -> Response:
    server = current(request)
    approvals = server.approvals
    act = approvals.approve if approve else approvals.deny
    text = await note(request)
    try:
        resolved = await server.judge(act, approval_id, key, text)
    except ApprovalError as exc:
        code = {"not_found": 404, "forbidden": 403, "expired": 409}.get(exc.reason, 409)
        raise HTTPException(code, str(exc)) from None
    return json_response(approval_out(resolved))


async def approvals_approve(request: Request, approval_id: ApprovalId, key: Approver) -> Response:
    """Allow the action once; nobody approves their own request."""
    return await _resolve(request, approval_id, key, approve=True)


async def approvals_deny(request: Request, approval_id: ApprovalId, key: Approver) -> Response:
    """Refuse the action."""
    return await _resolve(request, approval_id, key, approve=False)


def router(s: Settings) -> APIRouter:
    """The approval routes, with this server's longest long-poll (`max_wait_s`)."""
    r = APIRouter(tags=["approvals"])
    r.add_api_route(
        "/v1/approvals",
        approvals_list,
        methods=["GET"],
        response_model=ApprovalsOut,
        responses=ERRORS,
        summary="List approval requests",
    )

    async def approvals_get(
        request: Request,
        approval_id: ApprovalId,
        key: Anyone,
        wait: float = Query(  # a default, not Annotated: `s` is not in scope when resolved
            0,
            ge=0,
            le=s.max_wait_s,
            description="Seconds to wait while the request is pending; returns as soon as a "
            "human resolves it, on whichever server.",
        ),
    ) -> Response:
        """The request; an agent key may read only requests of principals it acts as."""
        server = current(request)
        found = await _get(server, approval_id)
        if key.role == "agent" and not key.may_act_as_principal(found.principal):
            raise HTTPException(
                403,
                f"key {key.name!r} may read only approvals of the principals it acts as; this "
                f"one is {found.principal!r}'s",
            )
        if wait > 0 and found.effective_status == "pending":
            found = await server.approvals.wait(approval_id, wait)
        return json_response(approval_out(found))

    r.add_api_route(
        "/v1/approvals/{approval_id}",
        approvals_get,
        methods=["GET"],
        response_model=ApprovalOut,
        responses={**ERRORS, **NOT_FOUND},
        summary="One approval request (long-poll with ?wait=)",
    )
    for verb, endpoint, summary in (
        ("approve", approvals_approve, "Approve a pending request"),
        ("deny", approvals_deny, "Deny a pending request"),
    ):
        r.add_api_route(
            f"/v1/approvals/{{approval_id}}/{verb}",
            endpoint,
            methods=["POST"],
            response_model=ApprovalOut,
            responses=RESOLVE_ERRORS,
            openapi_extra=body_spec(ResolveIn, required=False),
            summary=summary,
        )
    return r
