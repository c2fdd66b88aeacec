"""`magistrate replay`: recorded traffic re-judged under a candidate constitution, compared with
the same traffic re-judged under the one in force, so that what differs is the edit alone.

Both judges see the records in their recorded order, each action on its own standing (fresh
trust: a suspension earned in the past would otherwise hide every later difference), sessions
carried as recorded (sequence rules still see the session's earlier actions). Nothing is
written: no audit record, no approval. Texts are those stored, whose secrets were masked when
recorded; examples are masked again before they are shown.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from magistrate.action import Action
from magistrate.analysis.secrets import mask_secrets
from magistrate.db.base import AuditFilter, Database
from magistrate.errors import InvalidAction

EXAMPLES = 3
ACTION_FIELDS = ("kind", "text", "tool", "args", "principal", "role", "session", "target")


@dataclass(slots=True)
class Recorded:
    """One verdict record, and the action rebuilt from it."""

    time: str
    decision: str
    rules: tuple[str, ...]
    version: str
    action: Action


def recorded(
    db: Database,
    where: AuditFilter,
    *,
    kind: str | None = None,
    rule: str | None = None,
    limit: int | None = None,
    skipped: Counter[str] | None = None,
) -> Iterator[Recorded]:
    """Verdict records matching the filters, oldest first, as actions to judge again."""
    where = AuditFilter(**{**_fields(where), "type": "verdict"})
    taken = 0
    for row in db.audit_rows(where):
        try:
            body = json.loads(row.body)
            action = Action.from_dict(
                {k: body[k] for k in ACTION_FIELDS if body.get(k) not in (None, {}, "")}
            )
        except (ValueError, InvalidAction):
            if skipped is not None:
                skipped["unreadable"] += 1
            continue
        if body.get("decision") == "ungoverned":
            if skipped is not None:
                skipped["ungoverned"] += 1
            continue
        rules = tuple(str(c.get("rule_id")) for c in body.get("citations") or ())
        if (kind is not None and action.kind != kind) or (rule is not None and rule not in rules):
            continue
        yield Recorded(row.time, row.decision, rules, str(body.get("constitution_version")), action)
        taken += 1
        if limit is not None and taken >= limit:
            return


def count(db: Database, where: AuditFilter, limit: int | None = None) -> int:
    """How many verdict records the filters select (before the kind and rule filters)."""
    where = AuditFilter(**{**_fields(where), "type": "verdict"})
    n = 0
    for _ in db.audit_rows(where, limit):
        n += 1
    return n


def _fields(where: AuditFilter) -> dict[str, Any]:
    return {name: getattr(where, name) for name in AuditFilter.__dataclass_fields__}


@dataclass(slots=True)
class RuleChange:
    """What one rule's edit changed."""

    rule: str
    count: int = 0
    flips: Counter[str] = field(default_factory=Counter)
    examples: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "rule": self.rule,
            "count": self.count,
            "flips": dict(self.flips.most_common()),
            "examples": self.examples,
        }


@dataclass(slots=True)
class ReplayReport:
    """What the candidate constitution would change."""

    baseline: dict[str, str]
    candidate: dict[str, str]
    records: int = 0
    changed: int = 0
    flips: Counter[str] = field(default_factory=Counter)
    tiers: Counter[str] = field(default_factory=Counter)
    by_rule: dict[str, RuleChange] = field(default_factory=dict)
    recorded_differs: int = 0  # recorded decision ≠ the baseline's replay (trust, approvals…)
    versions: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    edited: list[str] = field(default_factory=list)  # rules that differ between the two
    differs_examples: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of `magistrate replay --json`."""
        return {
            "baseline": self.baseline,
            "candidate": self.candidate,
            "edited_rules": self.edited,
            "records": self.records,
            "changed": self.changed,
            "decision_flips": dict(self.flips.most_common()),
            "tier_changes": dict(self.tiers.most_common()),
            "by_rule": [
                c.to_dict() for c in sorted(self.by_rule.values(), key=lambda c: (-c.count, c.rule))
            ],
            "recorded_differs_from_baseline": self.recorded_differs,
            "recorded_differs_examples": self.differs_examples,
            "recorded_under_versions": dict(self.versions.most_common()),
            "skipped": dict(self.skipped),
        }


def describe(governor: Any) -> dict[str, str]:
    """Name, version and source of a governor's constitution."""
    c = governor.constitution
    return {"name": c.model.name, "version": c.version, "source": str(c.source)}


