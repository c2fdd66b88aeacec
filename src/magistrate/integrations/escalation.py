"""What integrations do with an `escalate` verdict: wait for a human (then deny on timeout), or
answer at once with the pending approval id. Shared by the MCP proxy and `@governed`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from magistrate.action import Action
from magistrate.governor import Governor
from magistrate.levels import Decision
from magistrate.verdict import Verdict

Escalation = Literal["wait", "return"]
ESCALATIONS: tuple[Escalation, ...] = ("wait", "return")


@dataclass(slots=True)
class Outcome:
    """The final word on one action after any wait: run it or not, and why."""

    allowed: bool
    verdict: Verdict
    pending: bool = False  # escalated and not (yet) approved: the approval id is worth naming
    note: str | None = None  # what happened to the escalation, when there was one
    waited: bool = False  # a human was waited for (and did not approve in time, or refused)

    @property
    def approval_id(self) -> str | None:
        """The approval request behind an escalation, if any."""
        return self.verdict.approval_id


def check_escalation(value: str) -> Escalation:
    """Validate an escalation policy name."""
    if value not in ESCALATIONS:
        raise ValueError(f"escalation must be 'wait' or 'return'; got {value!r}")
    return "wait" if value == "wait" else "return"


async def resolve(
    governor: Governor, action: Action, verdict: Verdict, escalation: Escalation, timeout: float
) -> Outcome:
    """Turn a verdict into an outcome, waiting for an approval when the policy says so."""
    if verdict.allowed:
        return Outcome(True, verdict)
    if verdict.decision is not Decision.ESCALATE or verdict.approval_id is None:
        return Outcome(False, verdict)
    if escalation == "return" or timeout <= 0:
        return Outcome(False, verdict, pending=True, note=f"approval {verdict.approval_id} pending")
    request = await governor.wait_for_approval(verdict.approval_id, timeout)
    return _after_wait(governor, action, verdict, request.status, request.id, timeout, request.note)


def resolve_sync(
    governor: Governor, action: Action, verdict: Verdict, escalation: Escalation, timeout: float
) -> Outcome:
    """`resolve` for synchronous callers (polls the approval store; no event loop needed)."""
    if verdict.allowed:
        return Outcome(True, verdict)
    if verdict.decision is not Decision.ESCALATE or verdict.approval_id is None:
        return Outcome(False, verdict)
    if escalation == "return" or timeout <= 0 or governor.approvals is None:
        return Outcome(False, verdict, pending=True, note=f"approval {verdict.approval_id} pending")
    approvals = governor.approvals
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        request = approvals.get(verdict.approval_id)
        status = request.effective_status
        remaining = deadline - time.monotonic()
        if status != "pending" or remaining <= 0:
            return _after_wait(governor, action, verdict, status, request.id, timeout, request.note)
        time.sleep(min(delay, remaining))
        delay = min(delay * 1.5, 0.5)


def _after_wait(
    governor: Governor,
    action: Action,
    verdict: Verdict,
    status: str,
    approval_id: str,
    timeout: float,
    note: str | None,
) -> Outcome:
    if status == "approved":
        again = governor.check(action)  # consumes the approval: allowed exactly once
        if again.allowed:
            return Outcome(True, again, note=f"approved ({approval_id})", waited=True)
        return Outcome(
            False, again, note=f"approval {approval_id} was granted but not usable", waited=True
        )
    if status == "pending":
        return Outcome(
            False,
            verdict,
            pending=True,
            note=f"no decision on approval {approval_id} within {timeout:g} s; denied",
            waited=True,
        )
    why = f": {note}" if note else ""
    return Outcome(
        False, verdict, note=f"approval {approval_id} {status}{why}; denied", waited=True
    )
