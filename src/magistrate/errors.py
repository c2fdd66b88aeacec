"""Exceptions raised by Magistrate."""

from __future__ import annotations

from dataclasses import dataclass


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


class SuspensionError(MagistrateError):
    """A suspension could not be lifted (for example, not by an approver)."""
