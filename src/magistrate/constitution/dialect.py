"""The one regex dialect of a constitution: what both Hyperscan and Python's `re` read the same
way, in linear time. No lookaround, no backreferences, no atomic groups or possessive
repeats, no inline flags: each field has one case rule (docs/constitution.md), not each
pattern its own."""

from __future__ import annotations

import re
from collections.abc import Iterator
from re import _constants as _c  # type: ignore[attr-defined]
from re import _parser as _p  # type: ignore[attr-defined]
from typing import Any

_FORBIDDEN = {
    _c.ASSERT: "lookahead or lookbehind",
    _c.ASSERT_NOT: "negative lookahead or lookbehind",
    _c.GROUPREF: "a backreference",
    _c.GROUPREF_EXISTS: "a conditional group",
}
_LATER = (("ATOMIC_GROUP", "an atomic group"), ("POSSESSIVE_REPEAT", "a possessive repeat"))
for _name, _why in _LATER:
    if hasattr(_c, _name):
        _FORBIDDEN[getattr(_c, _name)] = _why
_INLINE = re.IGNORECASE | re.MULTILINE | re.DOTALL | re.VERBOSE | re.ASCII


def dialect_problems(pattern: str) -> list[str]:
    """Why a pattern is outside the dialect (empty when it is inside, or does not parse:
    compiling reports that)."""
    try:
        parsed = _p.parse(pattern)
    except re.error:
        return []
    found: list[str] = []
    if parsed.state.flags & _INLINE:
        found.append("an inline flag such as (?i): the field's case rule applies")
    for why in _walk(parsed.data):
        if why not in found:
            found.append(why)
    return found


def _walk(items: Any) -> Iterator[str]:
    for op, av in items:
        if op in _FORBIDDEN:
            yield _FORBIDDEN[op]
        if op is _c.SUBPATTERN:
            _, add_flags, del_flags, sub = av
            if (add_flags | del_flags) & _INLINE:
                yield "an inline flag such as (?i:...): the field's case rule applies"
            yield from _walk(sub)
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) or getattr(_c, "POSSESSIVE_REPEAT", None) is op:
            yield from _walk(av[2])
        elif op is _c.BRANCH:
            for branch in av[1]:
                yield from _walk(branch)
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            yield from _walk(av[1])
        elif getattr(_c, "ATOMIC_GROUP", None) is op:
            yield from _walk(av)
        elif op is _c.GROUPREF_EXISTS:
            yield from _walk(av[1])
            if av[2] is not None:
                yield from _walk(av[2])
