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


def byte_mode_problems(pattern: str) -> list[str]:
    """What in a text pattern cannot match as written, because Hyperscan reads bytes (UTF-8,
    one byte at a time): a character outside ASCII inside a `[...]` class (the class holds its
    bytes, each alone), and `\\b` right before one (such a letter is no word character there, so
    no boundary precedes it after a space). Empty when there is none, or it does not parse."""
    try:
        parsed = _p.parse(pattern)
    except re.error:
        return []
    found: list[str] = []
    if any(any(ord(c) > 127 for c in cls) for cls in _written_classes(pattern)):
        found.append("a character outside ASCII inside [...]: write it as an alternative (a|ä)")
    if _boundary_before_beyond_ascii(parsed.data):
        found.append(r"\b before a character outside ASCII, which never matches there")
    if _repeated_beyond_ascii(_p.parse(both_cases(pattern)).data):
        found.append(
            "a character outside ASCII repeated or made optional (的?): the quantifier "
            "takes its last byte alone; group it: (的)?"
        )
    return found


def _repeated_beyond_ascii(items: Any) -> bool:
    """Whether a quantifier applies to one character outside ASCII, ungrouped."""
    for op, av in items:
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            body = list(av[2])
            if len(body) == 1 and body[0][0] is _c.LITERAL and body[0][1] > 127:
                return True
            inner = [body]
        elif op is _c.SUBPATTERN:
            inner = [av[3]]
        elif op is _c.BRANCH:
            inner = list(av[1])
        else:
            continue
        if any(_repeated_beyond_ascii(part) for part in inner):
            return True
    return False


def _written_classes(pattern: str) -> Iterator[str]:
    """The `[...]` classes as written (the parser turns `(a|ä)` into a class too)."""
    k, n = 0, len(pattern)
    while k < n:
        c = pattern[k]
        if c == "\\":
            k += 2
            continue
        if c == "[":
            end = k + 1
            if end < n and pattern[end] == "^":
                end += 1
            if end < n and pattern[end] == "]":
                end += 1
            while end < n and pattern[end] != "]":
                end += 2 if pattern[end] == "\\" else 1
            yield pattern[k : end + 1]
            k = end + 1
            continue
        k += 1


def _first_beyond_ascii(items: Any) -> bool:
    """Whether what a sequence starts with can be a character outside ASCII."""
    if not items:
        return False
    op, av = items[0]
    if op is _c.LITERAL:
        return bool(av > 127)
    if op is _c.IN:  # `(ü|u)`, parsed as a class
        return any(o is _c.LITERAL and v > 127 for o, v in av)
    if op is _c.SUBPATTERN:
        return _first_beyond_ascii(av[3])
    if op is _c.BRANCH:
        return any(_first_beyond_ascii(branch) for branch in av[1])
    return False


def _boundary_before_beyond_ascii(items: Any) -> bool:
    seq = list(items)
    for k, (op, av) in enumerate(seq):
        if op is _c.AT and av is _c.AT_BOUNDARY and _first_beyond_ascii(seq[k + 1 :]):
            return True
        if op is _c.SUBPATTERN and _boundary_before_beyond_ascii(av[3]):
            return True
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and _boundary_before_beyond_ascii(av[2]):
            return True
        if op is _c.BRANCH and any(_boundary_before_beyond_ascii(b) for b in av[1]):
            return True
    return False


def both_cases(pattern: str) -> str:
    """The pattern with each letter beyond ASCII written in both its cases (`ü` as `(?:ü|Ü)`):
    Hyperscan folds case for ASCII letters only, so `(ü|u)berweis` missed `Überweisung` and
    `отправ` missed `Отправь` at the start of a sentence. Escapes are kept as they are; classes
    hold no such letter (`byte_mode_problems`)."""
    if pattern.isascii():
        return pattern
    out: list[str] = []
    k, n = 0, len(pattern)
    while k < n:
        c = pattern[k]
        if c == "\\" and k + 1 < n:
            out.append(pattern[k : k + 2])
            k += 2
            continue
        lower, upper = c.lower(), c.upper()
        if ord(c) > 127 and lower != upper and len(lower) == 1 and len(upper) == 1:
            out.append(f"(?:{lower}|{upper})")
        else:
            out.append(c)
        k += 1
    return "".join(out)
