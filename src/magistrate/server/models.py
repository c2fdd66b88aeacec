"""The shapes of the HTTP API: request bodies are parsed by these models (`bodies.parse`) and
the OpenAPI document is generated from them, one source for both. Their limits are the
library's own constants; `Action` then checks what a schema cannot say, so the API and the
library accept and refuse the same input."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from magistrate.action import (
    KINDS,
    MAX_ID_CHARS,
    MAX_NAME_CHARS,
    MAX_TARGET_CHARS,
    MAX_TEXT_CHARS,
)

RiskName = Literal["LOW", "MEDIUM", "HIGH", "CRITICAL"]
DecisionName = Literal["allow", "escalate", "deny"]
ApprovalStatus = Literal["pending", "approved", "denied", "expired", "used"]


class ActionIn(BaseModel):
    """An action an agent wants to take."""

    model_config = ConfigDict(extra="allow")

    id: str | int | None = Field(
        default=None, description=f"Echoed in the verdict (string ≤ {MAX_ID_CHARS} characters)."
    )
    kind: str | None = Field(
        default="other",
        description=f"One of {', '.join(sorted(KINDS))} (common aliases such as bash, query, "
        "mcp are accepted).",
        examples=["shell"],
    )
    text: str | None = Field(default="", max_length=MAX_TEXT_CHARS, examples=["rm -rf ./build"])
    tool: str | None = Field(default=None, max_length=MAX_NAME_CHARS)
    args: dict[str, Any] | None = Field(
        default=None, description="Tool arguments: a JSON object ≤ 1 MB, ≤ 32 levels deep."
    )
    principal: str | None = Field(
        default=None,
        max_length=MAX_NAME_CHARS,
        description="Who acts. Defaults to the key's name; another name only for a key "
        "created with --may-act-as matching it.",
    )
    role: str | None = Field(default=None, max_length=MAX_NAME_CHARS)
    session: str | None = Field(default=None, max_length=MAX_NAME_CHARS)
    target: str | None = Field(default=None, max_length=MAX_TARGET_CHARS)
    context: dict[str, Any] | None = None


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


class CheckIn(ActionIn):
    """One action, optionally with a floor on its risk tier."""

    # A tier's name in any case, as `Risk.parse` and the library take it
    min_risk: Annotated[RiskName | None, BeforeValidator(_upper)] = Field(
        default=None, description="Raise the tier to at least this (never lowers it)."
    )


class BatchIn(BaseModel):
    """Many actions, judged with one pattern scan; verdicts come back in the same order."""

    actions: list[ActionIn] = Field(max_length=10_000)


class CitationOut(BaseModel):
    """The article and rule behind a decision."""

    article: str
    article_number: int
    article_title: str
    rule_id: str
    evidence: str


class VerdictOut(BaseModel):
    """What governance decided about one action, and why."""

    model_config = ConfigDict(extra="allow")

    id: str | int | None = None
    verdict_id: str
    decision: DecisionName
    risk: RiskName
    citations: list[CitationOut]
    reasons: list[str]
    principal: str
    fingerprint: str
    constitution_version: str
    trust_before: float
    trust_after: float
    mode: str
    ungoverned: bool
    cache_hit: bool
    timings_us: dict[str, float]
    approval_id: str | None = Field(
        default=None, description="Set on escalate: poll GET /v1/approvals/{id}?wait=60."
    )
    would_decision: DecisionName | None = None
    error: str | None = None


class BatchOut(BaseModel):
    """Verdicts in the order of the actions."""

    verdicts: list[VerdictOut]


class ApprovalOut(BaseModel):
    """A request for a human to allow one escalated action."""

    model_config = ConfigDict(extra="allow")

    id: str
    status: ApprovalStatus
    decision: DecisionName = Field(
        description="allow once approved (check the action again to run it), deny when denied "
        "or expired, escalate while pending."
    )
    principal: str
    summary: str
    kind: str
    tool: str | None = None
    risk: RiskName
    citations: list[dict[str, Any]]
    reasons: list[str]
    requested_at: float
    expires_at: float
    age_s: float
    resolved_by: str | None = None
    resolved_at: float | None = None
    note: str | None = None
    used_at: float | None = None
    verdict_id: str | None = None
    fingerprint: str
    constitution_version: str


class ApprovalsOut(BaseModel):
    """Approval requests, newest first."""

    approvals: list[ApprovalOut]


class ResolveIn(BaseModel):
    """Why the approver decided as they did."""

    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=2000)


class AuditOut(BaseModel):
    """Audit records (the stored, hashed bodies, secrets masked)."""

    records: list[dict[str, Any]]
    next_after_id: int | None = Field(
        default=None, description="Pass as after_id to read the next page; null at the end."
    )


class ChainOut(BaseModel):
    """The verification of one audit chain."""

    chain_id: str
    records: int
    ok: bool
    bad_seq: int | None = None
    problem: str | None = None


class VerifyOut(BaseModel):
    """Every chain verified."""

    ok: bool
    chains: list[ChainOut]


class ProblemOut(BaseModel):
    """An error: what went wrong, and for invalid input the field at fault."""

    detail: str
    field: str | None = None


class KeyCheckIn(BaseModel):
    """A key to check."""

    key: str = Field(max_length=200)


class KeyCheckOut(BaseModel):
    """Whether the key is valid, and whose it is."""

    model_config = ConfigDict(extra="allow")

    valid: bool
    name: str | None = None
    role: Literal["agent", "approver", "admin"] | None = None
    detail: str | None = None


class StandingOut(BaseModel):
    """A principal's trust and suspension."""

    principal: str
    trust: float
    suspended: bool
    reason: str
