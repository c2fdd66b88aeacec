"""The gateway's policy, independent of transport: how it governs (`ProxyOptions`), and
`ToolCallGovernor`, which judges `tools/call` requests, tool results and errors, and filters
`tools/list` for the role. Fail closed: an error while judging denies, never forwards."""

from __future__ import annotations

import fnmatch
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from magistrate.action import Action
from magistrate.errors import InvalidAction
from magistrate.governor import Governor
from magistrate.integrations.escalation import Escalation, Outcome, check_escalation, resolve
from magistrate.integrations.mcp.jsonrpc import JSONRPC_INTERNAL_ERROR
from magistrate.integrations.mcp.results import (
    blocked_call_result,
    blocked_output_result,
    error_result,
    log_line,
    output_text,
    windows,
)
from magistrate.integrations.redaction import redact

log = logging.getLogger("magistrate.mcp")

DEFAULT_MAX_OUTPUT_CHARS = 4_000_000


@dataclass(slots=True)
class ProxyOptions:
    """How the proxy governs: who the agent is, what to hide, what to do on escalate."""

    principal: str = "agent:mcp"
    role: str | None = None
    hide_tools: bool = False
    escalation: Escalation = "wait"
    approval_timeout_s: float = 300.0
    server: str = "mcp-server"  # a label for the real server (its command or URL)
    server_principal: str | None = None  # whose content tool results are (default: the server)
    check_output: bool = True
    max_output_chars: int = DEFAULT_MAX_OUTPUT_CHARS

    def __post_init__(self) -> None:
        self.escalation = check_escalation(self.escalation)
        if self.approval_timeout_s < 0:
            raise ValueError("approval_timeout_s must be >= 0")
        if self.max_output_chars <= 0:
            raise ValueError("max_output_chars must be > 0")
        if self.server_principal is None:
            self.server_principal = f"mcp-server:{self.server}"[:256]


@dataclass(slots=True)
class CallRuling:
    """The proxy's answer to one `tools/call`: forward it, or reply with `result`."""

    forward: bool
    result: dict[str, Any] | None = None
    outcome: Outcome | None = None


@dataclass
class Stats:
    """Counts of what the proxy did (for status lines and tests)."""

    calls: int = 0
    forwarded: int = 0
    blocked: int = 0
    outputs: int = 0
    outputs_blocked: int = 0
    errors: int = 0
    redacted: int = 0
    by_tool: dict[str, int] = field(default_factory=dict)


