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

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from magistrate.action import Action
from magistrate.errors import InvalidAction
from magistrate.governor import Governor
from magistrate.integrations.hook_flow import post_tool_use, redacted_read, user_prompt
from magistrate.levels import Decision
from magistrate.verdict import Verdict

EXIT_OK = 0
EXIT_BLOCK = 2  # Claude Code: a blocking error; the tool call does not run
PERMISSION = {Decision.ALLOW: "allow", Decision.DENY: "deny", Decision.ESCALATE: "ask"}
WRITE_TOOLS = frozenset({"Write", "Edit", "MultiEdit", "NotebookEdit"})
READ_TOOLS = frozenset({"Read", "Glob", "Grep", "LS", "NotebookRead"})


@dataclass(slots=True)
class HookAnswer:
    """What the hook prints and its exit status."""

    stdout: str
    stderr: str
    exit_code: int
    verdict: Verdict | None = None


def _text(tool_input: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    value = tool_input.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        got = "missing" if value is None else f"a {type(value).__name__}"
        raise InvalidAction(f"tool_input.{key}", f"must be a non-empty string; got {got}")
    return value


def action_for_event(
    event: Mapping[str, Any], principal: str = "agent:claude-code", role: str | None = None
) -> Action:
    """The action a PreToolUse event stands for; InvalidAction names the field that is wrong."""
    tool = event.get("tool_name")
    if not isinstance(tool, str) or not tool:
        raise InvalidAction("tool_name", "must be a non-empty string")
    tool_input = event.get("tool_input", {})
    if not isinstance(tool_input, Mapping):
        raise InvalidAction("tool_input", f"must be an object; got {type(tool_input).__name__}")
    session = event.get("session_id")
    common: dict[str, Any] = {
        "principal": principal,
        "role": role,
        "session": session if isinstance(session, str) and session else None,
        "id": event.get("tool_use_id") if isinstance(event.get("tool_use_id"), str) else None,
    }
    if tool == "Bash":
        cwd = event.get("cwd")
        return Action(
            kind="shell",
            text=_text(tool_input, "command"),
            context={"cwd": cwd} if isinstance(cwd, str) and cwd else None,
            **common,
        )
    if tool in WRITE_TOOLS:
        key = "notebook_path" if tool == "NotebookEdit" else "file_path"
        path = _text(tool_input, key)
        if tool == "Write":
            text = _text(tool_input, "content", required=False)
        elif tool == "Edit":
            text = _text(tool_input, "new_string", required=False)
        elif tool == "NotebookEdit":
            text = _text(tool_input, "new_source", required=False)
        else:
            edits = tool_input.get("edits")
            if not isinstance(edits, list):
                raise InvalidAction("tool_input.edits", "must be a list of edits")
            text = "\n".join(str(e.get("new_string", "")) for e in edits if isinstance(e, Mapping))
        operation = "write" if tool == "Write" else "edit"
        cwd = event.get("cwd")
        return Action(
            kind="file",
            text=text or f"{operation} {path}",
            target=path,
            tool=tool,
            args={"operation": operation, "path": path},
            context={"cwd": cwd} if isinstance(cwd, str) and cwd else None,
            **common,
        )
    if tool in READ_TOOLS:
        where: Any = (
            tool_input.get("file_path") or tool_input.get("notebook_path") or tool_input.get("path")
        )
        pattern = tool_input.get("pattern")
        if tool in ("Read", "NotebookRead"):
            where = _text(
                tool_input, "notebook_path" if "notebook_path" in tool_input else "file_path"
            )
        args: dict[str, Any] = {"operation": "read"}
        if isinstance(where, str) and where:
            args["path"] = where
        if isinstance(pattern, str) and pattern:
            args["pattern"] = pattern
        words = [w for w in ("read", pattern, where) if isinstance(w, str) and w]
        return Action(
            kind="file",
            text=" ".join(words),
            target=where if isinstance(where, str) and where else None,
            tool=tool,
            args=args,
            **common,
        )
    if tool == "WebFetch":
        url = _text(tool_input, "url")
        return Action(
            kind="http",
            text=url,
            tool=tool,
            target=url,
            args={"method": "GET", "url": url, "prompt": tool_input.get("prompt", "")},
            **common,
        )
    if tool in ("Task", "Agent"):
        return Action(kind="prompt", text=_text(tool_input, "prompt"), tool=tool, **common)
    if tool.startswith("mcp__"):
        server, _, name = tool[len("mcp__") :].partition("__")
        return Action(
            kind="tool",
            tool=name or tool,
            args=dict(tool_input),
            context={"mcp_server": server},
            **common,
        )
    return Action(kind="tool", tool=tool, args=dict(tool_input), **common)


def reason_for(verdict: Verdict, ttl_s: float | None = None) -> str:
    """The reason shown with the decision: tier, articles and rules, reasons, approval id (and
    when it expires: the user answers "ask" in the agent, so an approver may never resolve it)."""
    cited = "; ".join(c.short() for c in verdict.citations[:3])
    reasons = [r for r in verdict.reasons if r != "no rule matched"][:2]
    parts = [f"Magistrate: {verdict.decision.value} ({verdict.risk.value})"]
    if cited:
        parts.append(cited)
    if reasons:
        parts.append("; ".join(reasons))
    if verdict.decision is Decision.ESCALATE and verdict.approval_id:
        expiry = f"; it expires in {ttl_s:g} s unless an approver resolves it" if ttl_s else ""
        parts.append(f"approval {verdict.approval_id} opened for the record{expiry}")
    if verdict.decision is Decision.ALLOW and not cited:
        parts.append("no rule matched")
    return " — ".join(parts)


def _decision_json(decision: str, reason: str) -> str:
    return json.dumps(
        {
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": decision,
                "permissionDecisionReason": reason,
            }
        },
        ensure_ascii=False,
    )


