"""LangChain: wrap any tool so that Magistrate judges each call and each result.

    from magistrate.integrations.langchain import govern_tool

    safe_shell = govern_tool(shell_tool, principal="agent:ops", kind="shell", text_arg="command")
    agent = create_agent(model, tools=[safe_shell])

The wrapper keeps the tool's name, description and argument schema. A call governance does not
allow never reaches the tool: by default the model gets a message citing the article and rule
(a `ToolException` handled as the tool's result); with `on_block="raise"` an `ActionDenied`
propagates instead. Escalations wait for an approval or answer at once with the approval id
(`escalation`). Results are judged as `tool_output` and a blocked one is replaced by a notice.
`record_user_message(text, **options)` records what the user asked (the principal's
instruction) in the same session, so values the user gave are not held as data's (article 6).
Needs `pip install langchain-core`.
"""

from __future__ import annotations

from typing import Any, Literal

from magistrate.errors import ActionDenied, ApprovalPending
from magistrate.integrations._tools import ToolPolicy, blocked_message
from magistrate.integrations.escalation import Outcome

OnBlock = Literal["message", "raise"]


def _langchain() -> Any:
    try:
        from langchain_core import tools
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "magistrate.integrations.langchain needs LangChain: pip install langchain-core"
        ) from exc
    return tools


def _raise(tool: str, outcome: Outcome, on_block: OnBlock, *, output: bool = False) -> None:
    tools = _langchain()
    message = blocked_message(tool, outcome, output=output)
    if on_block == "raise":
        if outcome.pending:
            raise ApprovalPending(outcome.verdict, message)
        raise ActionDenied(outcome.verdict, message)
    raise tools.ToolException(message)


def govern_tool(tool: Any, *, on_block: OnBlock = "message", **options: Any) -> Any:
    """A governed copy of a LangChain tool (`ToolPolicy` options: principal, role, session,
    kind, text_arg, check_output, escalation, approval_timeout, governor)."""
    tools = _langchain()
    if not isinstance(tool, tools.BaseTool):
        raise TypeError(f"govern_tool expects a LangChain BaseTool; got {type(tool).__name__}")
    if on_block not in ("message", "raise"):
        raise ValueError(f"on_block must be 'message' or 'raise'; got {on_block!r}")
    policy = ToolPolicy(**options)
    inner = tool

    def arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        kwargs = {k: v for k, v in kwargs.items() if k not in ("run_manager", "callbacks")}
        if args and not kwargs:
            return args[0] if len(args) == 1 else {"input": list(args)}
        return kwargs

    def call_input(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        value = arguments(args, kwargs)
        return value if isinstance(value, (dict, str)) else str(value)

    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            outcome = policy.judge_call_sync(inner.name, arguments(args, kwargs))
        except ActionDenied:
            raise
        except Exception as exc:  # fail closed, as a message the model can read
            if on_block == "raise":
                raise
            raise tools.ToolException(f"[magistrate] Tool call blocked: {exc}") from exc
        if not outcome.allowed:
            _raise(inner.name, outcome, on_block)
        result = inner.invoke(call_input(args, kwargs))
        blocked = policy.judge_output_sync(inner.name, result)
        if blocked is not None:
            _raise(inner.name, blocked, on_block, output=True)
        return policy.redacted(result)[0]  # art. 3: credentials never reach the model

    async def arun(*args: Any, **kwargs: Any) -> Any:
        try:
            outcome = await policy.judge_call(inner.name, arguments(args, kwargs))
        except ActionDenied:
            raise
        except Exception as exc:
            if on_block == "raise":
                raise
            raise tools.ToolException(f"[magistrate] Tool call blocked: {exc}") from exc
        if not outcome.allowed:
            _raise(inner.name, outcome, on_block)
        result = await inner.ainvoke(call_input(args, kwargs))
        blocked = await policy.judge_output(inner.name, result)
        if blocked is not None:
            _raise(inner.name, blocked, on_block, output=True)
        return policy.redacted(result)[0]

    governed_tool = tools.StructuredTool(
        name=inner.name,
        description=inner.description,
        args_schema=inner.args_schema,
        func=run,
        coroutine=arun,
        return_direct=inner.return_direct,
        response_format=getattr(inner, "response_format", "content"),
        handle_tool_error=True,
        metadata={**(inner.metadata or {}), "magistrate": {"principal": policy.principal}},
        tags=inner.tags,
    )
    return governed_tool


__all__ = ["ToolPolicy", "govern_tool"]


def record_user_message(text: str, **options: Any) -> None:
    """Record the user's message as the principal's instruction in the tools' session: pass the
    same `governor`, `principal` and `session` as to `govern_tool`."""
    ToolPolicy(**options).instruct(text)
