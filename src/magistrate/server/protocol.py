"""uvicorn's httptools protocol, writing a response's head and body in one send.

uvicorn writes the status line and headers as soon as the app starts its response, then the
body in a second write: two send system calls per response, each of which on loopback runs the
receiver's TCP path and wakes it. For a small JSON answer that second call was a large part of
the server's CPU per request. Here a head (a write that is a complete HTTP head) is held until
the next write on the connection, which it joins, or until the end of the event loop's current
turn at the latest; so bytes leave in the same order, a streamed response's head is delayed by
no more than one turn of the loop, and a response whose body follows at once goes out whole.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CoalescingTransport:
    """A transport that holds a response head until the next write or the loop's next turn."""

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Send `data` after anything held; hold it when it is a response head."""
        held = self._held
        if held is not None:
            self._held = None
            self._transport.write(held + bytes(data))
        elif isinstance(data, bytes) and data.startswith(b"HTTP/") and data.endswith(b"\r\n\r\n"):
            self._held = data
            self._loop.call_soon(self.flush)
        else:
            self._transport.write(data)

    def flush(self) -> None:
        """Send what is held, if anything."""
        held = self._held
        if held is not None:
            self._held = None
            if not self._transport.is_closing():
                self._transport.write(held)

    def writelines(self, data: Any) -> None:
        """Send each of `data`, in order."""
        for chunk in data:
            self.write(chunk)

    def close(self) -> None:
        """Send what is held, then close."""
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        """Send what is held, then end the writing side."""
        self.flush()
        self._transport.write_eof()

    def get_write_buffer_size(self) -> int:
        """Bytes waiting to be sent, held ones included."""
        held = len(self._held) if self._held is not None else 0
        return held + self._transport.get_write_buffer_size()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingHttpTools(HttpToolsProtocol):
    """HttpToolsProtocol over a CoalescingTransport."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Wrap the connection's transport."""
        wrapped: Any = CoalescingTransport(transport, self.loop)
        super().connection_made(wrapped)
