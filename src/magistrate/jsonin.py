"""JSON from outside (HTTP bodies, `--jsonl` lines), parsed without crashing on hostile input.

`json.loads` recurses once per nesting level and raises `RecursionError` near 1,000 levels;
its integer conversion refuses more than 4,300 digits with a bare `ValueError`; bytes that are
not UTF-8 raise `UnicodeDecodeError`. `parse` turns each of these into `InvalidAction` naming
the field, and checks the nesting depth on the raw bytes first, so the parser never gets
deep input at all.
"""

from __future__ import annotations

import json
import re
from typing import Any

from magistrate.action import MAX_DEPTH
from magistrate.errors import InvalidAction

# A body wraps the action's own objects (args, context: MAX_DEPTH each) in at most a few
# levels (a batch: body, list, action): deeper than this, nothing valid could be inside.
MAX_RAW_DEPTH = MAX_DEPTH + 8
_ESCAPE = re.compile(rb"\\.", re.S)  # a backslash and what it escapes
_STRING = re.compile(rb'"[^"]*"')  # once escapes are gone, a string has no quote inside
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_PARENS = bytes.maketrans(b"[{]}", b"(())")  # nesting does not care which bracket


class MalformedJSON(InvalidAction):
    """Not a JSON document at all (empty, not UTF-8, a syntax error), as opposed to JSON over
    a limit (too deep, a number too long): HTTP answers 400 for this, 422 for those."""


def raw_depth(raw: bytes) -> int:
    """How deep brackets nest in JSON text, outside strings: exact up to MAX_RAW_DEPTH, and
    above it only "deeper than the limit". Linear time, every step in C: escapes, strings and
    all but brackets are removed by non-backtracking patterns, then each pass of removing the
    innermost `[]`/`{}` pairs peels one level (at most MAX_RAW_DEPTH + 1 passes)."""
    opens = raw.count(b"[") + raw.count(b"{")
    if opens <= MAX_RAW_DEPTH:  # the common case: too few brackets to be too deep
        return opens
    brackets = _NOT_BRACKET.sub(b"", _STRING.sub(b"", _ESCAPE.sub(b"", raw)))
    brackets = brackets.translate(_PARENS)
    depth = 0
    while brackets and depth <= MAX_RAW_DEPTH:
        peeled = brackets.replace(b"()", b"")
        if len(peeled) == len(brackets):  # unbalanced: what is left opens without closing
            return depth + brackets.count(b"(")
        brackets, depth = peeled, depth + 1
    return depth + (1 if brackets else 0)


def parse(raw: bytes | str, field: str = "body", limit: int = MAX_RAW_DEPTH) -> Any:
    """Parse JSON text; raises InvalidAction(field, why) for anything that is not a JSON
    document within the depth limit (empty, not UTF-8, malformed, too deep, a huge number)."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if not data.strip():
        raise MalformedJSON(field, "expected a JSON object; it is empty")
    if raw_depth(data) > limit:
        raise InvalidAction(field, f"is nested deeper than {limit} levels")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedJSON(
            field, f"is not valid UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}"
        ) from None
    try:
        return json.loads(text)
    except RecursionError:  # unreachable after the depth check; kept as a last guard
        raise InvalidAction(field, f"is nested deeper than {limit} levels") from None
    except json.JSONDecodeError as exc:
        raise MalformedJSON(field, f"not valid JSON: {exc}") from None
    except ValueError as exc:  # e.g. an integer over 4,300 digits
        raise InvalidAction(field, f"not acceptable JSON: {exc}") from None
