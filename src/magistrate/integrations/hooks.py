"""Coding-agent hooks: Claude Code's PreToolUse hook (and PostToolUse, UserPromptSubmit).

UserPromptSubmit records the user's prompt as the principal's instruction and PostToolUse
records each tool result as data (and redacts credentials in it), so PreToolUse judges with
provenance; see `hook_flow`.

`magistrate hook claude-code` reads the hook event (JSON) on stdin and answers on stdout with the
hook protocol's decision, exit status 0:

    {"hookSpecificOutput": {"hookEventName": "PreToolUse",
                            "permissionDecision": "allow" | "deny" | "ask",
                            "permissionDecisionReason": "..."}}

allow → "allow", deny → "deny" (the reason cites the article and rule and reaches the model),
escalate → "ask" (the user is asked, with the reason and the approval id). Input that cannot be
read as a PreToolUse event fails closed: exit status 2, which blocks the tool call and shows the
reason (stderr) to the model — exit 2 blocks whatever the JSON, where any other non-zero status
would let the call through.

Tools map to actions: Bash → shell (the command); Write, Edit, MultiEdit, NotebookEdit → file
writes (target = the path, text = the new content); Read, Glob, Grep, LS → file reads; WebFetch
→ http (the URL); WebSearch → tool; Task → prompt; `mcp__server__tool` → tool (its name and
arguments, the server in the context); anything else → tool (name and input).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from magistrate.action import Action
from magistrate.errors import InvalidAction
from magistrate.integrations.hook_event import (
    EXIT_BLOCK,
    EXIT_OK,
    HookAnswer,
    action_fields,
    blocked,
    decision_json,
    parse_event,
    reason_text,
)
from magistrate.integrations.hook_flow import post_tool_use, redacted_read, user_prompt
from magistrate.levels import Decision
from magistrate.verdict import Verdict

if TYPE_CHECKING:
    from magistrate.governor import Governor
    from magistrate.integrations.hook_flow import Judge

PERMISSION = {Decision.ALLOW: "allow", Decision.DENY: "deny", Decision.ESCALATE: "ask"}


def action_for_event(
    event: Mapping[str, Any], principal: str = "agent:claude-code", role: str | None = None
) -> Action:
    """The action a PreToolUse event stands for; InvalidAction names the field that is wrong."""
    return Action(**action_fields(event, principal, role))


def reason_for(verdict: Verdict, ttl_s: float | None = None) -> str:
    """The reason shown with the decision: tier, articles and rules, reasons, approval id (and
    when it expires: the user answers "ask" in the agent, so an approver may never resolve it)."""
    return reason_text(
        verdict.decision.value,
        verdict.risk.value,
        [c.short() for c in verdict.citations[:3]],
        list(verdict.reasons),
        verdict.approval_id,
        ttl_s,
    )


def _judge(governor: Governor) -> Judge:
    """The governor as the flow's judge: action fields in, (decision, reason) out."""

    def judge(fields: dict[str, Any]) -> tuple[str, str]:
        verdict = governor.check(Action(**fields))
        return verdict.decision.value, reason_for(verdict)

    return judge


def claude_code(
    raw: str,
    governor: Governor,
    *,
    principal: str = "agent:claude-code",
    role: str | None = None,
    defer_allow: bool = False,
) -> HookAnswer:
    """Answer one Claude Code hook event given as JSON text."""
    event = parse_event(raw)
    if isinstance(event, HookAnswer):
        return event
    name = event.get("hook_event_name")
    if name == "UserPromptSubmit":
        return user_prompt(event, governor, principal)
    if name == "PostToolUse":
        return post_tool_use(event, _judge(governor))
    try:
        action = action_for_event(event, principal, role)
    except InvalidAction as exc:
        reason = f"Magistrate: deny — invalid tool call: {exc}"
        return HookAnswer(decision_json("deny", reason), "", EXIT_OK)
    try:
        verdict = governor.check(action)
    except Exception as exc:  # check() fails closed itself; this is the last resort
        return blocked(f"Magistrate: governance error ({type(exc).__name__}: {exc}); blocked.")
    decision = PERMISSION[verdict.decision]
    if decision == "allow" and event.get("tool_name") == "Read":
        # art. 3: the model gets the file without them
        masked = redacted_read(event, _judge(governor))
        if masked is not None:
            return HookAnswer(decision_json("deny", masked), "", EXIT_OK, verdict)
    if decision == "allow" and defer_allow:
        return HookAnswer("", "", EXIT_OK, verdict)  # Claude Code's own permission rules apply
    ttl_s = governor.approvals.ttl_s if governor.approvals is not None else None
    return HookAnswer(decision_json(decision, reason_for(verdict, ttl_s)), "", EXIT_OK, verdict)


__all__ = ["EXIT_BLOCK", "EXIT_OK", "HookAnswer", "action_for_event", "claude_code", "reason_for"]
