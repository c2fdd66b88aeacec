"""A batch is judged per action (issue 10 item 7): `assess_many` and `check_many` give each action
exactly the assessment it gets alone; a wide pattern cannot match across two neighbours."""

from __future__ import annotations

import json
from pathlib import Path

from magistrate import Action, Governor
from magistrate.risk import RiskDetector

DATA = Path(__file__).parents[1] / "data"

DOB_NOTE = Action(kind="tool", tool="update_profile", args={"note": "patient dob 1990-01-01"})
EMAIL = Action(
    kind="tool",
    tool="send_email",
    args={"to": "bob@gmail.com", "subject": "hello", "body": "lunch?"},
)


def test_a_neighbour_mentioning_a_birth_date_does_not_taint_an_email() -> None:
    detector = RiskDetector()
    alone = [detector.assess(a) for a in (DOB_NOTE, EMAIL)]
    batch = detector.assess_many([DOB_NOTE, EMAIL])
    assert "export-personal-data-by-tool" not in batch[1].rule_ids
    assert [(a.level, a.rule_ids) for a in alone] == [(b.level, b.rule_ids) for b in batch]


def test_check_many_gives_each_the_verdict_it_gets_alone() -> None:
    batch = Governor().check_many([DOB_NOTE, EMAIL])
    alone = [Governor().check(a) for a in (DOB_NOTE, EMAIL)]
    for b, a in zip(batch, alone, strict=True):
        assert (b.decision, b.risk) == (a.decision, a.risk)
        assert [c.rule_id for c in b.citations] == [c.rule_id for c in a.citations]


def test_a_whole_corpus_in_one_batch_matches_one_by_one() -> None:
    rows = [json.loads(line) for line in (DATA / "corpus.jsonl").read_text().splitlines() if line]
    actions = [Action.from_dict(r) for r in rows]
    detector = RiskDetector()
    batch = detector.assess_many(actions)
    for action, got in zip(actions, batch, strict=True):
        want = detector.assess(action)
        assert (got.level, got.rule_ids) == (want.level, want.rule_ids), action.text
