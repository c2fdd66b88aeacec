"""A batch's trust updates settled with a shared ledger in one round trip.

Judged one action after another, a batch pays one round trip to a shared trust ledger (Redis)
per decision: the atomic update of the principal's standing. Within a batch the ledger can
follow the batch's own updates itself (`trust.apply_outcome`, which the store's atomic script
mirrors exactly), so the governor judges the whole batch with the updates held, sends them all
at once, and only then finishes the verdicts (approvals, audit, telemetry). Where the store
disagrees — another server suspended or lifted a principal meanwhile (`StaleStanding`), an error
reply, the store out of reach — the verdicts concerned fail closed before anything about them
is recorded, and a verdict's trust figures are the ones the store computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple, Protocol

from magistrate.action import Action
from magistrate.levels import Decision, Risk
from magistrate.risk import RiskAssessment
from magistrate.verdict import Verdict

if TYPE_CHECKING:
    from magistrate.governor import Governor


class Settled(NamedTuple):
    """One held update as the store applied it: trust before and after the verdict."""

    principal: str
    decision: Decision
    risk: Risk
    before: float
    after: float


class Settlement(Protocol):
    """The updates a ledger holds back during a batch (`RedisTrustLedger.batch`)."""

    @property
    def held(self) -> int:
        """How many updates are held so far."""
        ...

    def settle(self) -> list[Settled | Exception]:
        """Send the held updates at once; for each, in order, what the store applied or why
        it refused. Raises when the store cannot be reached (nothing was applied)."""
        ...


def judge_settled(
    gov: Governor,
    items: Sequence[Action],
    found: Sequence[tuple[RiskAssessment, str, bool]],
    t0: int,
    t1: int,
    settlement: Settlement,
) -> list[Verdict]:
    """Judge `items` with their trust updates held, settle the updates, then finish each
    verdict (fail closed where its update was refused)."""
    judged: list[tuple[Verdict, int | None]] = []
    for action, (assessment, fingerprint, hit) in zip(items, found, strict=True):
        before = settlement.held
        verdict = gov._rule(action, assessment, fingerprint, hit, None, t0, t1, finish=False)
        judged.append((verdict, before if settlement.held == before + 1 else None))
    outcomes: list[Settled | Exception] | Exception
    try:
        outcomes = settlement.settle()
    except Exception as exc:  # the store out of reach: every held update failed
        outcomes = exc
    out: list[Verdict] = []
    for action, (assessment, _, _), (verdict, index) in zip(items, found, judged, strict=True):
        if verdict.error is not None:  # failed closed while judged: already finished
            out.append(verdict)
            continue
        if index is not None:
            outcome = outcomes if isinstance(outcomes, Exception) else outcomes[index]
            if isinstance(outcome, Exception):
                out.append(gov._fail_closed(action, outcome, t0))
                continue
            verdict.trust_before, verdict.trust_after = outcome.before, outcome.after
        out.append(gov._finish(action, assessment, verdict))
    return out
