"""Claude Code hook events as action fields, and the hook protocol's answers.

The standalone hook builds an `Action` from these fields and the thin client (`hook_client`)
posts them to a server, so both read an event the same way. The thin client's start-up is most
of its latency, so this module imports `json` and nothing else at first (not even `typing` or
`dataclasses`); `InvalidAction` is imported when there is one to raise.
"""

from __future__ import annotations

import json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from magistrate.errors import InvalidAction

EXIT_OK = 0
EXIT_BLOCK = 2  # Claude Code: a blocking error; the tool call does not run
PERMISSION = {"allow": "allow", "deny": "deny", "escalate": "ask"}
WRITE_TOOLS = frozenset({"Write", "Edit", "MultiEdit", "NotebookEdit"})
READ_TOOLS = frozenset({"Read", "Glob", "Grep", "LS", "NotebookRead"})


class HookAnswer:
    """What the hook prints and its exit status (and the Verdict, when one was reached in this
    process)."""

    __slots__ = ("exit_code", "stderr", "stdout", "verdict")

    def __init__(self, stdout: str, stderr: str, exit_code: int, verdict: Any = None) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.exit_code = exit_code
        self.verdict = verdict

    def __repr__(self) -> str:
        return f"HookAnswer({self.stdout!r}, {self.stderr!r}, {self.exit_code})"


def invalid(field: str, message: str) -> InvalidAction:
    """The error for a malformed event field (a ValueError)."""
    from magistrate.errors import InvalidAction

    return InvalidAction(field, message)


