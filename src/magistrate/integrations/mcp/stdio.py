"""The stdio transport: MCP over this process's stdin and stdout to the client, the real
server run as a subprocess, messages passed through the relay. Uses the `mcp` SDK's stdio
transports; stdin and stdout are driven by the event loop so the proxy can stop at once."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from magistrate.governor import Governor
from magistrate.integrations.mcp.policy import ProxyOptions, ToolCallGovernor
from magistrate.integrations.mcp.relay import Relay

log = logging.getLogger("magistrate.mcp")


class _PipeLines:
    """Lines of this process's stdin read on the event loop, not in a thread: when the server
    goes away the proxy can stop at once, though the client keeps stdin open."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader

    def __aiter__(self) -> _PipeLines:
        return self

    async def __anext__(self) -> str:
        line = await self._reader.readline()
        if not line:
            raise StopAsyncIteration
        return line.decode("utf-8", errors="replace")


class _PipeWriter:
    """The client's end of stdout, written on the event loop (the SDK's default writes each
    message through a worker thread, twice: write, then flush)."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self.broken = False

    async def write(self, data: str) -> None:
        if not self.broken:
            self._writer.write(data.encode("utf-8"))

    async def flush(self) -> None:
        try:
            await self._writer.drain()
        except (BrokenPipeError, ConnectionResetError):  # the client is gone; stdin ends too
            self.broken = True


async def _open_stdout() -> tuple[Any, Callable[[], None]]:
    """stdout as a loop-driven pipe writer, with fd 1 pointed at stderr meanwhile so that
    stray prints cannot corrupt the protocol; (None, no-op) when stdout is not a pipe."""
    loop = asyncio.get_running_loop()
    try:
        wire = os.dup(1)
    except OSError:
        return None, lambda: None
    pipe = os.fdopen(wire, "wb", buffering=0)
    try:
        transport, flow = await loop.connect_write_pipe(
            lambda: asyncio.streams.FlowControlMixin(loop=loop), pipe
        )
    except (ValueError, OSError):  # a regular file or a terminal: the SDK's writer serves
        pipe.close()
        return None, lambda: None
    writer = asyncio.StreamWriter(transport, flow, None, loop)
    saved = os.dup(1)
    os.dup2(2, 1)

    def restore() -> None:
        os.dup2(saved, 1)
        os.close(saved)
        transport.close()

    return _PipeWriter(writer), restore


async def _open_stdin() -> Any:
    """stdin as lines read on the loop; None (the SDK's own reader) when it is not a pipe."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=64 * 1024 * 1024)
    protocol = asyncio.StreamReaderProtocol(reader)
    try:
        pipe = os.fdopen(os.dup(0), "rb", buffering=0)
    except OSError:
        return None
    try:
        await loop.connect_read_pipe(lambda: protocol, pipe)
    except (ValueError, OSError):  # a regular file or a terminal: EOF comes by itself
        pipe.close()
        return None
    return _PipeLines(reader)


async def serve_stdio(
    command: Sequence[str],
    governor: Governor,
    options: ProxyOptions,
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> int:
    """Speak MCP over this process's stdio; run `command` as the real server. Returns when
    either side closes (exit status 0), or 1 when the server could not be started."""
    import anyio
    from mcp.client.stdio import StdioServerParameters

    if not command:
        raise ValueError("mcp-proxy needs the server's COMMAND (after --)")
    params = StdioServerParameters(
        command=command[0],
        args=list(command[1:]),
        env=dict(env if env is not None else os.environ),
        cwd=cwd,
    )
    core = ToolCallGovernor(governor, options)
    stdin = await _open_stdin()
    stdout, restore_stdout = await _open_stdout()
    ended = _Ended()
    loop = asyncio.get_running_loop()
    stopping = [signal.SIGTERM, signal.SIGHUP] if hasattr(signal, "SIGHUP") else []
    try:
        with anyio.CancelScope() as outer:

            def stop(signum: int) -> None:
                ended.by = f"signal {signal.Signals(signum).name}: proxy"
                outer.cancel()  # a clean stop: the audit log is flushed on the way out

            for signum in stopping:
                loop.add_signal_handler(signum, stop, signum)
            await _relay_stdio(params, core, stdin, stdout, ended, outer)
    except OSError as exc:
        log.error("cannot start the MCP server %s: %s", list(command), exc)
        return 1
    finally:
        for signum in stopping:
            loop.remove_signal_handler(signum)
        restore_stdout()
    if ended.by.startswith("signal"):
        log.info("%s stopped", ended.by)
    return 0


@dataclass(slots=True)
class _Ended:
    """Who ended the session: "client", "server", a signal, or "?" while it runs."""

    by: str = "?"


async def _relay_stdio(
    params: Any, core: ToolCallGovernor, stdin: Any, stdout: Any, ended: _Ended, outer: Any
) -> None:
    """Pump messages both ways through the relay until either side closes, then cancel
    `outer` (the SDK's stdin reader stops though stdin stays open)."""
    import anyio
    import mcp_types
    from mcp.client.stdio import stdio_client
    from mcp.server.stdio import stdio_server
    from mcp.shared.message import SessionMessage

    adapter = mcp_types.jsonrpc_message_adapter

    def wire(message: Any) -> dict[str, Any]:
        data: dict[str, Any] = message.model_dump(by_alias=True, mode="json", exclude_unset=True)
        return data

    async with (
        stdio_server(stdin=stdin, stdout=stdout) as (client_read, client_write),
        stdio_client(params) as (server_read, server_write),
    ):

        async def to_client(data: dict[str, Any]) -> None:
            await client_write.send(SessionMessage(adapter.validate_python(data)))

        async def to_server(data: dict[str, Any]) -> None:
            await server_write.send(SessionMessage(adapter.validate_python(data)))

        relay = Relay(core, to_client, to_server)
        options = core.options
        log.info("proxying %s (principal %s)", options.server, options.principal)

        async def pump_client(scope: anyio.CancelScope) -> None:
            try:
                async for item in client_read:
                    if isinstance(item, Exception):
                        await relay.client_error(item)
                    else:
                        await relay.from_client(wire(item.message))
                ended.by = "client"
            finally:
                scope.cancel()

        async def pump_server(scope: anyio.CancelScope) -> None:
            try:
                async for item in server_read:
                    if isinstance(item, Exception):
                        log.warning("unreadable message from the server: %s", item)
                        continue
                    await relay.from_server(wire(item.message))
                ended.by = "server"
            finally:
                scope.cancel()

        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(pump_client, tg.cancel_scope)
                tg.start_soon(pump_server, tg.cancel_scope)
        finally:
            # Results already being judged still reach a client that is there.
            with anyio.CancelScope(shield=True):
                await relay.close(grace=5.0 if ended.by == "server" else 0.0)
            if not ended.by.startswith("signal"):
                log.info("the %s closed the connection; stopping", ended.by)
            await client_write.aclose()  # the SDK's writer flushes, then ends
            outer.cancel()  # and its stdin reader stops though stdin stays open


__all__ = [
    "serve_stdio",
]