def edited_rules(old: Any, new: Any) -> list[str]:
    """Ids of rules (and sequence rules) added, removed or changed between two constitution
    models; `policy` when the tier-to-decision policy changed."""

    def rules(model: Any) -> dict[str, Any]:
        found = {r.id: r.model_dump(mode="json") for r in model.rules}
        found.update({q.id: q.model_dump(mode="json") for q in model.sequences})
        return found

    before, after = rules(old), rules(new)
    out = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    if old.policy.model_dump(mode="json") != new.policy.model_dump(mode="json"):
        out.append("policy")
    return out


def replay(
    baseline: Any,
    candidate: Any,
    records: Iterable[Recorded],
    advance: Callable[[], None] | None = None,
) -> ReplayReport:
    """Judge every record under both governors and collect what differs."""
    report = ReplayReport(describe(baseline), describe(candidate))
    report.edited = edited_rules(baseline.constitution.model, candidate.constitution.model)
    edited = frozenset(report.edited)
    for rec in records:
        report.records += 1
        report.versions[rec.version] += 1
        baseline.trust.clear()
        candidate.trust.clear()
        old = baseline.check(rec.action)
        new = candidate.check(rec.action)
        if old.decision.value != rec.decision:
            report.recorded_differs += 1
            if len(report.differs_examples) < EXAMPLES:
                report.differs_examples.append(
                    {
                        "time": rec.time,
                        "action": mask_secrets(_what(rec.action))[:200],
                        "recorded": f"{rec.decision} ({', '.join(rec.rules[:2]) or '-'})",
                        "replayed": f"{old.decision.value} ({', '.join(old.rule_ids[:2]) or '-'})",
                    }
                )
        if old.risk is not new.risk:
            report.tiers[f"{old.risk.value}→{new.risk.value}"] += 1
        if old.decision is not new.decision:
            report.changed += 1
            flip = f"{old.decision.value}→{new.decision.value}"
            report.flips[flip] += 1
            _attribute(report, rec, old, new, flip, edited)
        if advance is not None:
            advance()
    return report


def _attribute(
    report: ReplayReport, rec: Recorded, old: Any, new: Any, flip: str, edited: frozenset[str]
) -> None:
    """Credit a flip to the edited rules either side cited; else to the rules only one side
    cited; else to the policy (or what else differs between the two: roles, paths)."""
    before, after = set(old.rule_ids), set(new.rule_ids)
    rules = (
        sorted((before | after) & edited)
        or sorted(before ^ after)
        or ["policy" if "policy" in edited else "(other: roles, path classes, articles)"]
    )
    example = {
        "time": rec.time,
        "principal": rec.action.principal,
        "kind": rec.action.kind,
        "action": mask_secrets(_what(rec.action))[:200],
        "was": f"{old.decision.value} {old.risk.value} ({', '.join(old.rule_ids[:2]) or '-'})",
        "now": f"{new.decision.value} {new.risk.value} ({', '.join(new.rule_ids[:2]) or '-'})",
    }
    for rule in rules:
        change = report.by_rule.setdefault(rule, RuleChange(rule))
        change.count += 1
        change.flips[flip] += 1
        if len(change.examples) < EXAMPLES:
            change.examples.append(example)


def _what(action: Action) -> str:
    text = action.text or ""
    if action.tool:
        args = json.dumps(action.args or {}, ensure_ascii=False, sort_keys=True)
        text = f"{action.tool} {args} {text}".strip()
    return " ".join(text.split())
