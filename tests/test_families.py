"""Per-family analyzers: every family's examples run through the real shell analyzer."""

from __future__ import annotations

import pytest

from magistrate.analysis.families import FAMILIES, Family, effects_of, families_of, family_of
from magistrate.analysis.families.base import Example, environment_classes
from magistrate.analysis.invocation import Invocation
from magistrate.risk import RiskDetector

_DETECTOR = RiskDetector()


def _found(command: str) -> set[str]:
    """Every `op` and `op:class` the analysis of a command line yields."""
    out: set[str] = set()
    for e in _DETECTOR.shell.analyze(command).effects:
        out.add(e.op)
        out.update(f"{e.op}:{c}" for c in e.classes)
    return out


_CASES = [(f.name, ex) for f in FAMILIES for ex in f.examples]


@pytest.mark.parametrize(("family", "example"), _CASES, ids=[ex.command for _, ex in _CASES])
def test_family_example(family: str, example: Example) -> None:
    found = _found(example.command)
    missing = [h for h in example.has if h not in found]
    unexpected = [x for x in example.lacks if x in found]
    assert not missing, f"{family}: {example.command!r} lacks {missing}; found {sorted(found)}"
    assert not unexpected, f"{family}: {example.command!r} has {unexpected}"


@pytest.mark.parametrize("family", FAMILIES, ids=[f.name for f in FAMILIES])
def test_every_family_has_examples_both_ways(family: Family) -> None:
    assert family.commands, family.name
    assert any(ex.has for ex in family.examples), f"{family.name}: no example that must match"
    assert any(ex.lacks for ex in family.examples), f"{family.name}: no example that must not"


def test_a_program_is_listed_once_per_family() -> None:
    # A program may be known to several families (npm installs and publishes; heroku deploys
    # apps and resets databases): each adds what it knows.
    for family in FAMILIES:
        assert len(family.commands) == len(set(family.commands)), family.name
    assert {f.name for f in families_of("heroku")} >= {"cloud", "databases"}
    assert family_of("kill") is not None
    assert family_of("no-such-program") is None


def test_privilege_is_carried_onto_effects() -> None:
    [plain] = [e for e in _DETECTOR.shell.analyze("kill -9 1").effects if e.op == "stop"]
    [raised] = [e for e in _DETECTOR.shell.analyze("sudo kill -9 1").effects if e.op == "stop"]
    assert not plain.privileged
    assert raised.privileged


def test_effects_of_unknown_program_is_empty() -> None:
    inv = Invocation("frobnicate", ["-x"], frozenset("x"), [], "", (), False, 0, 0, 0)
    assert effects_of(inv, lambda _p: frozenset()) == []


def test_environment_classes() -> None:
    assert environment_classes(["payments-prod"]) == {"production"}
    assert environment_classes(["scratch-db"]) == {"scratch"}
    assert environment_classes(["product-catalog", "produce"]) == frozenset()
