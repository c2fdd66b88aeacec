"""JSON-RPC framing for the gateway: responses it writes, strict parsing of what it reads, and
the requests it forwarded whose responses are still to be judged (tracked by id)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

JSONRPC_PARSE_ERROR = -32700
JSONRPC_INVALID_REQUEST = -32600
JSONRPC_INVALID_PARAMS = -32602
JSONRPC_INTERNAL_ERROR = -32603


def error_response(request_id: Any, code: int, message: str) -> dict[str, Any]:
    """A JSON-RPC error response."""
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


def result_response(request_id: Any, result: dict[str, Any]) -> dict[str, Any]:
    """A JSON-RPC result response."""
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def id_key(request_id: Any) -> str:
    """Request ids compare by type and value ("1" is not 1)."""
    return json.dumps(request_id)


class _Duplicate(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(f"duplicate key {key!r}")
        out[key] = value
    return out


def parse_body(body: bytes) -> Any:
    """Strict JSON: duplicate keys are refused (what is judged is exactly what is sent on)."""
    return json.loads(body, object_pairs_hook=_no_duplicates)


@dataclass(slots=True)
class PendingCall:
    """A request forwarded to the server whose response is still to be judged."""

    name: str
    session: str | None
    read: bool = False  # a resources/read or prompts/get: its result is server content too


__all__ = [
    "JSONRPC_INTERNAL_ERROR",
    "JSONRPC_INVALID_PARAMS",
    "JSONRPC_INVALID_REQUEST",
    "JSONRPC_PARSE_ERROR",
    "PendingCall",
    "error_response",
    "id_key",
    "parse_body",
    "result_response",
]