class ToolCallGovernor:
    """The transport-independent part of the proxy: judges calls and results."""

    def __init__(self, governor: Governor, options: ProxyOptions | None = None) -> None:
        self.governor = governor
        self.options = options or ProxyOptions()
        self.stats = Stats()

    # ------------------------------------------------------------------ tools/call
    async def judge_call(self, params: Any, session: str | None) -> CallRuling:
        """Judge a `tools/call` request's params; never raises (errors deny)."""
        self.stats.calls += 1
        try:
            name, arguments = call_params(params)
        except InvalidAction as exc:
            self.stats.blocked += 1
            return CallRuling(False, error_result(f"invalid tools/call: {exc}"))
        self.stats.by_tool[name] = self.stats.by_tool.get(name, 0) + 1
        opts = self.options
        try:
            action = Action(
                kind="tool",
                tool=name,
                args=arguments,
                principal=opts.principal,
                role=opts.role,
                session=session,
                context={"mcp_server": opts.server},
            )
        except InvalidAction as exc:
            self.stats.blocked += 1
            log.warning("deny tools/call %s: invalid action: %s", name, exc)
            return CallRuling(False, error_result(f"tool call {name!r} refused: invalid {exc}"))
        try:
            verdict = await self.governor.acheck(action)
            outcome = await resolve(
                self.governor, action, verdict, opts.escalation, opts.approval_timeout_s
            )
        except Exception as exc:  # fail closed: an error is never a forward
            self.stats.errors += 1
            self.stats.blocked += 1
            log.error("deny tools/call %s: governance error: %s: %s", name, type(exc).__name__, exc)
            return CallRuling(
                False,
                error_result(
                    f"Tool call {name!r} was not run: governance error "
                    f"({type(exc).__name__}: {exc}); failed closed."
                ),
            )
        if outcome.allowed:
            self.stats.forwarded += 1
            return CallRuling(True, outcome=outcome)
        self.stats.blocked += 1
        log.warning("%s", log_line("tools/call", name, outcome))
        return CallRuling(False, blocked_call_result(name, outcome), outcome)

    # ------------------------------------------------------------------ results
    async def judge_output(self, name: str, result: Any, session: str | None) -> Any:
        """A `tools/call` result as the client may see it: unchanged, or replaced by a notice."""
        if not isinstance(result, dict):
            return result
        if not self.options.check_output:  # not judged, still never carrying credentials
            return redact(result)[0]
        if "content" not in result and "structuredContent" not in result:
            return result  # not a final tool result (for example input_required): nothing shown
        self.stats.outputs += 1
        try:
            text = output_text(result)
            if not text.strip():
                return result
            if len(text) > self.options.max_output_chars:
                self.stats.outputs_blocked += 1
                log.warning("withheld result of %s: %d characters", name, len(text))
                return error_result(
                    f"The result of tool {name!r} was withheld: {len(text):,} characters of text "
                    f"is more than governance checks ({self.options.max_output_chars:,})."
                )
            worst: Outcome | None = None
            for window in windows(text):
                action = Action(
                    kind="tool_output",
                    tool=name,
                    text=window,
                    principal=self.options.server_principal,
                    session=session,
                    context={"mcp_server": self.options.server},
                )
                verdict = await self.governor.acheck(action)
                outcome = await resolve(
                    self.governor,
                    action,
                    verdict,
                    self.options.escalation,
                    self.options.approval_timeout_s,
                )
                if not outcome.allowed:
                    worst = outcome
                    break
        except Exception as exc:  # fail closed: the result is not shown
            self.stats.errors += 1
            self.stats.outputs_blocked += 1
            log.error("withheld result of %s: governance error: %s", name, exc)
            return error_result(
                f"The result of tool {name!r} was withheld: governance error "
                f"({type(exc).__name__}: {exc}); failed closed."
            )
        if worst is None:
            redacted, n = redact(result)  # art. 3: credentials never reach the agent
            if n:
                self.stats.redacted += 1
                log.warning("redacted %d credential(s) from the result of %s (art. 3)", n, name)
            return redacted
        self.stats.outputs_blocked += 1
        log.warning("%s", log_line("result of", name, worst))
        return blocked_output_result(name, worst)

    async def judge_error(self, name: str, error: Any, session: str | None) -> Any:
        """A `tools/call` error as the client may see it: its message and data are content the
        server chose too, so they are judged like a result."""
        if not isinstance(error, dict):
            return error
        probe: dict[str, Any] = {
            "content": [{"type": "text", "text": str(error.get("message", ""))}]
        }
        if error.get("data") is not None:
            probe["structuredContent"] = error["data"]
        judged = await self.judge_output(name, probe, session)
        if judged is probe:
            return error
        notice = judged["content"][0]["text"].replace("The result of", "The error of", 1)
        return {"code": error.get("code", JSONRPC_INTERNAL_ERROR), "message": notice}

    async def judge_response(
        self, name: str | None, message: dict[str, Any], session: str | None
    ) -> dict[str, Any] | None:
        """The response to a tools/call as the client may see it; None when `message` is not
        one. Untracked responses shaped like a tool result (a `content` list: no other MCP
        result has one) are judged too, so nothing depends on the tracking alone."""
        result = message.get("result")
        if name is None:
            if not (isinstance(result, dict) and isinstance(result.get("content"), list)):
                return None
            name = "(unknown tool)"
        if "result" in message:
            judged = await self.judge_output(name, result, session)
            return message if judged is result else {**message, "result": judged}
        if "error" in message:
            error = await self.judge_error(name, message["error"], session)
            return message if error is message["error"] else {**message, "error": error}
        return None

    # ------------------------------------------------------------------ tools/list
    def filter_tools(self, result: Any) -> Any:
        """A `tools/list` result without the tools the role may not use (when hiding is on)."""
        role = self.options.role
        if not self.options.hide_tools or role is None or not isinstance(result, dict):
            return result
        tools = result.get("tools")
        if not isinstance(tools, list):
            return result
        kept = [
            t
            for t in tools
            if isinstance(t, dict)
            and role_permits_tool(self.governor, role, str(t.get("name", "")))
        ]
        if len(kept) == len(tools):
            return result
        return {**result, "tools": kept}


INTERPRETERS = frozenset(
    {"python", "python3", "node", "npx", "uvx", "uv", "deno", "bun", "sh", "bash", "pipx", "docker"}
)


def server_label(command: Sequence[str] | str) -> str:
    """A short name for the real server: its URL's host and path, or the script or package it
    runs (`npx -y @scope/server-x` → `@scope/server-x`)."""
    if isinstance(command, str):
        return command.split("://", 1)[-1][:200]
    words = list(command)
    if not words:
        return "mcp-server"
    head = os.path.basename(words[0])
    if head.rstrip("0123456789.") in INTERPRETERS:
        rest = [w for w in words[1:] if not w.startswith("-") and w not in ("run", "exec")]
        if rest:
            word = rest[0]
            return (word if word.startswith("@") else os.path.basename(word))[:200]
    return head[:200]


def call_params(params: Any) -> tuple[str, dict[str, Any] | None]:
    """(name, arguments) of a `tools/call`, or InvalidAction naming the bad field."""
    if not isinstance(params, dict):
        raise InvalidAction("params", "must be an object with the tool's name")
    name = params.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidAction("params.name", "must be a non-empty string")
    arguments = params.get("arguments")
    if arguments is not None and not isinstance(arguments, dict):
        raise InvalidAction(
            "params.arguments", f"must be an object; got {type(arguments).__name__}"
        )
    return name, arguments


def role_permits_tool(governor: Governor, role: str, tool: str) -> bool:
    """Whether the constitution's role may call the tool at all (kind `tool`, tool patterns)."""
    spec = governor.constitution.model.roles.get(role)
    if spec is None or "tool" not in spec.kinds:
        return False
    if spec.tools == ["*"]:
        return True
    name = tool.lower()
    return any(fnmatch.fnmatchcase(name, pattern.lower()) for pattern in spec.tools)


__all__ = [
    "DEFAULT_MAX_OUTPUT_CHARS",
    "CallRuling",
    "ProxyOptions",
    "Stats",
    "ToolCallGovernor",
    "call_params",
    "role_permits_tool",
    "server_label",
]
