"""Routes for operators and the dashboard: interactive API documentation served from the
package (no CDN), the principals view, and the audit browser.

`add_operator_routes(app, server)` is called by `create_app` before the dashboard is mounted.
"""

from __future__ import annotations

import contextlib
import json
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from magistrate.audit.query import parse_time
from magistrate.db.base import AuditFilter
from magistrate.errors import InvalidAction
from magistrate.keys import ApiKey
from magistrate.ops.browse import Search, record, search
from magistrate.ops.standing import principals, with_live_trust
from magistrate.server.auth import require
from magistrate.server.models import ProblemOut

STATIC = Path(__file__).resolve().parent / "static"
MAX_PRINCIPALS = 500
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ProblemOut, "description": "No key, or an invalid or revoked key."},
    403: {"model": ProblemOut, "description": "An agent key: approvers and admins only."},
    422: {"model": ProblemOut, "description": "Invalid input: `field` names it."},
}


def _json(data: Any) -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(),
        media_type="application/json",
    )


def swagger_assets() -> Path | None:
    """The folder holding swagger-ui-bundle.js and swagger-ui.css (the fastapi-offline
    package ships them), or None when it is not installed."""
    with contextlib.suppress(ModuleNotFoundError):
        folder = Path(str(resources.files("fastapi_offline") / "static"))
        if (folder / "swagger-ui-bundle.js").is_file():
            return folder
    return None


def add_operator_routes(app: FastAPI, server: Any) -> None:
    """The API docs page, GET /v1/principals, GET /v1/audit/browse and /v1/audit/records/{id}."""
    _docs_routes(app)
    _principal_routes(app, server)
    _audit_routes(app, server)


def _docs_routes(app: FastAPI) -> None:
    assets = swagger_assets()
    if assets is not None:
        app.mount("/docs/assets", StaticFiles(directory=assets), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        """Interactive API documentation (Swagger UI from the package, the spec from here)."""
        if assets is None:
            raise HTTPException(404, "API docs need the fastapi-offline package; the spec is at "
                                "/openapi.json")  # fmt: skip
        return HTMLResponse((STATIC / "docs.html").read_text(encoding="utf-8"))


def _principal_routes(app: FastAPI, server: Any) -> None:
    approver = require("approver", "admin")

    @app.get(
        "/v1/principals",
        tags=["principals"],
        responses=ERRORS,
        summary="Every principal: trust, suspension, decisions",
    )
    async def principals_list(key: ApiKey = Depends(approver)) -> Response:  # noqa: B008
        """Principals seen in the audit log, most recently active first: decision counts,
        the live trust score and suspension (from the trust store), and why."""
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

        return _json(await server.judge(read))


def _audit_routes(app: FastAPI, server: Any) -> None:
    approver = require("approver", "admin")

    @app.get(
        "/v1/audit/browse",
        tags=["audit"],
        responses=ERRORS,
        summary="Search audit records (newest first)",
    )
    async def audit_browse(
        principal: str | None = Query(None, max_length=256),
        decision: Literal["allow", "escalate", "deny", "ungoverned"] | None = None,
        risk: Literal["LOW", "MEDIUM", "HIGH", "CRITICAL"] | None = None,
        rule: str | None = Query(None, max_length=200, description="A cited rule id."),
        type: Literal["verdict", "approval", "suspension"] | None = None,
        since: str | None = Query(None, max_length=64, description="ISO time or age (12h)."),
        until: str | None = Query(None, max_length=64, description="ISO time or age."),
        limit: int = Query(100, ge=1, le=500),
        key: ApiKey = Depends(approver),  # noqa: B008
    ) -> Response:
        """Summaries of matching records (secrets were masked when stored)."""
        try:
            since_at = parse_time(since) if since else None
            until_at = parse_time(until) if until else None
        except ValueError as exc:
            raise InvalidAction("since" if since and not until else "until", str(exc)) from None
        where = AuditFilter(
            since=since_at,
            until=until_at,
            principal=principal,
            decision=decision,
            risk=risk,
            type=type,
        )
        query = Search(where, rule, limit)
        return _json(await server.judge(search, server.database, query))

    @app.get(
        "/v1/audit/records/{row_id}",
        tags=["audit"],
        responses={**ERRORS, 404: {"model": ProblemOut, "description": "No such record."}},
        summary="One audit record in full",
    )
    async def audit_record(
        row_id: int = PathParam(..., ge=1, le=2**62),
        key: ApiKey = Depends(approver),  # noqa: B008
    ) -> Response:
        """The record, its chain position (and whether its hash matches), and the approval
        request it opened or used."""
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
        return _json(found)