def _blocked(reason: str) -> HookAnswer:
    """Fail closed: exit 2 blocks the call whatever the JSON; stderr is the reason."""
    return HookAnswer(_decision_json("deny", reason), reason + "\n", EXIT_BLOCK)


def claude_code(
    raw: str,
    governor: Governor,
    *,
    principal: str = "agent:claude-code",
    role: str | None = None,
    defer_allow: bool = False,
) -> HookAnswer:
    """Answer one Claude Code PreToolUse event given as JSON text."""
    try:
        event = json.loads(raw)
    except ValueError as exc:
        return _blocked(f"Magistrate: hook input is not JSON ({exc}); the tool call is blocked.")
    if not isinstance(event, dict):
        return _blocked("Magistrate: hook input must be a JSON object; the tool call is blocked.")
    name = event.get("hook_event_name")
    if name == "UserPromptSubmit":
        return user_prompt(event, governor, principal)
    if name == "PostToolUse":
        return post_tool_use(event, governor, principal, role)
    if name != "PreToolUse":
        return _blocked(
            f"Magistrate: hook_event_name must be PreToolUse, PostToolUse or UserPromptSubmit; "
            f"got {name!r}. Register `magistrate hook claude-code` under those; blocked."
        )
    try:
        action = action_for_event(event, principal, role)
    except InvalidAction as exc:
        reason = f"Magistrate: deny — invalid tool call: {exc}"
        return HookAnswer(_decision_json("deny", reason), "", EXIT_OK)
    try:
        verdict = governor.check(action)
    except Exception as exc:  # check() fails closed itself; this is the last resort
        return _blocked(f"Magistrate: governance error ({type(exc).__name__}: {exc}); blocked.")
    decision = PERMISSION[verdict.decision]
    if decision == "allow" and event.get("tool_name") == "Read":
        masked = redacted_read(event, governor)  # art. 3: the model gets the file without them
        if masked is not None:
            return HookAnswer(_decision_json("deny", masked), "", EXIT_OK, verdict)
    if decision == "allow" and defer_allow:
        return HookAnswer("", "", EXIT_OK, verdict)  # Claude Code's own permission rules apply
    ttl_s = governor.approvals.ttl_s if governor.approvals is not None else None
    return HookAnswer(_decision_json(decision, reason_for(verdict, ttl_s)), "", EXIT_OK, verdict)


__all__ = ["HookAnswer", "action_for_event", "claude_code", "reason_for"]
