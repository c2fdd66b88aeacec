"""The MCP gateway: a proxy between an MCP client and a real MCP server that governs every
`tools/call` and every tool result.

It works on JSON-RPC messages, not on a re-implementation of the server: every message passes
through unchanged (initialize or discover, resources, prompts, completions, notifications,
server-to-client requests, both protocol eras) except

* `tools/call` requests: judged as kind `tool` (tool name, arguments). Allowed calls are
  forwarded; denied ones are answered by the proxy with a tool error result citing the article
  and rule; escalated ones wait for a human's approval (then deny on timeout) or are answered at
  once with the pending approval id, per `escalation`;
* `tools/call` results: their text is judged as kind `tool_output` (prompt injection, secrets in
  returned content) before the client sees it; a blocked result is replaced by a notice;
* `tools/list` results: with `hide_tools`, tools the role may not use are left out;
* `resources/read` and `prompts/get` results and `sampling/createMessage` requests: server
  content like tool results (`content`). Credentials in anything shown are masked
  (`integrations/redaction.py`), and every result is data for the session's provenance.

Fail closed: an error while judging is a deny (a tool error result), never a silent forward; a
message the proxy cannot read is answered with a JSON-RPC error, never forwarded.

Transports: `serve_stdio` (stdio to the client, the server as a subprocess) and `serve_http`
(streamable HTTP both ways). Both use the official `mcp` SDK: its stdio transports and message
types; the HTTP side relays each HTTP exchange (sessions, SSE streams, resumption and the
2026 per-request envelope keep working) and applies the same rules to every JSON-RPC message
in the bodies and event streams.

One module per concern: `policy` (options and the transport-independent judge), `results`
(reading tool results, writing the notices that replace them), `jsonrpc` (framing), `content`
(resources, prompts, sampling), `relay` (message-level relay), `stdio`, `http_gateway` and
`sse` (the event-stream codec).
"""

from __future__ import annotations

from magistrate.integrations.mcp.http_gateway import HttpGateway, serve_http
from magistrate.integrations.mcp.policy import (
    CallRuling,
    ProxyOptions,
    Stats,
    ToolCallGovernor,
    server_label,
)
from magistrate.integrations.mcp.relay import Relay
from magistrate.integrations.mcp.results import (
    OUTPUT_WINDOW,
    blocked_call_result,
    blocked_output_result,
    output_text,
    windows,
)
from magistrate.integrations.mcp.sse import relay_sse
from magistrate.integrations.mcp.stdio import serve_stdio

__all__ = [
    "OUTPUT_WINDOW",
    "CallRuling",
    "HttpGateway",
    "ProxyOptions",
    "Relay",
    "Stats",
    "ToolCallGovernor",
    "blocked_call_result",
    "blocked_output_result",
    "output_text",
    "relay_sse",
    "serve_http",
    "serve_stdio",
    "server_label",
    "windows",
]
