"""A rule's examples as actions, and the check that each one fires (or not) its rule.

The constitution layer does not import the risk detector (imports go one way): the runner
takes anything with `assess(action)` whose result has `rule_ids`, the real `RiskDetector`
in the CLI and the tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from magistrate.action import Action
from magistrate.constitution.model import Constitution, Example, Kind, Rule, SequenceRule
from magistrate.errors import InvalidAction

# Judges a session: the actions in order; returns the rule ids cited on the last one.
SessionJudge = Callable[[list[Action]], tuple[str, ...]]


class Assessor(Protocol):
    """What runs examples: the risk detector."""

    def assess(self, action: Action) -> Any: ...


def natural_kind(rule: Rule) -> Kind:
    """The kind of action a string example of this rule is: what the rule is written for
    (what its conditions read, when the rule's `kinds` allow it; else its first kind)."""
    kind = _kind_of_match(rule)
    if rule.kinds and kind not in rule.kinds:
        return rule.kinds[0]
    return kind


def _kind_of_match(rule: Rule) -> Kind:
    m = rule.match
    if m.sql:
        return "sql"
    if m.shell or m.effect:
        return "shell"
    if m.tool:
        return "tool"
    views = set(m.in_)
    if "shell" in views or "code" in views or m.facts:
        return "shell"
    if "sql" in views:
        return "sql"
    if "text" in views:
        return "prompt"
    if "tool" in views or "args" in views:
        return "tool"
    return "other"


def example_action(rule: Rule | SequenceRule, example: Example) -> Action:
    """The action an example stands for; raises InvalidAction when it is not one. (A string
    in a sequence's example is a shell command.)"""
    if isinstance(example, str):
        kind = natural_kind(rule) if isinstance(rule, Rule) else "shell"
        if kind == "tool":
            return Action(kind="tool", tool=example)
        return Action(kind=kind, text=example)
    if "kind" not in example:
        example = {"kind": natural_kind(rule) if isinstance(rule, Rule) else "shell", **example}
    return Action.from_dict(example, strict=True)


def example_problems(rule: Rule | SequenceRule) -> Iterator[str]:
    """Why some of a rule's examples are not valid actions (for the loader)."""
    for label, examples in _labelled(rule):
        for i, actions in enumerate(examples):
            for j, item in enumerate(actions):
                where = f"examples.{label}[{i}]" + (f"[{j}]" if len(actions) > 1 else "")
                try:
                    example_action(rule, item)
                except (InvalidAction, TypeError) as exc:
                    yield f"{where}: not an action: {exc}"


def _labelled(rule: Rule | SequenceRule) -> list[tuple[str, list[list[Example]]]]:
    """(match or no_match, examples as lists of actions: one for a rule, a session for a
    sequence)."""
    if isinstance(rule, SequenceRule):
        return [("match", rule.examples.match), ("no_match", rule.examples.no_match)]
    ex = rule.examples
    return [("match", [[e] for e in ex.match]), ("no_match", [[e] for e in ex.no_match])]


@dataclass(frozen=True, slots=True)
class ExampleFailure:
    """An example whose rule did not fire (match) or fired (no_match)."""

    rule_id: str
    expected: str  # "match" or "no_match"
    example: Example | list[Example]  # a list: a session (sequence rules)
    fired: tuple[str, ...]  # the rules that did fire

    def __str__(self) -> str:
        verb = "did not fire on" if self.expected == "match" else "fired on no_match"
        shown = self.example if isinstance(self.example, (str, list)) else dict(self.example)
        return f"{self.rule_id}: {verb} {shown!r} (fired: {', '.join(self.fired) or 'none'})"


@dataclass(frozen=True, slots=True)
class ExampleReport:
    """What running a constitution's examples found."""

    rules: int
    with_examples: int
    passed: int
    failures: tuple[ExampleFailure, ...]
    without: tuple[str, ...]  # ids of rules lacking a match or a no_match example

    @property
    def failed(self) -> int:
        """How many examples failed."""
        return len(self.failures)

    def to_dict(self) -> dict[str, int]:
        """The figures `constitution test --json` prints."""
        return {
            "rules": self.rules,
            "with_examples": self.with_examples,
            "passed": self.passed,
            "failed": self.failed,
        }


def run_examples(
    model: Constitution, detector: Assessor, session_judge: SessionJudge | None = None
) -> ExampleReport:
    """Run every example of every rule through the detector: each match example must fire its
    rule, each no_match example must not. With a session judge, sequence rules' examples too
    (they count as rules); without one, sequences are left out."""
    passed = 0
    failures: list[ExampleFailure] = []
    with_examples = 0
    without: list[str] = []
    rules: list[Rule | SequenceRule] = [*model.rules]
    if session_judge is not None:
        rules += model.sequences
    for rule in rules:
        labelled = _labelled(rule)
        if any(examples for _, examples in labelled):
            with_examples += 1
        if not all(examples for _, examples in labelled):
            without.append(rule.id)
        for expected, examples in labelled:
            for actions in examples:
                if isinstance(rule, SequenceRule):
                    assert session_judge is not None
                    fired = _fired_in_session(session_judge, rule, actions)
                    shown: Example | list[Example] = actions
                else:
                    fired = _fired(detector, rule, actions[0])
                    shown = actions[0]
                if (rule.id in fired) == (expected == "match"):
                    passed += 1
                else:
                    failures.append(ExampleFailure(rule.id, expected, shown, fired))
    return ExampleReport(len(rules), with_examples, passed, tuple(failures), tuple(without))


def _fired_in_session(
    judge: SessionJudge, rule: SequenceRule, session: list[Example]
) -> tuple[str, ...]:
    try:
        actions = [example_action(rule, item) for item in session]
    except (InvalidAction, TypeError) as exc:
        return (f"<invalid: {exc}>",)
    return judge(actions) if actions else ()


def _fired(detector: Assessor, rule: Rule, example: Example) -> tuple[str, ...]:
    try:
        action = example_action(rule, example)
    except (InvalidAction, TypeError) as exc:
        return (f"<invalid: {exc}>",)
    ids: Sequence[str] = detector.assess(action).rule_ids
    return tuple(ids)
