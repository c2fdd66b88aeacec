"""Risk tiers and decisions: the two scales every other module speaks."""

from __future__ import annotations

from enum import StrEnum


class Risk(StrEnum):
    """Risk tier of an action, ordered LOW < MEDIUM < HIGH < CRITICAL."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"

    @property
    def rank(self) -> int:
        """0 for LOW up to 3 for CRITICAL."""
        return _RISK_RANK[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Risk):
            return NotImplemented
        return _RISK_RANK[self] < _RISK_RANK[other]

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Risk):
            return NotImplemented
        return _RISK_RANK[self] <= _RISK_RANK[other]

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Risk):
            return NotImplemented
        return _RISK_RANK[self] > _RISK_RANK[other]

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Risk):
            return NotImplemented
        return _RISK_RANK[self] >= _RISK_RANK[other]

    @classmethod
    def parse(cls, value: str | Risk) -> Risk:
        """Accept a Risk or its name in any case."""
        if isinstance(value, Risk):
            return value
        try:
            return cls(str(value).upper())
        except ValueError:
            raise ValueError(
                f"unknown risk level {value!r}; expected one of LOW, MEDIUM, HIGH, CRITICAL"
            ) from None


_RISK_RANK = {Risk.LOW: 0, Risk.MEDIUM: 1, Risk.HIGH: 2, Risk.CRITICAL: 3}
RISKS_BY_RANK = (Risk.LOW, Risk.MEDIUM, Risk.HIGH, Risk.CRITICAL)


class Decision(StrEnum):
    """What the caller must do with the action."""

    ALLOW = "allow"
    ESCALATE = "escalate"
    DENY = "deny"

    @property
    def strictness(self) -> int:
        """0 allow, 1 escalate, 2 deny: a combination keeps the strictest."""
        return _STRICTNESS[self]

    @classmethod
    def parse(cls, value: str | Decision) -> Decision:
        """Accept a Decision or its name in any case."""
        if isinstance(value, Decision):
            return value
        try:
            return cls(str(value).lower())
        except ValueError:
            raise ValueError(
                f"unknown decision {value!r}; expected one of allow, escalate, deny"
            ) from None


_STRICTNESS = {Decision.ALLOW: 0, Decision.ESCALATE: 1, Decision.DENY: 2}


def stricter(a: Decision, b: Decision) -> Decision:
    """The stricter of two decisions."""
    return a if _STRICTNESS[a] >= _STRICTNESS[b] else b
