"""The matching engine finds what the patterns say, on every rule example of the default
constitution: each subject a text pattern matches by Python's `re` is one the detector's
Hyperscan scan recorded a hit in.

Hyperscan's block mode was found to miss matches of some shapes (`f["'][^"'\\n]{0,200}SELECT`
on a line longer than about 32 bytes, while the same pattern matched the shorter line): a rule
written that way would pass review and never fire. This test fails on such a pattern; rewrite it
(here: one pattern per quote character). Anchored patterns (`^`, `$`) are left out: they anchor
at the scanned buffer, which holds all of an action's subjects. Hyperscan folds case for ASCII
letters only; the loader writes every other letter in both cases (`dialect.both_cases`), which
this test found missing (a Russian address that began a sentence was not read)."""

from __future__ import annotations

import re

from magistrate import RiskDetector
from magistrate.action import Action
from magistrate.constitution import load_constitution
from magistrate.constitution.examples import example_action
from magistrate.constitution.loader import counts_for, pattern_table


def _examples() -> list[Action]:
    model = load_constitution("default").model
    return [
        example_action(rule, raw)
        for rule in model.rules
        for raw in [*rule.examples.match, *rule.examples.no_match]
    ]


def test_hyperscan_records_every_match_python_finds(detector: RiskDetector) -> None:
    compiled = {  # letters beyond ASCII are compiled in both cases (dialect.both_cases)
        pid: re.compile(p, re.IGNORECASE)
        for pid, p in enumerate(detector._id_pattern)
        if "^" not in p and "$" not in p.replace(r"\$", "")
    }
    model = detector.constitution.model
    table = pattern_table(model)
    missed: list[str] = []
    for action in _examples():
        # commands and SQL are scanned for the patterns that can count for them only
        counted = {pid for pid in compiled if counts_for(model, table[pid], action.kind)}
        ctx = detector._reader.read(action)
        detector._scan([ctx])
        recorded: dict[int, set[int]] = {}
        for pid, hits in ctx.hits.items():
            for subj, _ in hits:
                recorded.setdefault(subj, set()).add(pid)
        for k, subj in enumerate(ctx.subjects):
            if subj.view == "environment":
                continue
            for pid, rx in compiled.items():
                if pid not in counted:
                    continue
                if rx.search(subj.text) and pid not in recorded.get(k, set()):
                    missed.append(f"{detector._id_pattern[pid][:80]!r} in {subj.text[:80]!r}")
    assert not missed, "\n".join(sorted(set(missed))[:20])
