"""OpenAI Agents SDK: tool guardrails that put Magistrate in front of function tools.

    from agents import function_tool
    from magistrate.integrations.openai_agents import magistrate_guardrails

    guard_in, guard_out = magistrate_guardrails(principal="agent:support")

    @function_tool(tool_input_guardrails=[guard_in], tool_output_guardrails=[guard_out])
    def run_sql(query: str) -> str: ...

The input guardrail judges each call (kind `tool`, the tool's name and arguments — or another
kind with `kind=` and `text_arg=`): allow lets it run; deny rejects it with a message citing the
article and rule, which the model sees instead of a result; escalate waits for an approval or
rejects at once with the approval id (`escalation`). With `on_block="raise"` a block halts the
run (`ToolInputGuardrailTripwireTriggered`) instead. The output guardrail judges the result as
`tool_output` and replaces a blocked one with a notice. Needs `pip install openai-agents`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from magistrate.integrations._tools import ToolPolicy, blocked_message
from magistrate.integrations.escalation import Outcome

if TYPE_CHECKING:
    from agents import ToolInputGuardrail, ToolOutputGuardrail

OnBlock = Literal["reject", "raise"]


def _agents() -> Any:
    try:
        import agents
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "magistrate.integrations.openai_agents needs the OpenAI Agents SDK: "
            "pip install openai-agents"
        ) from exc
    return agents


def _info(outcome: Outcome) -> dict[str, Any]:
    verdict = outcome.verdict
    return {
        "decision": verdict.decision.value,
        "risk": verdict.risk.value,
        "rules": list(verdict.rule_ids),
        "verdict_id": verdict.verdict_id,
        "approval_id": verdict.approval_id,
    }


def magistrate_input_guardrail(
    policy: ToolPolicy | None = None, *, on_block: OnBlock = "reject", **options: Any
) -> ToolInputGuardrail[Any]:
    """A tool input guardrail judging each call before the tool runs."""
    agents = _agents()
    policy = policy or ToolPolicy(**options)
    output = agents.ToolGuardrailFunctionOutput

    async def magistrate_tool_input(data: Any) -> Any:
        ctx = data.context
        try:
            outcome = await policy.judge_call(ctx.tool_name, ctx.tool_arguments)
        except Exception as exc:  # fail closed
            message = f"[magistrate] Tool call {ctx.tool_name!r} blocked: {exc}"
            if on_block == "raise":
                return output.raise_exception(output_info={"error": str(exc)})
            return output.reject_content(message, output_info={"error": str(exc)})
        if outcome.allowed:
            return output.allow(output_info=_info(outcome))
        if on_block == "raise":
            return output.raise_exception(output_info=_info(outcome))
        return output.reject_content(
            blocked_message(ctx.tool_name, outcome), output_info=_info(outcome)
        )

    guardrail: ToolInputGuardrail[Any] = agents.ToolInputGuardrail(
        guardrail_function=magistrate_tool_input, name="magistrate_tool_input"
    )
    return guardrail


def magistrate_output_guardrail(
    policy: ToolPolicy | None = None, *, on_block: OnBlock = "reject", **options: Any
) -> ToolOutputGuardrail[Any]:
    """A tool output guardrail judging each result (prompt injection, secrets) as tool_output."""
    agents = _agents()
    policy = policy or ToolPolicy(**options)
    output = agents.ToolGuardrailFunctionOutput

    async def magistrate_tool_output(data: Any) -> Any:
        name = data.context.tool_name
        try:
            outcome = await policy.judge_output(name, data.output)
        except Exception as exc:  # fail closed: the result is not shown
            if on_block == "raise":
                return output.raise_exception(output_info={"error": str(exc)})
            return output.reject_content(
                f"[magistrate] The result of tool {name!r} was withheld: {exc}",
                output_info={"error": str(exc)},
            )
        if outcome is None:
            shown, changed = policy.redacted(data.output)
            if changed:  # art. 3: the model reads the result with its credentials masked
                return output.reject_content(
                    f"[magistrate] credentials in the result of {name!r} are redacted "
                    f"(art. 3): {shown}",
                    output_info={"redacted": True},
                )
            return output.allow()
        if on_block == "raise":
            return output.raise_exception(output_info=_info(outcome))
        return output.reject_content(
            blocked_message(name, outcome, output=True), output_info=_info(outcome)
        )

    guardrail: ToolOutputGuardrail[Any] = agents.ToolOutputGuardrail(
        guardrail_function=magistrate_tool_output, name="magistrate_tool_output"
    )
    return guardrail


def magistrate_user_input_guardrail(policy: ToolPolicy) -> Any:
    """An agent input guardrail that records the user's messages as the principal's
    instructions (article 6), so tool calls carrying values only tool results named need a
    human. It never trips: the user's own words are not judged here. Share `policy` (with a
    `session`) with the tool guardrails."""
    agents = _agents()

    def record(ctx: Any, agent: Any, data: Any) -> Any:
        for text in _user_texts(data):
            policy.instruct(text)
        return agents.GuardrailFunctionOutput(output_info=None, tripwire_triggered=False)

    return agents.InputGuardrail(
        guardrail_function=record, name="magistrate_user_input", run_in_parallel=False
    )


def _user_texts(data: Any) -> list[str]:
    """The user's words in an agent input: a string, or the user items of a list."""
    if isinstance(data, str):
        return [data]
    out: list[str] = []
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict) or item.get("role") != "user":
            continue
        content = item.get("content")
        if isinstance(content, str):
            out.append(content)
        elif isinstance(content, list):
            out.extend(
                str(part.get("text"))
                for part in content
                if isinstance(part, dict) and part.get("text")
            )
    return out


def magistrate_guardrails(
    *, on_block: OnBlock = "reject", **options: Any
) -> tuple[ToolInputGuardrail[Any], ToolOutputGuardrail[Any]]:
    """The input and output guardrails sharing one policy (`ToolPolicy` options)."""
    policy = ToolPolicy(**options)
    return (
        magistrate_input_guardrail(policy, on_block=on_block),
        magistrate_output_guardrail(policy, on_block=on_block),
    )


__all__ = [
    "ToolPolicy",
    "magistrate_guardrails",
    "magistrate_input_guardrail",
    "magistrate_output_guardrail",
    "magistrate_user_input_guardrail",
]
