"""What risk detection answers: the assessment of an action and the signals (rules) behind it."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from magistrate.analysis.effects import Effect
from magistrate.constitution.model import Article
from magistrate.frozen import FrozenDict
from magistrate.levels import Decision, Risk
from magistrate.verdict import Citation

__all__ = ["MAX_CITATIONS", "RiskAssessment", "Signal", "cite", "new_assessment", "signal_order"]

MAX_CITATIONS = 8  # at most this many signals become citations (riskiest first)


@dataclass(frozen=True, slots=True)
class Signal:
    """One rule that matched: which, under which article, how risky, and the evidence."""

    rule_id: str
    article_id: str
    risk: Risk
    decision: Decision | None
    evidence: str
    origin: str = ""  # the part of the action: text, tool, args.<key>, decoded…
    span: tuple[int, int] | None = None  # character span in that part (text patterns)


@dataclass(frozen=True, slots=True)
class RiskAssessment:
    """The risk of an action under a constitution; depends on nothing else, so it is cacheable."""

    level: Risk
    signals: tuple[Signal, ...]
    facts: FrozenDict[str, str]  # immutable: the cache hands this object to every caller
    effects: tuple[Effect, ...] = ()
    commands: tuple[str, ...] = ()
    statements: tuple[str, ...] = ()
    ethical: tuple[str, ...] = ()  # words that call for ethical counsel (Sofia)
    crisis: tuple[str, ...] = ()  # language about harm to a person (Sofia: a professional)
    rule_decision: Decision | None = None  # strictest decision a matching rule imposes
    citations: tuple[Citation, ...] = ()  # the signals as citations (articles resolved)
    secrets: bool = False  # a credential pattern matched somewhere in the action

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """Ids of the matching rules, riskiest first."""
        return tuple(s.rule_id for s in self.signals)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "level": self.level.value,
            "signals": [
                {
                    "rule_id": s.rule_id,
                    "article": s.article_id,
                    "risk": s.risk.value,
                    "decision": s.decision.value if s.decision else None,
                    "evidence": s.evidence,
                    "origin": s.origin,
                    "span": list(s.span) if s.span else None,
                }
                for s in self.signals
            ],
            "facts": dict(self.facts),
            "effects": [e.describe() for e in self.effects],
            "commands": list(self.commands),
            "statements": list(self.statements),
        }


# A frozen dataclass's __init__ sets each field through object.__setattr__ (a tenth of a
# first-sight assessment's judging); the fields' slot descriptors set them directly. Compiled
# (mypyc, see setup.py), the class is native: its constructor is the fast way, and the only one.
_COMPILED = not __file__.endswith(".py")
_SET: list[Any] = (
    [] if _COMPILED else [vars(RiskAssessment)[f.name].__set__ for f in fields(RiskAssessment)]
)


def new_assessment(*v: Any) -> RiskAssessment:
    """`RiskAssessment(*v)` (every field, in declaration order), built faster."""
    if _COMPILED:
        return RiskAssessment(*v)
    a: RiskAssessment = object.__new__(RiskAssessment)
    for set_field, value in zip(_SET, v, strict=True):
        set_field(a, value)
    return a


def cite(signal: Signal, articles: dict[str, Article]) -> Citation:
    """The citation for a matched rule: its article by number and title (by id alone when the
    constitution has no such article)."""
    article = articles.get(signal.article_id)
    if article is None:
        return Citation(signal.article_id, 0, signal.article_id, signal.rule_id, signal.evidence)
    return Citation(article.id, article.number, article.title, signal.rule_id, signal.evidence)


def signal_order(s: Signal) -> tuple[int, bool, str]:
    """Riskiest first; among equals, rules that impose a decision first, then by id."""
    return (-s.risk.rank, s.decision is None, s.rule_id)
