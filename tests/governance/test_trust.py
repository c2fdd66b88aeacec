"""The trust ledger: penalties, recovery, decay, suspension and who may lift it."""

from __future__ import annotations

import pytest

from magistrate import Decision, MemoryTrustLedger, Risk, SuspensionError, TrustPolicy
from magistrate.trust import TrustState, apply_outcome, decayed


def test_penalty_scales_with_severity() -> None:
    ledger = MemoryTrustLedger()
    _, after_medium = ledger.record("a", Decision.DENY, Risk.MEDIUM)
    _, after_high = ledger.record("b", Decision.DENY, Risk.HIGH)
    assert after_high < after_medium < ledger.policy.baseline


def test_recovery_on_clean_actions_and_keyed_by_principal() -> None:
    ledger = MemoryTrustLedger()
    ledger.record("a", Decision.DENY, Risk.HIGH)
    low = ledger.state("a").score
    ledger.record("a", Decision.ALLOW, Risk.LOW)
    assert ledger.state("a").score > low
    assert ledger.state("b").score == ledger.policy.baseline


def test_decay_toward_baseline() -> None:
    policy = TrustPolicy(half_life_s=100.0)
    state = TrustState(score=0.4, updated=0.0)
    assert decayed(state, policy, 100.0) == pytest.approx(0.6)  # half the distance to 0.8
    assert decayed(state, policy, 10_000.0) == pytest.approx(0.8, abs=1e-6)


def test_critical_deny_suspends_and_low_trust_suspends() -> None:
    policy = TrustPolicy()
    s = apply_outcome(TrustState(0.8, 0.0), Decision.DENY, Risk.CRITICAL, policy, 1.0)
    assert s.suspended and "CRITICAL" in s.reason
    s = TrustState(0.8, 0.0)
    for _ in range(20):
        s = apply_outcome(s, Decision.DENY, Risk.MEDIUM, policy, 1.0)
    assert s.suspended and "below" in s.reason


def test_only_an_approver_other_than_the_principal_lifts_a_suspension() -> None:
    ledger = MemoryTrustLedger()
    ledger.record("agent", Decision.DENY, Risk.CRITICAL)
    assert ledger.state("agent").suspended
    approvers = frozenset({"alice", "agent"})
    with pytest.raises(SuspensionError, match="own suspension"):
        ledger.lift_suspension("agent", by="agent", approvers=approvers)
    with pytest.raises(SuspensionError, match="not an approver"):
        ledger.lift_suspension("agent", by="mallory", approvers=approvers)
    ledger.lift_suspension("agent", by="alice", approvers=approvers)
    assert not ledger.state("agent").suspended
    with pytest.raises(SuspensionError, match="not suspended"):
        ledger.lift_suspension("agent", by="alice", approvers=approvers)


@pytest.mark.parametrize("shared", [False, True])
def test_half_life_comes_from_settings(shared: bool) -> None:
    # MAGISTRATE_TRUST_HALF_LIFE_S reaches whichever ledger a configuration builds.
    from magistrate import Governor
    from magistrate.config import Settings
    from tests.servers import REDIS_URL

    url = REDIS_URL if shared else None
    for half_life in (60.0, 3600.0):
        settings = Settings(redis_url=url, trust_half_life_s=half_life, audit=False, metrics=False)
        gov = Governor.from_settings(settings)
        assert type(gov.trust).__name__ == ("RedisTrustLedger" if shared else "MemoryTrustLedger")
        assert gov.trust.policy.half_life_s == half_life
        gov.close()


def test_half_life_must_be_positive() -> None:
    from pydantic import ValidationError

    from magistrate.config import Settings

    with pytest.raises(ValidationError):
        Settings(trust_half_life_s=0)
