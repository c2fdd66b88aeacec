"""Shared by the framework adapters: a tool call as an action, a verdict as a message."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from magistrate.action import Action
from magistrate.config import Settings
from magistrate.governor import Governor
from magistrate.integrations.escalation import (
    Escalation,
    Outcome,
    check_escalation,
    resolve,
    resolve_sync,
)
from magistrate.integrations.governed import default_governor
from magistrate.integrations.mcp.results import output_text, windows
from magistrate.integrations.redaction import redact


class ToolPolicy:
    """Who calls the tools, as what kind of action, and what happens on escalate.

    Results are judged as the tool's own content (principal `tool:NAME` unless
    `output_principal` is given), so an injection a tool returns weighs on that tool's trust,
    not on the agent's."""

    def __init__(
        self,
        *,
        governor: Governor | None = None,
        principal: str = "agent",
        role: str | None = None,
        session: str | None = None,
        kind: str = "tool",
        text_arg: str | None = None,
        check_output: bool = True,
        output_principal: str | None = None,
        escalation: Escalation | None = None,
        approval_timeout: float | None = None,
    ) -> None:
        if escalation is not None:
            check_escalation(escalation)
        self._governor = governor
        self.principal = principal
        self.role = role
        self.session = session
        self.kind = kind
        self.text_arg = text_arg
        self.check_output = check_output
        self.output_principal = output_principal
        self._escalation = escalation
        self._timeout = approval_timeout
        Action(kind=kind, text="x")  # validate the kind now, not at the first call

    @property
    def governor(self) -> Governor:
        """The governor in use (the process default unless one was given)."""
        return self._governor or default_governor()

    def escalation(self) -> tuple[Escalation, float]:
        """The escalation policy: as given, else from the settings."""
        if self._escalation is None or self._timeout is None:
            s = Settings()
            return (
                self._escalation or s.escalation,
                self._timeout if self._timeout is not None else s.approval_timeout_s,
            )
        return self._escalation, self._timeout

    def call_action(self, tool: str, arguments: Any, session: str | None = None) -> Action:
        """The action for one tool call; InvalidAction names the bad field."""
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except ValueError:
                arguments = {"input": arguments}
        if arguments is not None and not isinstance(arguments, Mapping):
            arguments = {"input": arguments}
        args = dict(arguments or {})
        text = ""
        if self.kind != "tool":
            value = args.get(self.text_arg) if self.text_arg else _first_string(args)
            text = value if isinstance(value, str) else ""
        return Action(
            kind=self.kind,
            text=text,
            tool=tool,
            args=args,
            principal=self.principal,
            role=self.role,
            session=session or self.session,
        )

    def output_actions(self, tool: str, output: Any, session: str | None = None) -> list[Action]:
        """The tool_output actions for a result: its text in overlapping windows (none when
        there is no text to judge)."""
        text = _text_of(output)
        if not text.strip():
            return []
        return [
            Action(
                kind="tool_output",
                text=window,
                tool=tool,
                principal=self.output_principal or f"tool:{tool}"[:256],
                session=session or self.session,
            )
            for window in windows(text)
        ]

    def instruct(self, text: str, session: str | None = None) -> None:
        """Record a user's message as the principal's instruction (article 6): its values are
        trusted in the session. Without a session there is no history to keep."""
        session = session or self.session
        if text and session:
            action = Action(
                kind="prompt", text=text[:100_000], principal=self.principal, session=session
            )
            self.governor.justica.provenance.record_instruction(action)

    @staticmethod
    def redacted(output: Any) -> tuple[Any, bool]:
        """(the result with credentials masked, whether any were): article 3."""
        if isinstance(output, (str, Mapping, list, tuple)):
            new, n = redact(output)
            return new, bool(n)
        content = getattr(output, "content", None)  # a message object: mask its content
        if isinstance(content, str):
            new_content, n = redact(content)
            if n:
                try:
                    return output.model_copy(update={"content": new_content}), True
                except AttributeError:
                    return new_content, True
        return output, False

    async def judge_call(self, tool: str, arguments: Any) -> Outcome:
        """Judge a call, waiting on an escalation per the policy."""
        action = self.call_action(tool, arguments)
        governor = self.governor
        how, timeout = self.escalation()
        return await resolve(governor, action, await governor.acheck(action), how, timeout)

    def judge_call_sync(self, tool: str, arguments: Any) -> Outcome:
        """`judge_call` for synchronous tools."""
        action = self.call_action(tool, arguments)
        governor = self.governor
        how, timeout = self.escalation()
        return resolve_sync(governor, action, governor.check(action), how, timeout)

    async def judge_output(self, tool: str, output: Any) -> Outcome | None:
        """The first blocking outcome among the result's windows; None when it may be shown."""
        if not self.check_output:
            return None
        governor = self.governor
        how, timeout = self.escalation()
        for action in self.output_actions(tool, output):
            outcome = await resolve(governor, action, await governor.acheck(action), how, timeout)
            if not outcome.allowed:
                return outcome
        return None

    def judge_output_sync(self, tool: str, output: Any) -> Outcome | None:
        """`judge_output` for synchronous tools."""
        if not self.check_output:
            return None
        governor = self.governor
        how, timeout = self.escalation()
        for action in self.output_actions(tool, output):
            outcome = resolve_sync(governor, action, governor.check(action), how, timeout)
            if not outcome.allowed:
                return outcome
        return None


def _first_string(args: Mapping[str, Any]) -> Any:
    return next((v for v in args.values() if isinstance(v, str)), None)


def _text_of(output: Any) -> str:
    if isinstance(output, str):
        return output
    if isinstance(output, Mapping) and ("content" in output or "structuredContent" in output):
        return output_text(output)
    content = getattr(output, "content", None)  # message objects (LangChain ToolMessage, ...)
    if isinstance(content, str):
        return content
    try:
        return json.dumps(output, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(output)


def blocked_message(tool: str, outcome: Outcome, *, output: bool = False) -> str:
    """What the model is told instead of the tool's result."""
    verdict = outcome.verdict
    cited = "; ".join(c.short() for c in verdict.citations[:3]) or "; ".join(
        r for r in verdict.reasons[:2] if r != "no rule matched"
    )
    what = f"The result of tool {tool!r} was withheld" if output else f"Tool call {tool!r} blocked"
    text = f"[magistrate] {what} ({verdict.decision.value}, {verdict.risk.value}): {cited}."
    if outcome.note:
        text += f" {outcome.note}."
    elif verdict.approval_id and not output:
        text += f" Approval {verdict.approval_id} is pending; call again once it is granted."
    return text
