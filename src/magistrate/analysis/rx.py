"""Yes-or-no questions to RE2 without the cost of its Python wrapper.

google-re2's `search` and `match` run the engine once, then build a generator, map byte offsets
back to characters and wrap the spans in a match object: about four microseconds a call, most
of a first-sight check's regex time, for callers that only ask whether there is a match. Here the
same engine call answers that. If the wrapper's internals are not what this expects (another
version), the wrapper is used: the answer is the same either way.
"""

from __future__ import annotations

from typing import Any

import re2  # type: ignore[import-untyped]

_ANCHOR: Any = getattr(re2, "_Anchor", None)
_NULL_SPAN = (-1, -1)
_UNSEEN = object()


def _direct(regex: Any) -> Any:
    """The compiled engine object behind a wrapper regex, or None when it is not reachable."""
    engine = _ENGINES.get(id(regex), _UNSEEN)
    if engine is _UNSEEN:  # looked up once per regex (they are module constants)
        engine = getattr(regex, "_regexp", None)
        engine = engine if _ANCHOR is not None and hasattr(engine, "Match") else None
        if len(_KEPT) < 256:
            _ENGINES[id(regex)] = engine
            _KEPT.append(regex)  # alive, so that its id is never reused
    return engine


_ENGINES: dict[int, Any] = {}
_KEPT: list[Any] = []


def found(regex: Any, text: str) -> bool:
    """`regex.search(text) is not None`, for an RE2 regex."""
    engine = _ENGINES.get(id(regex)) or _direct(regex)  # the lookup is the common case
    if engine is None:
        return regex.search(text) is not None
    data = text.encode("utf-8")  # what the wrapper encodes (it raises the same way)
    return bool(engine.Match(_ANCHOR.UNANCHORED, data, 0, len(data))[0] != _NULL_SPAN)


def starts(regex: Any, text: str) -> bool:
    """`regex.match(text) is not None`, for an RE2 regex."""
    engine = _ENGINES.get(id(regex)) or _direct(regex)  # the lookup is the common case
    if engine is None:
        return regex.match(text) is not None
    data = text.encode("utf-8")
    return bool(engine.Match(_ANCHOR.ANCHOR_START, data, 0, len(data))[0] != _NULL_SPAN)


def group_texts(regex: Any, text: str, nonempty: bool = False) -> list[tuple[str | None, ...]]:
    """`[m.groups() for m in regex.finditer(text)]`, for an RE2 regex. Over ASCII text (byte
    offsets are character offsets) the engine's spans are read directly. `nonempty`: the
    caller knows every match holds a character, so none is looked for after the text's end."""
    engine = _ENGINES.get(id(regex)) or _direct(regex)  # the lookup is the common case
    if engine is None or not text.isascii():
        return [m.groups() for m in regex.finditer(text)]
    data = text.encode("ascii")
    out: list[tuple[str | None, ...]] = []
    pos, end = 0, len(data)
    while True:  # the wrapper's loop over matches (bytes branch), without its match objects
        spans = engine.Match(_ANCHOR.UNANCHORED, data, pos, end)
        whole = spans[0]
        if whole == _NULL_SPAN:
            return out
        out.append(tuple(None if s == _NULL_SPAN else text[s[0] : s[1]] for s in spans[1:]))
        if pos == end or (nonempty and whole[1] == end):
            return out
        pos = pos + 1 if pos == whole[1] else whole[1]


__all__ = ["found", "group_texts", "starts"]
