"""The audit log: records (paged), verification, the browser's search, one record in full."""

from __future__ import annotations

import contextlib
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response

from magistrate.audit import verify
from magistrate.audit.query import parse_time
from magistrate.db import AuditFilter
from magistrate.errors import InvalidAction
from magistrate.keys import ApiKey
from magistrate.ops.browse import Search, record, search
from magistrate.server.auth import require
from magistrate.server.core import current
from magistrate.server.models import AuditOut, ProblemOut, VerifyOut
from magistrate.server.responses import ERRORS, json_response

Admin = Annotated[ApiKey, Depends(require("admin"))]
Approver = Annotated[ApiKey, Depends(require("approver", "admin"))]
DecisionQ = Literal["allow", "escalate", "deny", "ungoverned"]
RiskQ = Literal["LOW", "MEDIUM", "HIGH", "CRITICAL"]
TypeQ = Literal["verdict", "approval", "suspension"]
router = APIRouter(tags=["audit"])


def window(since: str | None, until: str | None) -> tuple[str | None, str | None]:
    """The time window of a query, each bound an ISO time or an age (`12h`); 422 naming the
    bound that is neither."""
    bounds: list[str | None] = []
    for name, value in (("since", since), ("until", until)):
        try:
            bounds.append(parse_time(value) if value else None)
        except ValueError as exc:
            raise InvalidAction(name, str(exc)) from None
    return bounds[0], bounds[1]


@router.get("/v1/audit", response_model=AuditOut, responses=ERRORS, summary="Read audit records")
async def audit(
    request: Request,
    key: Admin,
    since: Annotated[str | None, Query(description="ISO time or age (30m, 12h, 7d).")] = None,
    until: Annotated[str | None, Query(description="ISO time or age; exclusive.")] = None,
    principal: Annotated[str | None, Query(max_length=256)] = None,
    decision: DecisionQ | None = None,
    risk: RiskQ | None = None,
    chain: Annotated[str | None, Query(max_length=300, description="One chain id.")] = None,
    type: TypeQ | None = None,
    after_id: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    order: Annotated[
        Literal["asc", "desc"],
        Query(description="asc pages with after_id; desc gives the newest `limit`."),
    ] = "asc",
) -> Response:
    """Stored records, filtered as in `magistrate audit export`."""
    server = current(request)
    since_at, until_at = window(since, until)
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

    return json_response(await server.judge(read))


@router.get(
    "/v1/audit/verify",
    response_model=VerifyOut,
    responses=ERRORS,
    summary="Verify every audit chain",
)
async def audit_verify(request: Request, key: Admin) -> Response:
    """Every chain's hashes, sequence and links checked (as `magistrate audit verify`)."""
    server = current(request)

    def run() -> dict[str, Any]:
        gov = server.gov
        if gov.audit is not None:
            gov.audit.flush(10)  # this worker's queued records are part of its chain
        reports = verify(server.database, *(gov.audit.verifiers() if gov.audit else ()))
        return {
            "ok": all(r.ok for r in reports),
            "chains": [{k: getattr(r, k) for k in r.__slots__} for r in reports],
        }

    return json_response(await server.judge(run))


@router.get("/v1/audit/browse", responses=ERRORS, summary="Search audit records (newest first)")
async def audit_browse(
    request: Request,
    key: Approver,
    principal: Annotated[str | None, Query(max_length=256)] = None,
    decision: DecisionQ | None = None,
    risk: RiskQ | None = None,
    rule: Annotated[str | None, Query(max_length=200, description="A cited rule id.")] = None,
    type: TypeQ | None = None,
    since: Annotated[str | None, Query(max_length=64, description="ISO time or age (12h).")] = None,
    until: Annotated[str | None, Query(max_length=64, description="ISO time or age.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    """Summaries of matching records (secrets were masked when stored)."""
    server = current(request)
    since_at, until_at = window(since, until)
    where = AuditFilter(
        since=since_at, until=until_at, principal=principal, decision=decision, risk=risk, type=type
    )
    return json_response(await server.judge(search, server.database, Search(where, rule, limit)))


@router.get(
    "/v1/audit/records/{row_id}",
    responses={**ERRORS, 404: {"model": ProblemOut, "description": "No such record."}},
    summary="One audit record in full",
)
async def audit_record(
    request: Request, row_id: Annotated[int, PathParam(ge=1, le=2**62)], key: Approver
) -> Response:
    """The record, its chain position (and whether its hash matches), and the approval
    request it opened or used."""
    server = current(request)
    gov = server.gov

    def read() -> dict[str, Any] | None:
        found = record(server.database, row_id)
        if found is None:
            return None
        approval_id = found["body"].get("approval_id")
        found["approval"] = None
        if approval_id and gov.approvals is not None:
            with contextlib.suppress(Exception):
                found["approval"] = gov.approvals.get(approval_id).to_dict()
        return found

    found = await server.judge(read)
    if found is None:
        raise HTTPException(404, f"no audit record {row_id}")
    return json_response(found)