def _text(tool_input: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    value = tool_input.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        got = "missing" if value is None else f"a {type(value).__name__}"
        raise invalid(f"tool_input.{key}", f"must be a non-empty string; got {got}")
    return value


def _cwd(event: Mapping[str, Any]) -> dict[str, Any] | None:
    cwd = event.get("cwd")
    return {"cwd": cwd} if isinstance(cwd, str) and cwd else None


def _write(tool: str, tool_input: Mapping[str, Any], event: Mapping[str, Any]) -> dict[str, Any]:
    key = "notebook_path" if tool == "NotebookEdit" else "file_path"
    path = _text(tool_input, key)
    operation = "write" if tool == "Write" else "edit"
    args: dict[str, Any] = {"operation": operation, "path": path}
    # The content as a write's `content`, an edit's text as `old` and `new`: the gate reads what
    # an edit adds and what it takes out (risk/subjects.py), not only the text it leaves.
    if tool == "Write":
        args["content"] = _text(tool_input, "content", required=False)
    elif tool == "Edit":
        args["old"] = _text(tool_input, "old_string", required=False)
        args["new"] = _text(tool_input, "new_string", required=False)
    elif tool == "NotebookEdit":
        args["new"] = _text(tool_input, "new_source", required=False)
    else:
        edits = tool_input.get("edits")
        if not isinstance(edits, list):
            raise invalid("tool_input.edits", "must be a list of edits")
        pairs = [e for e in edits if isinstance(e, dict)]
        args["old"] = "\n".join(str(e.get("old_string", "")) for e in pairs)
        args["new"] = "\n".join(str(e.get("new_string", "")) for e in pairs)
    return {
        "kind": "file",
        "text": f"{operation} {path}",
        "target": path,
        "tool": tool,
        "args": args,
        "context": _cwd(event),
    }


def _read(tool: str, tool_input: Mapping[str, Any]) -> dict[str, Any]:
    where: Any = (
        tool_input.get("file_path") or tool_input.get("notebook_path") or tool_input.get("path")
    )
    pattern = tool_input.get("pattern")
    if tool in ("Read", "NotebookRead"):
        where = _text(tool_input, "notebook_path" if "notebook_path" in tool_input else "file_path")
    args: dict[str, Any] = {"operation": "read"}
    if isinstance(where, str) and where:
        args["path"] = where
    if isinstance(pattern, str) and pattern:
        args["pattern"] = pattern
    words = [w for w in ("read", pattern, where) if isinstance(w, str) and w]
    return {
        "kind": "file",
        "text": " ".join(words),
        "target": where if isinstance(where, str) and where else None,
        "tool": tool,
        "args": args,
    }


def _fields(tool: str, tool_input: Mapping[str, Any], event: Mapping[str, Any]) -> dict[str, Any]:
    if tool == "Bash":
        return {"kind": "shell", "text": _text(tool_input, "command"), "context": _cwd(event)}
    if tool in WRITE_TOOLS:
        return _write(tool, tool_input, event)
    if tool in READ_TOOLS:
        return _read(tool, tool_input)
    if tool == "WebFetch":
        url = _text(tool_input, "url")
        prompt = tool_input.get("prompt", "")
        args = {"method": "GET", "url": url, "prompt": prompt}
        return {"kind": "http", "text": url, "tool": tool, "target": url, "args": args}
    if tool in ("Task", "Agent"):
        return {"kind": "prompt", "text": _text(tool_input, "prompt"), "tool": tool}
    if tool.startswith("mcp__"):
        server, _, name = tool[len("mcp__") :].partition("__")
        context = {"mcp_server": server}
        return {"kind": "tool", "tool": name or tool, "args": dict(tool_input), "context": context}
    return {"kind": "tool", "tool": tool, "args": dict(tool_input)}


def action_fields(
    event: Mapping[str, Any], principal: str = "agent:claude-code", role: str | None = None
) -> dict[str, Any]:
    """The fields of the action a PreToolUse event stands for (`Action(**fields)`, or the body
    of `/v1/check`); InvalidAction names the field that is wrong."""
    tool = event.get("tool_name")
    if not isinstance(tool, str) or not tool:
        raise invalid("tool_name", "must be a non-empty string")
    tool_input = event.get("tool_input", {})
    if not isinstance(tool_input, dict):
        raise invalid("tool_input", f"must be an object; got {type(tool_input).__name__}")
    fields = _fields(tool, tool_input, event)
    fields["principal"] = principal
    fields["role"] = role
    fields["session"] = session_of(event)
    fields["id"] = event.get("tool_use_id") if isinstance(event.get("tool_use_id"), str) else None
    return {k: v for k, v in fields.items() if v is not None}


def session_of(event: Mapping[str, Any]) -> str | None:
    """The event's session id, when it has one."""
    session = event.get("session_id")
    return session if isinstance(session, str) and session else None


def reason_text(
    decision: str,
    risk: str,
    cited: list[str],
    reasons: list[str],
    approval_id: str | None = None,
    ttl_s: float | None = None,
) -> str:
    """The reason shown with a decision: tier, articles and rules, reasons, approval id (and
    when it expires: the user answers "ask" in the agent, so an approver may never resolve it)."""
    parts = [f"Magistrate: {decision} ({risk})"]
    if cited:
        parts.append("; ".join(cited[:3]))
    shown = [r for r in reasons if r != "no rule matched"][:2]
    if shown:
        parts.append("; ".join(shown))
    if decision == "escalate" and approval_id:
        expiry = f"; it expires in {ttl_s:g} s unless an approver resolves it" if ttl_s else ""
        parts.append(f"approval {approval_id} opened for the record{expiry}")
    if decision == "allow" and not cited:
        parts.append("no rule matched")
    return " — ".join(parts)


def decision_json(decision: str, reason: str) -> str:
    """The PreToolUse answer: allow, deny or ask, with the reason."""
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


def blocked(reason: str) -> HookAnswer:
    """Fail closed: exit 2 blocks the call whatever the JSON; stderr is the reason."""
    return HookAnswer(decision_json("deny", reason), reason + "\n", EXIT_BLOCK)


def parse_event(raw: str) -> dict[str, Any] | HookAnswer:
    """The event as a JSON object, or the blocking answer to input that is not one."""
    try:
        event = json.loads(raw)
    except ValueError as exc:
        return blocked(f"Magistrate: hook input is not JSON ({exc}); the tool call is blocked.")
    if not isinstance(event, dict):
        return blocked("Magistrate: hook input must be a JSON object; the tool call is blocked.")
    name = event.get("hook_event_name")
    if name not in ("PreToolUse", "PostToolUse", "UserPromptSubmit"):
        return blocked(
            f"Magistrate: hook_event_name must be PreToolUse, PostToolUse or UserPromptSubmit; "
            f"got {name!r}. Register `magistrate hook claude-code` under those; blocked."
        )
    return event


def post_tool_block(reason: str) -> HookAnswer:
    """PostToolUse: block the result (the reason reaches the model in its place)."""
    out = {
        "decision": "block",
        "reason": reason,
        "hookSpecificOutput": {"hookEventName": "PostToolUse", "additionalContext": reason},
    }
    return HookAnswer(json.dumps(out, ensure_ascii=False), "", EXIT_OK)


__all__ = [
    "EXIT_BLOCK",
    "EXIT_OK",
    "HookAnswer",
    "action_fields",
    "blocked",
    "decision_json",
    "parse_event",
    "post_tool_block",
    "reason_text",
    "session_of",
]
