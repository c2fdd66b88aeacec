"""Principals: every principal's standing, one principal's trust, lifting a suspension."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import Response

from magistrate.action import principal_name
from magistrate.approvals import ApprovalError
from magistrate.errors import SuspensionError
from magistrate.keys import ApiKey
from magistrate.ops.standing import principals, with_live_trust
from magistrate.server.auth import require
from magistrate.server.bodies import note
from magistrate.server.core import current
from magistrate.server.models import ProblemOut, ResolveIn, StandingOut
from magistrate.server.responses import ERRORS, body_spec, json_response

MAX_PRINCIPALS = 500
Approver = Annotated[ApiKey, Depends(require("approver", "admin"))]
Principal = Annotated[str, PathParam(max_length=256)]
router = APIRouter(tags=["principals"])


@router.get(
    "/v1/principals", responses=ERRORS, summary="Every principal: trust, suspension, decisions"
)
async def principals_list(request: Request, key: Approver) -> Response:
    """Principals seen in the audit log, most recently active first: decision counts,
    the live trust score and suspension (from the trust store), and why."""
    server = current(request)
    gov = server.gov

    def read() -> dict[str, Any]:
        if gov.audit is not None:
            gov.audit.flush(5)
        # The live ledger is the authority on trust and suspension: the log gives counts.
        found = principals(server.database, reconstruct=False)
        ordered = sorted(found.values(), key=lambda s: s.last_time, reverse=True)
        shown = ordered[:MAX_PRINCIPALS]
        with_live_trust(shown, gov.trust)
        return {"principals": [s.to_dict() for s in shown], "total": len(ordered)}

    return json_response(await server.judge(read))


def _standing(trust: Any, principal: str) -> dict[str, Any]:
    state = trust.state(principal)
    return {
        "principal": principal,
        "trust": round(state.score, 6),
        "suspended": state.suspended,
        "reason": state.reason,
    }


@router.get(
    "/v1/principals/{principal}",
    response_model=StandingOut,
    responses=ERRORS,
    summary="A principal's trust and suspension",
)
async def principal_get(request: Request, principal: Principal, key: Approver) -> Response:
    """The principal's current trust score (decay applied) and suspension."""
    server = current(request)
    name = principal_name(principal) or ""
    return json_response(await server.judge(_standing, server.gov.trust, name))


@router.post(
    "/v1/principals/{principal}/lift-suspension",
    response_model=StandingOut,
    responses={**ERRORS, 409: {"model": ProblemOut, "description": "Not suspended."}},
    openapi_extra=body_spec(ResolveIn, required=False),
    summary="Lift a principal's suspension",
)
async def principal_lift(request: Request, principal: Principal, key: Approver) -> Response:
    """Let a suspended principal act again (trust raised to just above the threshold);
    recorded in the audit log. Nobody lifts their own suspension."""
    server = current(request)
    gov = server.gov
    text = await note(request)
    name = principal_name(principal) or ""

    def lift() -> dict[str, Any]:
        gov.lift_suspension(name, key)  # the approver is the key's holder
        if gov.audit is not None:
            gov.audit.record_event(
                "suspension",
                f"lift-{secrets.token_hex(8)}",
                name,
                "allow",
                "LOW",
                {"status": "lifted", "resolved_by": key.name, "note": text},
            )
        return _standing(gov.trust, name)

    try:
        return json_response(await server.judge(lift))
    except SuspensionError as exc:
        code = 403 if "own suspension" in str(exc) else 409
        raise HTTPException(code, str(exc)) from None
    except ApprovalError as exc:
        raise HTTPException(403, str(exc)) from None
