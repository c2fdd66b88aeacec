"""Exceptions raised by Magistrate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from magistrate.verdict import Verdict


class MagistrateError(Exception):
    """Base class of every error Magistrate raises on purpose."""


class InvalidAction(MagistrateError, ValueError):
    """An action failed validation; names the field and the limit it broke."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class ConstitutionProblem:
    """One thing wrong with a constitution file."""

    file: str
    rule_id: str | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}: rule {self.rule_id!r}" if self.rule_id else self.file
        return f"{where}: {self.reason}"


class ConstitutionError(MagistrateError):
    """A constitution could not be loaded; carries every problem found, not just the first."""

    def __init__(self, problems: list[ConstitutionProblem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid constitution ({len(problems)} problem(s)):\n{lines}")


class GovernanceError(MagistrateError):
    """Something inside governance failed; the verdict for the action is fail-closed."""


class ActionDenied(MagistrateError):
    """Governance did not allow an action; carries the verdict (decision, risk, citations)."""

    def __init__(self, verdict: Verdict, message: str | None = None) -> None:
        self.verdict = verdict
        self.message = message or denial_message(verdict)
        super().__init__(self.message)

    @property
    def approval_id(self) -> str | None:
        """The approval request an escalation opened, if any."""
        return self.verdict.approval_id


class ApprovalPending(ActionDenied):
    """An escalated action awaits a human's approval (escalation "return", or the wait ran out);
    call again once `approval_id` is approved."""


def denial_message(verdict: Verdict) -> str:
    """One line: the decision and tier, the articles and rules cited, the reasons."""
    parts = [f"{verdict.decision.value} ({verdict.risk.value})"]
    cited = "; ".join(c.short() for c in verdict.citations[:3])
    if cited:
        parts.append(cited)
    reasons = [r for r in verdict.reasons if r != "no rule matched"][:3]
    if reasons:
        parts.append("; ".join(reasons))
    if verdict.approval_id:
        parts.append(f"approval {verdict.approval_id}")
    return "blocked by governance: " + " — ".join(parts)


class SuspensionError(MagistrateError):
    """A suspension could not be lifted (for example, not by an approver)."""
