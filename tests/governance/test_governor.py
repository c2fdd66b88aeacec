"""The Governor: cache, batches, async, fail-closed, ungoverned, and never an exception."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from magistrate import Action, Decision, Governor, InvalidAction, RiskAssessment, RiskDetector
from magistrate.constitution import default_constitution
from magistrate.justica import Justica


class ExplodingDetector(RiskDetector):
    """A real detector with an injected fault in the risk stage."""

    def assess(self, action: Action) -> RiskAssessment:
        raise RuntimeError("scanner exploded")

    def assess_many(self, actions):  # type: ignore[no-untyped-def]
        raise RuntimeError("scanner exploded")


class ExplodingJustica(Justica):
    """A real judge with an injected fault."""

    def judge(self, action, assessment, min_risk=None):  # type: ignore[no-untyped-def]
        raise KeyError("ledger unavailable")


def test_cache_hits_by_exact_content(governor: Governor) -> None:
    a = Action(kind="shell", text="ls -la /tmp", principal="c1")
    first = governor.check(a)
    second = governor.check(Action(kind="shell", text="ls -la /tmp", principal="c2"))
    assert not first.cache_hit and second.cache_hit
    assert first.fingerprint == second.fingerprint
    # SQL literals do not change the fingerprint but are not merged in the cache: the detector
    # must see `1=1` versus `1=2`.
    safe = governor.check(Action(kind="sql", text="DELETE FROM t WHERE 1=2", principal="c3"))
    bad = governor.check(Action(kind="sql", text="DELETE FROM t WHERE 1=1", principal="c4"))
    assert safe.fingerprint == bad.fingerprint
    assert safe.decision is Decision.ALLOW and bad.decision is Decision.ESCALATE


def test_trust_is_never_cached(governor: Governor) -> None:
    drop = Action(kind="sql", text="DROP TABLE t", principal="same")
    first, second = governor.check(drop), governor.check(drop)
    assert second.cache_hit and second.trust_before < first.trust_before


def test_check_many_keeps_order_and_matches_check(detector: RiskDetector) -> None:
    texts = ["ls", "rm -rf /", "cat ~/.ssh/id_rsa", "ls", "echo hi"]
    batch = Governor(detector=detector).check_many(
        [Action(kind="shell", text=t, principal=f"p{i}", id=i) for i, t in enumerate(texts)]
    )
    single_gov = Governor(detector=detector)
    single = [
        single_gov.check(Action(kind="shell", text=t, principal=f"p{i}", id=i))
        for i, t in enumerate(texts)
    ]
    assert [v.action_id for v in batch] == list(range(len(texts)))
    assert [(v.decision, v.risk) for v in batch] == [(v.decision, v.risk) for v in single]


def test_async_check(governor: Governor) -> None:
    v = asyncio.run(governor.acheck({"kind": "sql", "text": "DROP TABLE x", "principal": "as"}))
    assert v.decision is Decision.ESCALATE
    vs = asyncio.run(governor.acheck_many([Action(kind="shell", text="ls", principal="as2")]))
    assert vs[0].allowed


def test_invalid_input_raises_invalid_action(governor: Governor) -> None:
    with pytest.raises(InvalidAction):
        governor.check({"kind": "shell"})
    with pytest.raises(InvalidAction):
        governor.check({"kind": "shell", "text": "x" * 100_001})


def test_failing_risk_stage_fails_closed() -> None:
    gov = Governor(detector=ExplodingDetector(default_constitution()))
    v = gov.check(Action(kind="shell", text="ls", principal="f"))
    assert v.decision is Decision.DENY
    assert v.reasons[0].startswith("governance error: RuntimeError: scanner exploded")
    assert [x.decision for x in gov.check_many([Action(kind="shell", text="ls")])] == [
        Decision.DENY
    ]
    assert gov.counts["errors"] == 2


def test_failing_judge_fails_closed_and_can_escalate_instead(detector: RiskDetector) -> None:
    gov = Governor(detector=detector, on_error="escalate")
    judge = gov.justica
    gov.justica = ExplodingJustica(
        judge.constitution, judge.trust, judge.sessions, judge.mode, role_binding=judge.role_binding
    )
    v = gov.check(Action(kind="shell", text="ls", principal="f2"))
    assert v.decision is Decision.ESCALATE and "KeyError" in v.reasons[0]
    with pytest.raises(ValueError, match="fails closed"):
        Governor(detector=detector, on_error="allow")


def test_disabled_governance_is_marked_ungoverned(detector: RiskDetector) -> None:
    gov = Governor(detector=detector, enabled=False)
    v = gov.check(Action(kind="shell", text="rm -rf /"))
    assert v.allowed and v.ungoverned and v.mode == "disabled"


def test_status(governor: Governor) -> None:
    governor.check(Action(kind="shell", text="ls", principal="st"))
    info = governor.status()
    assert info["constitution"]["version"] == governor.version
    assert info["counts"]["allow"] >= 1 and info["stores"]["trust"] == "MemoryTrustLedger"


KINDS = ["shell", "sql", "tool", "prompt", "tool_output", "http", "file", "deploy", "other"]
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
values = st.recursive(
    scalars,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
    max_leaves=8,
)


@given(
    kind=st.sampled_from(KINDS),
    text=st.text(max_size=400),
    tool=st.none() | st.text(max_size=30),
    args=st.none() | st.dictionaries(st.text(max_size=10), values, max_size=4),
    role=st.none() | st.sampled_from(["reader", "executor", "deployer", "admin", "ghost"]),
)
@settings(max_examples=300, deadline=None)
def test_any_action_in_a_verdict_out(
    detector: RiskDetector,
    kind: str,
    text: str,
    tool: str | None,
    args: dict | None,
    role: str | None,
) -> None:
    gov = Governor(detector=detector)
    try:
        action = Action(kind=kind, text=text, tool=tool, args=args, role=role)
    except InvalidAction:
        return
    verdict = gov.check(action)
    assert verdict.decision in Decision
    assert verdict.error is None, verdict.error
