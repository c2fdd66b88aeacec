"""The trust ledger: per-principal trust that falls with violations and recovers with time.

Keyed by principal (never by role: one misbehaving agent must not cost its whole role). A
penalty scales with the severity of what was blocked; clean actions recover a little; scores
decay toward the baseline over time; a principal below the threshold, or one denied a CRITICAL
action, is suspended until an approver lifts the suspension.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Protocol

from magistrate.errors import SuspensionError
from magistrate.levels import Decision, Risk


@dataclass(frozen=True, slots=True)
class TrustPolicy:
    """How trust moves."""

    baseline: float = 0.8
    suspend_below: float = 0.2
    half_life_s: float = 3600.0  # distance to the baseline halves in this time
    recovery: float = 0.005  # per allowed LOW/MEDIUM action
    deny_penalty: tuple[float, float, float, float] = (0.02, 0.05, 0.10, 0.25)  # by risk rank
    escalate_penalty: tuple[float, float, float, float] = (0.0, 0.0, 0.01, 0.03)
    suspend_on_critical_deny: bool = True


@dataclass(frozen=True, slots=True)
class TrustState:
    """A principal's standing."""

    score: float
    updated: float  # unix time of the last change
    suspended: bool = False
    reason: str = ""


def decayed(state: TrustState, policy: TrustPolicy, now: float) -> float:
    """The score at `now`, after decay toward the baseline."""
    dt = now - state.updated
    if dt <= 0 or state.score == policy.baseline:
        return state.score
    factor: float = 0.5 ** (dt / policy.half_life_s)
    return policy.baseline + (state.score - policy.baseline) * factor


def apply_outcome(
    state: TrustState, decision: Decision, risk: Risk, policy: TrustPolicy, now: float
) -> TrustState:
    """The state after one verdict: penalty, recovery and suspension."""
    return _outcome(state, decayed(state, policy, now), decision, risk, policy, now)


def _outcome(
    state: TrustState,
    score: float,
    decision: Decision,
    risk: Risk,
    policy: TrustPolicy,
    now: float,
) -> TrustState:
    """`apply_outcome` from the score already decayed to `now`."""
    rank = risk.rank
    suspended, reason = state.suspended, state.reason
    if decision is Decision.DENY:
        score -= policy.deny_penalty[rank]
        if rank == 3 and policy.suspend_on_critical_deny and not suspended:
            suspended, reason = True, "denied a CRITICAL action"
    elif decision is Decision.ESCALATE:
        score -= policy.escalate_penalty[rank]
    elif rank <= 1:
        score += policy.recovery
    score = min(1.0, max(0.0, score))
    if score < policy.suspend_below and not suspended:
        suspended, reason = True, f"trust {score:.2f} fell below {policy.suspend_below}"
    return TrustState(score, now, suspended, reason)


def _changed(a: TrustState, b: TrustState) -> bool:
    """`a != b`, field by field: the time differs almost always and decides at once (the
    generated `__eq__` builds two tuples on every check)."""
    return (
        a.updated != b.updated
        or a.score != b.score
        or a.suspended != b.suspended
        or a.reason != b.reason
    )


class TrustLedger(Protocol):
    """Where trust lives: memory by default, Redis for several servers."""

    policy: TrustPolicy

    def state(self, principal: str) -> TrustState:
        """The principal's current state (decay applied)."""
        ...

    def record(self, principal: str, decision: Decision, risk: Risk) -> tuple[float, float]:
        """Apply a verdict atomically; returns trust (before, after)."""
        ...

    def suspend(self, principal: str, reason: str) -> None:
        """Suspend a principal."""
        ...

    def lift_suspension(self, principal: str, by: str, approvers: frozenset[str]) -> None:
        """Lift a suspension; only an approver other than the principal may."""
        ...

    def clear(self) -> None:
        """Forget every principal."""
        ...


class MemoryTrustLedger:
    """An in-process ledger (the embedded default)."""

    def __init__(self, policy: TrustPolicy | None = None, max_principals: int = 1_000_000) -> None:
        self.policy = policy or TrustPolicy()
        self._states: dict[str, TrustState] = {}
        self._lock = threading.Lock()
        self._max = max_principals
        self._fresh = TrustState(self.policy.baseline, 0.0)

    def _get(self, principal: str, now: float) -> TrustState:
        state = self._states.get(principal)
        if state is None:
            return TrustState(self.policy.baseline, now)
        return state

    def state(self, principal: str) -> TrustState:
        """The principal's current state (decay applied)."""
        state = self._states.get(principal)  # a dict read is atomic: no lock needed
        if state is None:
            return self._fresh
        now = time.time()
        return TrustState(decayed(state, self.policy, now), now, state.suspended, state.reason)

    def record(self, principal: str, decision: Decision, risk: Risk) -> tuple[float, float]:
        """Apply a verdict; returns trust (before, after)."""
        now = time.time()
        with self._lock:
            state = self._get(principal, now)
            before = decayed(state, self.policy, now)
            after_state = _outcome(state, before, decision, risk, self.policy, now)
            if _changed(after_state, state):
                if principal not in self._states and len(self._states) >= self._max:
                    self._evict()
                self._states[principal] = after_state
        return before, after_state.score

    def _evict(self) -> None:
        # Forget principals back at baseline first: they carry no information.
        for key, st in list(self._states.items())[: max(1, self._max // 10)]:
            if not st.suspended:
                del self._states[key]

    def suspend(self, principal: str, reason: str) -> None:
        """Suspend a principal."""
        now = time.time()
        with self._lock:
            state = self._get(principal, now)
            self._states[principal] = TrustState(
                decayed(state, self.policy, now), now, True, reason
            )

    def lift_suspension(self, principal: str, by: str, approvers: frozenset[str]) -> None:
        """Lift a suspension; only a configured approver other than the principal may."""
        if by == principal:
            raise SuspensionError(f"{by} cannot lift their own suspension")
        if by not in approvers:
            raise SuspensionError(f"{by} is not an approver")
        now = time.time()
        with self._lock:
            state = self._get(principal, now)
            if not state.suspended:
                raise SuspensionError(f"{principal} is not suspended")
            score = max(decayed(state, self.policy, now), self.policy.suspend_below + 0.1)
            self._states[principal] = TrustState(score, now, False, f"lifted by {by}")

    def clear(self) -> None:
        """Forget every principal."""
        with self._lock:
            self._states.clear()

    def __len__(self) -> int:
        return len(self._states)
