"""Secrets do not flow back to the agent: credentials in what a tool returned are masked.

Cloud keys, tokens, private keys and connection strings with passwords in a tool result, a
resource or a hook's tool response are replaced by `***` (the same detectors that mask the audit
log), wherever they sit in the structure, before the agent reads it. The governor's verdict on
the result cites article 3 (`secret-redacted`), so the audit record says that it happened.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from magistrate.analysis.secrets import find_secrets, mask_secrets

MAX_DEPTH = 64


def redact(value: Any, _depth: int = 0) -> tuple[Any, int]:
    """(value with every credential masked, how many strings changed); the value is returned
    as is (the same object) when nothing was found. Deeper than MAX_DEPTH is dropped whole."""
    if isinstance(value, str):
        if not find_secrets(value):
            return value, 0
        return mask_secrets(value), 1
    if _depth >= MAX_DEPTH:
        return "*** (too deep to check: withheld)", 1
    if isinstance(value, Mapping):
        changed = 0
        out: dict[Any, Any] = {}
        for k, v in value.items():
            new, n = redact(v, _depth + 1)
            out[k] = new
            changed += n
        return (out, changed) if changed else (value, 0)
    if isinstance(value, (list, tuple)):
        items = [redact(v, _depth + 1) for v in value]
        changed = sum(n for _v, n in items)
        if not changed:
            return value, 0
        rebuilt = [v for v, _n in items]
        return (tuple(rebuilt) if isinstance(value, tuple) else rebuilt), changed
    return value, 0


def redact_text(text: str) -> tuple[str, bool]:
    """(text with credentials masked, whether any were)."""
    new, n = redact(text)
    return new, bool(n)


__all__ = ["redact", "redact_text"]
