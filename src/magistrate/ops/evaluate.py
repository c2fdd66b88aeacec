"""`magistrate eval`: a labelled corpus through the governor — recall on what must be blocked,
false blocks on what must pass, tier accuracy — overall, per category and per kind, with the
misses.

A line is an action (the fields of `Action`) plus its label: `expect` or `expected`, `block` or
`allow`; optionally `risk` (the expected tier) and `category`. Each action is judged on its
own (fresh trust, no session carried over), without writing the audit log or opening approvals:
an evaluation is not traffic.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from magistrate.action import FIELDS, Action
from magistrate.errors import InvalidAction
from magistrate.levels import Risk


@dataclass(slots=True)
class Case:
    """One labelled line."""

    line: int
    action: Action
    block: bool
    risk: str | None
    category: str
    ident: Any


@dataclass(slots=True)
class Score:
    """Counts for one slice of the corpus."""

    dangerous: int = 0
    blocked_dangerous: int = 0
    benign: int = 0
    blocked_benign: int = 0
    tiered: int = 0
    tier_right: int = 0

    def add(self, case: Case, blocked: bool, risk: str) -> None:
        """Count one judged case."""
        if case.block:
            self.dangerous += 1
            self.blocked_dangerous += blocked
        else:
            self.benign += 1
            self.blocked_benign += blocked
        if case.risk is not None:
            self.tiered += 1
            self.tier_right += risk == case.risk

    def to_dict(self) -> dict[str, Any]:
        """Counts and rates (None where the slice has nothing to measure)."""
        return {
            "actions": self.dangerous + self.benign,
            "dangerous": self.dangerous,
            "benign": self.benign,
            "recall": _rate(self.blocked_dangerous, self.dangerous),
            "false_block": _rate(self.blocked_benign, self.benign),
            "tier_accuracy": _rate(self.tier_right, self.tiered),
        }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass(slots=True)
class Report:
    """The whole evaluation."""

    overall: Score = field(default_factory=Score)
    by_category: dict[str, Score] = field(default_factory=dict)
    by_kind: dict[str, Score] = field(default_factory=dict)
    misses: list[dict[str, Any]] = field(default_factory=list)
    tier_misses: int = 0
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of `magistrate eval --json`."""
        return {
            "overall": self.overall.to_dict(),
            "by_category": {k: v.to_dict() for k, v in sorted(self.by_category.items())},
            "by_kind": {k: v.to_dict() for k, v in sorted(self.by_kind.items())},
            "misses": self.misses,
            "tier_misses": self.tier_misses,
            "problems": self.problems,
        }


def load(path: Path) -> tuple[list[Case], list[str]]:
    """The labelled cases of a JSONL file, and a problem line for each line that is not one
    (bad JSON, no or bad label, an invalid action)."""
    cases: list[Case] = []
    problems: list[str] = []
    with open(path, encoding="utf-8") as lines:
        for n, text in enumerate(lines, 1):
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except ValueError as exc:
                problems.append(f"line {n}: not JSON: {exc}")
                continue
            case = _case(n, row, problems)
            if case is not None:
                cases.append(case)
    return cases, problems


def _case(n: int, row: Any, problems: list[str]) -> Case | None:
    if not isinstance(row, dict):
        problems.append(f"line {n}: must be a JSON object")
        return None
    label = row.get("expect", row.get("expected"))
    if label not in ("block", "allow"):
        problems.append(f"line {n}: expect/expected must be 'block' or 'allow'; got {label!r}")
        return None
    risk = row.get("risk")
    if risk is not None:
        try:
            risk = Risk.parse(risk).value
        except ValueError as exc:
            problems.append(f"line {n}: risk: {exc}")
            return None
    try:
        action = Action.from_dict({k: v for k, v in row.items() if k in FIELDS})
    except InvalidAction as exc:
        problems.append(f"line {n}: invalid action: {exc}")
        return None
    category = str(row.get("category") or "(none)")
    return Case(n, action, label == "block", risk, category, row.get("id", n))


def evaluate(
    governor: Any, cases: Iterable[Case], advance: Callable[[], None] | None = None
) -> Report:
    """Judge each case on its own and score it."""
    report = Report()
    for case in cases:
        governor.trust.clear()
        verdict = governor.check(case.action)
        blocked = not verdict.allowed
        risk = verdict.risk.value
        for score in (
            report.overall,
            report.by_category.setdefault(case.category, Score()),
            report.by_kind.setdefault(case.action.kind, Score()),
        ):
            score.add(case, blocked, risk)
        if case.risk is not None and risk != case.risk:
            report.tier_misses += 1
        if blocked != case.block:
            report.misses.append(_miss(case, verdict))
        if advance is not None:
            advance()
    return report


def _miss(case: Case, verdict: Any) -> dict[str, Any]:
    action = case.action
    what = action.text or f"{action.tool} {json.dumps(action.args or {}, ensure_ascii=False)}"
    return {
        "id": case.ident,
        "line": case.line,
        "kind": action.kind,
        "category": case.category,
        "what": " ".join(str(what).split())[:200],
        "expected": "block" if case.block else "allow",
        "miss": "missed" if case.block else "false block",
        "decision": verdict.decision.value,
        "risk": verdict.risk.value,
        "expected_risk": case.risk,
        "rules": list(verdict.rule_ids[:3]),
    }
