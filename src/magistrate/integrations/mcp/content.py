"""What else an MCP server puts before the model: resources, prompts and sampling requests.

`resources/read` results, `prompts/get` results and the messages of a server's
`sampling/createMessage` request are the server's content, like tool results: they are judged
as `tool_output` (injected orders, override wording) for the proxy's session, so that their
values count as data for provenance, and any credentials in them are redacted before the client
(or the client's model) sees them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from magistrate.integrations.redaction import redact

if TYPE_CHECKING:
    from magistrate.integrations.mcp.policy import ToolCallGovernor

log = logging.getLogger("magistrate.mcp")

# Requests from the client whose results are server content; requests from the server that
# carry server content to the client's model.
CLIENT_READS = frozenset({"resources/read", "prompts/get"})
SERVER_PROMPTS = frozenset({"sampling/createMessage"})


def label_of(method: str, params: Any) -> str:
    """A name for the content in verdicts and logs: `resources/read file:///x`."""
    if isinstance(params, dict):
        for key in ("uri", "name"):
            value = params.get(key)
            if isinstance(value, str) and value:
                return f"{method} {value[:200]}"
    return method


async def judge_content(
    core: ToolCallGovernor, label: str, payload: Any, session: str | None
) -> tuple[Any, str | None]:
    """(payload with credentials redacted, None) when it may be shown; (None, notice) when
    governance withheld it. Never raises: an error withholds."""
    probe = {"structuredContent": payload}
    try:
        judged = await core.judge_output(label, probe, session)
    except Exception as exc:  # judge_output fails closed itself; this is the last resort
        return None, f"{label} was withheld: governance error ({type(exc).__name__})"
    if judged is not probe and (not isinstance(judged, dict) or judged.get("isError")):
        content = judged.get("content") if isinstance(judged, dict) else None
        text = content[0].get("text") if isinstance(content, list) and content else None
        return None, str(text or f"{label} was withheld by governance")
    redacted, n = redact(payload)  # judge_output redacted its probe; the payload is redacted here
    if n:
        log.warning("redacted %d credential(s) from %s (art. 3)", n, label)
    return redacted, None


__all__ = ["CLIENT_READS", "SERVER_PROMPTS", "judge_content", "label_of"]
