"""The Maestro facade: the seed orchestrator's entry point, on the real pipeline.

`execute_with_governance(agent, task)` builds an action from the task, asks the Governor, and
runs the agent only when the verdict allows it.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from magistrate.action import FIELDS, Action
from magistrate.analysis.text import looks_like_shell, looks_like_sql
from magistrate.governor import Governor
from magistrate.levels import Decision, Risk
from magistrate.verdict import Verdict


@dataclass(slots=True)
class MaestroResponse:
    """The outcome of a governed execution."""

    success: bool
    verdict: Verdict
    result: Any = None
    error: str | None = None
    approval_id: str | None = None  # set when the task waits on a human (escalation="return")

    @property
    def blocked(self) -> bool:
        """True when governance did not allow the task to run."""
        return not self.verdict.allowed

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "success": self.success,
            "result": self.result,
            "error": self.error,
            "approval_id": self.approval_id,
            "verdict": self.verdict.to_dict(),
        }


def _configured() -> tuple[Literal["wait", "return"], float]:
    """The escalation policy and approval timeout the settings name explicitly; `return` when
    none does (a library call must not block for minutes by surprise)."""
    from magistrate.config import Settings

    settings = Settings()
    chosen = "escalation" in settings.model_fields_set
    return (settings.escalation if chosen else "return"), settings.approval_timeout_s


def principal_of(agent: Any) -> str:
    """The principal an agent acts as: its `principal`, `name` or `id`, else its type."""
    for attr in ("principal", "name", "id"):
        value = getattr(agent, attr, None)
        if isinstance(value, str) and value:
            return value if ":" in value else f"agent:{value}"
    name = getattr(agent, "__name__", None) or type(agent).__name__
    return f"agent:{name}"


def action_for(task: Any, principal: str, commands: frozenset[str] = frozenset()) -> Action:
    """The action a task stands for: an Action, a mapping of action fields, or text."""
    if isinstance(task, Action):
        if task.principal == "anonymous":
            data = task.to_dict()
            data["principal"] = principal
            return Action.from_dict(data)
        return task
    if isinstance(task, Mapping):
        fields = {k: v for k, v in task.items() if k in FIELDS}
        if fields.get("text") or fields.get("tool") or fields.get("args"):
            fields.setdefault("principal", principal)
            return Action.from_dict(fields)
        for key in ("description", "task", "prompt", "instruction", "command", "query"):
            if isinstance(task.get(key), str):
                return action_for(task[key], principal, commands)
        return Action(kind="other", text=str(dict(task)), principal=principal)
    text = str(task)
    kind = (
        "sql"
        if looks_like_sql(text)
        else "shell"
        if looks_like_shell(text, commands)
        else ("prompt")
    )
    return Action(kind=kind, text=text, principal=principal)


class Maestro:
    """Runs agents' tasks only when governance allows them.

    On escalation, `escalation="return"` (the default) returns at once with the pending
    approval id (call again once a human has approved it); `escalation="wait"` waits for a
    human up to `approval_timeout` seconds and then denies. Left unset, `MAGISTRATE_ESCALATION`
    (or `escalation` in `magistrate.toml`) decides, and `return` when neither says.
    """

    def __init__(
        self,
        governor: Governor | None = None,
        *,
        escalation: Literal["wait", "return"] | None = None,
        approval_timeout: float | None = None,
    ) -> None:
        if escalation is not None and escalation not in ("wait", "return"):
            raise ValueError(f"escalation must be 'wait' or 'return'; got {escalation!r}")
        if escalation is None or approval_timeout is None:
            configured, timeout = _configured()
            escalation = escalation or configured
            approval_timeout = timeout if approval_timeout is None else approval_timeout
        self.governor = governor or Governor.default()
        self.escalation: Literal["wait", "return"] = escalation
        self.approval_timeout = approval_timeout

    async def execute_with_governance(
        self, agent: Any, task: Any, risk_level: Risk | str | None = None
    ) -> MaestroResponse:
        """Check the task; run `agent.execute(task)` (or `agent(task)`) only if allowed.

        `risk_level` may raise the tier the detector found, never lower it.
        """
        commands = self.governor.detector.known_commands
        action = action_for(task, principal_of(agent), commands)
        verdict = await self.governor.acheck(action, min_risk=risk_level)
        if verdict.decision is Decision.ESCALATE and verdict.approval_id is not None:
            if self.escalation == "return":
                return MaestroResponse(
                    False,
                    verdict,
                    approval_id=verdict.approval_id,
                    error=f"waiting for approval {verdict.approval_id}",
                )
            request = await self.governor.wait_for_approval(
                verdict.approval_id, self.approval_timeout
            )
            if request.status != "approved":
                outcome = "timed out" if request.status == "pending" else request.status
                return MaestroResponse(
                    False,
                    verdict,
                    approval_id=request.id,
                    error=f"escalation {outcome}: approval {request.id} was not granted; denied",
                )
            verdict = await self.governor.acheck(action, min_risk=risk_level)  # uses it
        if not verdict.allowed:
            cited = (
                verdict.citations[0].short()
                if verdict.citations
                else "; ".join(verdict.reasons[:1])
            )
            return MaestroResponse(
                False, verdict, error=f"blocked by governance ({verdict.decision.value}): {cited}"
            )
        try:
            runner = getattr(agent, "execute", None)
            outcome = runner(task) if callable(runner) else agent(task)
            if inspect.isawaitable(outcome):
                outcome = await outcome
        except Exception as exc:  # the agent failed, not governance
            return MaestroResponse(
                False, verdict, error=f"agent error: {type(exc).__name__}: {exc}"
            )
        return MaestroResponse(True, verdict, result=outcome)
