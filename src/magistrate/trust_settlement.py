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

import contextlib
import contextvars
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

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
        it refused. Raises when the store cannot be reached or answers an error for the call
        as a whole (some updates may have been applied then: every held verdict fails
        closed)."""
        ...


@contextlib.contextmanager
def held_updates(trust: object, principals: list[str]) -> Iterator[Settlement | None]:
    """The ledger's batch for `principals` when it has one (a shared ledger) and read their
    standings; None otherwise (then each check reads and updates on its own, failing closed
    on its own when the store is out of reach)."""
    holding = getattr(trust, "holding", None)
    if holding is None or len(principals) < 2:
        yield None
        return
    with contextlib.ExitStack() as stack:
        try:
            settlement: Settlement | None = stack.enter_context(holding(principals))
        except Exception:
            settlement = None
        yield settlement


def check_each(
    gov: Governor,
    actions: Sequence[Action],
    floors: Sequence[Risk | None],
    contexts: Sequence[contextvars.Context],
) -> list[Verdict | Exception]:
    """Independent checks (a server's concurrent requests) judged together: each assessed,
    judged and finished (audit, telemetry) in its caller's context and on its own, so a
    failure reaches only its own caller (a failed assessment as a verdict failed closed,
    anything else as the exception `Governor.check` would raise); with a shared ledger their
    trust updates settle in one round trip."""
    llm = gov.sofia is not None and gov.sofia.llm is not None
    if gov.enabled and not llm:
        t0 = time.perf_counter_ns()
        found: list[tuple[RiskAssessment, str, bool] | Exception] = []
        for action in actions:
            try:
                found.append(gov.assess(action))
            except Exception as exc:  # fails closed below, this verdict only
                found.append(exc)
        with held_updates(gov.trust, [a.principal for a in actions]) as settlement:
            if settlement is not None:
                return judge_settled(gov, actions, found, t0, t0, settlement, floors, contexts)
    out: list[Verdict | Exception] = []
    for action, floor, ctx in zip(actions, floors, contexts, strict=True):
        try:
            out.append(ctx.run(gov.check, action, min_risk=floor))
        except Exception as exc:
            out.append(exc)
    return out


def judge_settled(
    gov: Governor,
    items: Sequence[Action],
    found: Sequence[tuple[RiskAssessment, str, bool] | Exception],
    t0: int,
    t1: int,
    settlement: Settlement,
    floors: Sequence[Risk | None] | None = None,
    contexts: Sequence[contextvars.Context] | None = None,
) -> list[Verdict | Exception]:
    """Judge `items` with their trust updates held, settle the updates, then finish each
    verdict (fail closed where its assessment failed or its update was refused), each in its
    caller's context when `contexts` are given. What raises while one item is judged or
    finished is that item's result, in its place: the others are still finished."""
    judged: list[tuple[Verdict | Exception, int | None]] = []
    for i, (action, assessed) in enumerate(zip(items, found, strict=True)):
        if isinstance(assessed, Exception):
            judged.append((assessed, None))
            continue
        run = contexts[i].run if contexts is not None else _now
        before = settlement.held
        floor = floors[i] if floors is not None else None
        try:
            verdict = run(gov._rule, action, *assessed, floor, t0, t1, finish=False)
        except Exception as exc:  # _rule fails closed itself; this is a last resort
            judged.append((exc, None))
            continue
        judged.append((verdict, before if settlement.held == before + 1 else None))
    outcomes: list[Settled | Exception] | Exception
    try:
        outcomes = settlement.settle()
    except Exception as exc:  # the store out of reach: every held update failed
        outcomes = exc
    out: list[Verdict | Exception] = []
    for i, (action, assessed, (judgement, index)) in enumerate(
        zip(items, found, judged, strict=True)
    ):
        run = contexts[i].run if contexts is not None else _now
        try:
            out.append(_finished(gov, action, assessed, judgement, index, outcomes, t0, run))
        except Exception as exc:
            out.append(exc)
    return out


def _finished(
    gov: Governor,
    action: Action,
    assessed: tuple[RiskAssessment, str, bool] | Exception,
    judgement: Verdict | Exception,
    index: int | None,
    outcomes: list[Settled | Exception] | Exception,
    t0: int,
    run: Callable[..., Verdict],
) -> Verdict:
    """One item's verdict, finished: failed closed when its assessment, judgement or update
    failed, else with the store's trust figures."""
    if isinstance(judgement, Exception):  # its assessment (or judgement) failed
        return run(gov._fail_closed, action, judgement, t0)
    if judgement.error is not None:  # failed closed while judged: already finished
        return judgement
    if index is not None:
        outcome = outcomes if isinstance(outcomes, Exception) else outcomes[index]
        if isinstance(outcome, Exception):
            return run(gov._fail_closed, action, outcome, t0)
        judgement.trust_before, judgement.trust_after = outcome.before, outcome.after
    assert not isinstance(assessed, Exception)
    return run(gov._finish, action, assessed[0], judgement)


def _now(fn: Callable[..., Verdict], *args: Any, **kwargs: Any) -> Verdict:
    return fn(*args, **kwargs)
