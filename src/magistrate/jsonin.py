"""JSON from outside (HTTP bodies, `--jsonl` lines, `--args`), parsed without crashing on hostile
input.

`json.loads` recurses once per nesting level and raises `RecursionError` near 1,000 levels;
its integer conversion refuses more than 4,300 digits with a bare `ValueError`; bytes that are
not UTF-8 raise `UnicodeDecodeError`. `parse` turns each into `InvalidAction` naming the field.

Depth is checked while parsing: the C parser stops at the interpreter's recursion limit and
raises (it never overflows the stack), after reading at most that many levels, so a body of
megabytes of `[` costs microseconds. Below that limit, the action's own fields are held to
`MAX_DEPTH` by `Action` itself (iteratively); a field it ignores may be deeper, and is never
walked. A pre-scan of the raw bytes was measured and rejected: escapes and quotes make any
byte scanner in Python cost seconds on a 16 MiB body, while the parser's own check is free.
"""

from __future__ import annotations

import json
from typing import Any

from magistrate.errors import InvalidAction


class MalformedJSON(InvalidAction):
    """Not a JSON document at all (empty, not UTF-8, a syntax error), as opposed to JSON over
    a limit (too deep, a number too long): HTTP answers 400 for this, 422 for those."""


def parse(raw: bytes | str, field: str = "body") -> Any:
    """Parse JSON text; raises InvalidAction(field, why) for anything that is not a JSON
    document within the limits (empty, not UTF-8, malformed, too deep, a huge number)."""
    if isinstance(raw, bytes):
        if not raw.strip():
            raise MalformedJSON(field, "expected a JSON object; it is empty")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedJSON(
                field, f"is not valid UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start}"
            ) from None
    else:
        text = raw
        if not text.strip():
            raise MalformedJSON(field, "expected a JSON object; it is empty")
    try:
        return json.loads(text)
    except RecursionError:
        raise InvalidAction(field, "is nested too deeply to parse") from None
    except json.JSONDecodeError as exc:
        raise MalformedJSON(field, f"not valid JSON: {exc}") from None
    except ValueError as exc:  # e.g. an integer over 4,300 digits
        raise InvalidAction(field, f"not acceptable JSON: {exc}") from None
