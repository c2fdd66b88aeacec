"""The server-sent-events codec of the HTTP gateway: a stream is re-emitted event by event, the
JSON-RPC message in each `data` field passed through a transform (which judges it)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any


async def relay_sse(
    chunks: AsyncIterator[bytes], transform: Callable[[Any], Any]
) -> AsyncIterator[bytes]:
    """Re-emit a server-sent-event stream event by event, passing each JSON-RPC message in a
    `data` field through `transform` (an async function)."""
    buffer = ""
    fields: list[tuple[str, str]] = []
    decoder = _utf8_decoder()
    async for chunk in chunks:
        buffer += decoder.decode(chunk)
        while True:
            cut = _line_end(buffer)
            if cut is None:
                break
            line, buffer = buffer[: cut[0]], buffer[cut[1] :]
            if line:
                fields.append(_field(line))
                continue
            if fields:
                yield await _event(fields, transform)
                fields = []
    buffer += decoder.decode(b"", final=True)
    if buffer:
        fields.append(_field(buffer))
    if fields:
        yield await _event(fields, transform)


def _utf8_decoder() -> Any:
    import codecs

    return codecs.getincrementaldecoder("utf-8")(errors="replace")


def _line_end(buffer: str) -> tuple[int, int] | None:
    """(end of the first line, start of the next), or None while no full line is buffered."""
    for i, ch in enumerate(buffer):
        if ch == "\n":
            return i, i + 1
        if ch == "\r":
            if i + 1 == len(buffer):
                return None  # maybe \r\n split across chunks
            return i, i + 2 if buffer[i + 1] == "\n" else i + 1
    return None


def _field(line: str) -> tuple[str, str]:
    if line.startswith(":"):
        return "", line[1:]
    name, _, value = line.partition(":")
    return name, value[1:] if value.startswith(" ") else value


async def _event(fields: list[tuple[str, str]], transform: Callable[[Any], Any]) -> bytes:
    data = "\n".join(v for k, v in fields if k == "data")
    kind = next((v for k, v in fields if k == "event"), "message")
    if data and kind == "message":
        try:
            message = json.loads(data)
        except ValueError:
            message = None
        if message is not None:
            changed = await transform(message)
            if changed is not message:
                data = json.dumps(changed, ensure_ascii=False)
                rest = [(k, v) for k, v in fields if k != "data"]
                fields = [*rest, *(("data", line) for line in data.split("\n"))]
    lines = [f":{v}" if k == "" else f"{k}: {v}" for k, v in fields]
    return ("\n".join(lines) + "\n\n").encode()


__all__ = [
    "relay_sse",
]
