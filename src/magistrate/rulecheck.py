"""A constitution's examples checked against the real engine: rules through the risk
detector, sequence rules through a governor judging each example's session in order."""

from __future__ import annotations

from itertools import count

from magistrate.action import Action
from magistrate.constitution import LoadedConstitution
from magistrate.constitution.examples import ExampleReport, SessionJudge, run_examples
from magistrate.governor import Governor
from magistrate.risk import RiskDetector


def check_examples(loaded: LoadedConstitution) -> ExampleReport:
    """Run every example of a constitution's rules and sequences."""
    detector = RiskDetector(loaded)
    return run_examples(loaded.model, detector, session_judge(Governor(detector=detector)))


def session_judge(governor: Governor) -> SessionJudge:
    """Judges a session's actions in order (fresh trust, own session id); the last verdict's
    cited rule ids."""
    sessions = count(1)

    def judge(actions: list[Action]) -> tuple[str, ...]:
        session = f"example-{next(sessions)}"
        cited: tuple[str, ...] = ()
        for action in actions:
            governor.trust.clear()
            data = {**action.to_dict(), "session": session}
            cited = governor.check(Action.from_dict(data)).rule_ids
        return cited

    return judge
