"""The message-level relay between one client and one server (the stdio transport's core):
tools/call requests are held while judged, results, resources, prompts and sampling requests
are judged before the other side sees them, everything else passes through unchanged."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import Any

from magistrate.integrations.mcp.content import (
    CLIENT_READS,
    SERVER_PROMPTS,
    judge_content,
    label_of,
)
from magistrate.integrations.mcp.jsonrpc import (
    JSONRPC_INTERNAL_ERROR,
    JSONRPC_INVALID_REQUEST,
    JSONRPC_PARSE_ERROR,
    PendingCall,
    error_response,
    id_key,
    result_response,
)
from magistrate.integrations.mcp.policy import ToolCallGovernor

log = logging.getLogger("magistrate.mcp")


class Relay:
    """Message-level relay between one client and one server, applying the rules.

    `send_client` and `send_server` deliver a JSON-RPC message (a dict) to either side.
    """

    def __init__(
        self,
        core: ToolCallGovernor,
        send_client: Callable[[dict[str, Any]], Any],
        send_server: Callable[[dict[str, Any]], Any],
        session: str | None = None,
    ) -> None:
        self.core = core
        self._send_client = send_client
        self._send_server = send_server
        self.session = session or f"mcp-{uuid.uuid4().hex[:12]}"
        self._calls: dict[str, PendingCall] = {}  # forwarded tools/call awaiting a result
        self._lists: set[str] = set()  # tools/list requests awaiting a result
        self._held: dict[str, asyncio.Task[None]] = {}  # tools/call being judged
        self._reads: dict[str, str] = {}  # resources/read, prompts/get awaiting a result
        self._tasks: set[asyncio.Task[None]] = set()

    async def from_client(self, message: dict[str, Any]) -> None:
        """One message from the client."""
        method = message.get("method")
        if method == "tools/call" and "id" not in message:
            log.warning("dropped a tools/call sent as a notification (no id): never forwarded")
            return
        if "id" in message and method == "tools/call":
            key = id_key(message["id"])
            task = asyncio.create_task(self._govern_call(message, key))
            self._held[key] = task
            self._track(task)
            return
        if method == "notifications/cancelled":
            params = message.get("params")
            target = params.get("requestId") if isinstance(params, dict) else None
            held = self._held.pop(id_key(target), None) if target is not None else None
            if held is not None:  # the server never saw it: drop it here
                held.cancel()
                return
        if "id" in message and method in CLIENT_READS:
            self._reads[id_key(message["id"])] = label_of(str(method), message.get("params"))
        if "id" in message and method == "tools/list" and self.core.options.hide_tools:
            self._lists.add(id_key(message["id"]))
        await self._send_server(message)

    async def from_server(self, message: dict[str, Any]) -> None:
        """One message from the server."""
        if message.get("method") in SERVER_PROMPTS and "id" in message:
            self._track(asyncio.create_task(self._govern_sampling(message)))
            return
        if "method" not in message and "id" in message:
            key = id_key(message["id"])
            label = self._reads.pop(key, None)
            if label is not None and "result" in message:
                self._track(asyncio.create_task(self._govern_read(message, label)))
                return
            call = self._calls.pop(key, None)
            result = message.get("result")
            tool_shaped = isinstance(result, dict) and isinstance(result.get("content"), list)
            if call is not None or tool_shaped:
                task = asyncio.create_task(self._govern_result(message, call))
                self._track(task)
                return
            if key in self._lists:
                self._lists.discard(key)
                if "result" in message:
                    message = {**message, "result": self.core.filter_tools(message["result"])}
        await self._send_client(message)

    async def client_error(self, exc: BaseException) -> None:
        """A line from the client that is not a JSON-RPC message: answer, never forward."""
        await self._send_client(error_response(None, JSONRPC_PARSE_ERROR, f"parse error: {exc}"))

    async def _govern_call(self, message: dict[str, Any], key: str) -> None:
        try:
            ruling = await self.core.judge_call(message.get("params"), self.session)
            if self._held.pop(key, None) is None:
                return  # cancelled meanwhile
            if ruling.forward:
                params = message.get("params") or {}
                self._calls[key] = PendingCall(str(params.get("name")), self.session)
                await self._send_server(message)
            else:
                assert ruling.result is not None
                await self._send_client(result_response(message["id"], ruling.result))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the answer could not be delivered: say so, once
            log.error("tools/call relay failed: %s: %s", type(exc).__name__, exc)

    async def _govern_result(self, message: dict[str, Any], call: PendingCall | None) -> None:
        try:
            name = call.name if call is not None else None
            judged = await self.core.judge_response(name, message, self.session)
            await self._send_client(judged if judged is not None else message)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("tool result relay failed: %s: %s", type(exc).__name__, exc)

    async def _govern_read(self, message: dict[str, Any], label: str) -> None:
        """A resource or prompt the client asked for: judged as data, credentials redacted."""
        try:
            shown, notice = await judge_content(self.core, label, message["result"], self.session)
            if notice is not None:
                await self._send_client(
                    error_response(message["id"], JSONRPC_INTERNAL_ERROR, notice)
                )
            else:
                await self._send_client({**message, "result": shown})
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("%s relay failed: %s: %s", label, type(exc).__name__, exc)

    async def _govern_sampling(self, message: dict[str, Any]) -> None:
        """A server asking the client's model to read its messages: judged as data first."""
        label = str(message.get("method"))
        try:
            shown, notice = await judge_content(
                self.core, label, message.get("params"), self.session
            )
            if notice is not None:  # refused to the server; the client never sees it
                await self._send_server(
                    error_response(message["id"], JSONRPC_INVALID_REQUEST, notice)
                )
            else:
                await self._send_client({**message, "params": shown})
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("%s relay failed: %s: %s", label, type(exc).__name__, exc)

    def _track(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self, grace: float = 0.0) -> None:
        """Let what is being judged finish for up to `grace` seconds, then cancel the rest."""
        if grace > 0 and self._tasks:
            await asyncio.wait(list(self._tasks), timeout=grace)
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            try:
                await task
            except BaseException:
                pass


__all__ = [
    "Relay",
]
