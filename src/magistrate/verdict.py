"""The output types: Verdict and Citation (Decision and Risk live in `levels`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from magistrate.levels import Decision, Risk

__all__ = ["Citation", "Decision", "Risk", "Verdict"]


@dataclass(frozen=True, slots=True)
class Citation:
    """The article and rule behind a decision, with the evidence that matched."""

    article_id: str
    article_number: int
    article_title: str
    rule_id: str
    evidence: str
    source: str = ""  # who cited: "" for the constitution's rules, "system2" for Sofia's model

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        out = {
            "article": self.article_id,
            "article_number": self.article_number,
            "article_title": self.article_title,
            "rule_id": self.rule_id,
            "evidence": self.evidence,
        }
        if self.source:
            out["source"] = self.source
        return out

    def short(self) -> str:
        """`art. 2 "No irreversible harm without consent" (delete-root-or-home)`."""
        return f'art. {self.article_number} "{self.article_title}" ({self.rule_id})'


@dataclass(slots=True, init=False)
class Verdict:
    """What governance decided about one action, and why."""

    decision: Decision
    risk: Risk
    citations: tuple[Citation, ...]
    reasons: tuple[str, ...]
    principal: str
    fingerprint: str
    constitution_version: str
    trust_before: float
    trust_after: float
    mode: str
    verdict_id: str
    action_id: str | int | None
    ungoverned: bool
    would_decision: Decision | None  # shadow and normative modes: the enforced decision
    cache_hit: bool
    timings_ns: dict[str, int]
    approval_id: str | None
    counsel: Any
    error: str | None
    contains_secrets: bool  # credentials were seen: records mask them (False skips work)

    # Written out, not generated: the compiled build compiles this one (a generated
    # `__init__` stays interpreted), and every check makes a verdict.
    def __init__(
        self,
        decision: Decision,
        risk: Risk,
        citations: tuple[Citation, ...],
        reasons: tuple[str, ...],
        principal: str,
        fingerprint: str,
        constitution_version: str,
        trust_before: float,
        trust_after: float,
        mode: str,
        verdict_id: str,
        action_id: str | int | None = None,
        ungoverned: bool = False,
        would_decision: Decision | None = None,
        cache_hit: bool = False,
        timings_ns: dict[str, int] | None = None,
        approval_id: str | None = None,
        counsel: Any = None,
        error: str | None = None,
        contains_secrets: bool = True,
    ) -> None:
        self.decision = decision
        self.risk = risk
        self.citations = citations
        self.reasons = reasons
        self.principal = principal
        self.fingerprint = fingerprint
        self.constitution_version = constitution_version
        self.trust_before = trust_before
        self.trust_after = trust_after
        self.mode = mode
        self.verdict_id = verdict_id
        self.action_id = action_id
        self.ungoverned = ungoverned
        self.would_decision = would_decision
        self.cache_hit = cache_hit
        self.timings_ns = {} if timings_ns is None else timings_ns
        self.approval_id = approval_id
        self.counsel = counsel
        self.error = error
        self.contains_secrets = contains_secrets

    @property
    def allowed(self) -> bool:
        """True when the action may run."""
        return self.decision is Decision.ALLOW

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """Ids of the rules cited."""
        return tuple(c.rule_id for c in self.citations)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (the shape of the HTTP API and `magistrate check --json`)."""
        out: dict[str, Any] = {
            "id": self.action_id,
            "verdict_id": self.verdict_id,
            "decision": self.decision.value,
            "risk": self.risk.value,
            "citations": [c.to_dict() for c in self.citations],
            "reasons": list(self.reasons),
            "principal": self.principal,
            "fingerprint": self.fingerprint,
            "constitution_version": self.constitution_version,
            "trust_before": round(self.trust_before, 4),
            "trust_after": round(self.trust_after, 4),
            "mode": self.mode,
            "ungoverned": self.ungoverned,
            "cache_hit": self.cache_hit,
            # to 10 ns: round() to an integer is a quarter of the cost of round(x, 2)
            "timings_us": {k: round(v / 10) / 100 for k, v in self.timings_ns.items()},
        }
        if self.would_decision is not None:
            out["would_decision"] = self.would_decision.value
        if self.approval_id is not None:
            out["approval_id"] = self.approval_id
        if self.counsel is not None:
            to_dict = getattr(self.counsel, "to_dict", None)
            out["counsel"] = to_dict() if callable(to_dict) else self.counsel
        if self.error is not None:
            out["error"] = self.error
        return out

    def summary(self) -> str:
        """One human line: tier, decision, first cited article."""
        cited = (
            self.citations[0].short()
            if self.citations
            else (self.reasons[0] if self.reasons else "no rule matched")
        )
        return f"{self.risk.value:<8}  {self.decision.value:<8}  {cited}"
