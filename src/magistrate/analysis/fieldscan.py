"""Field patterns (a shell rule's `args`, a tool rule's argument patterns) in linear time.

Rules match regexes against fields of an action: the joined arguments of an invocation, the
values of tool arguments. Run one by one in Python's backtracking engine, a pattern such as
`(-\\S+\\s+)*\\S+$` takes time quadratic (or worse) in what the agent wrote. Here every field
pattern of a family is compiled into one Hyperscan database and a field is scanned once: the
answer is the set of pattern ids that match, in time linear in the field.

A pattern Hyperscan cannot compile (lookaround, back-references) falls back to Python's engine
over at most `FALLBACK_CHARS` characters of the field, so its cost stays bounded; the
constitution loader reports such patterns so that authors can rewrite them.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from re import _constants as _c  # type: ignore[attr-defined]  # the stdlib regex parser
from re import _parser  # type: ignore[attr-defined]
from typing import Any

import hyperscan

from magistrate.analysis.hsdb import compile_accepted

FALLBACK_CHARS = 1024
_FLAGS = hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_ALLOWEMPTY
# Constructs Hyperscan does not support: lookaround and back-references.
_NOT_HS = re.compile(r"\(\?<?[=!]|\\[1-9]|\(\?P=")


class PatternSet:
    """Many regexes, one scan: `matches(text)` gives the ids of those that match."""

    def __init__(self, patterns: Sequence[str], caseless: bool = False) -> None:
        self.patterns = list(patterns)
        self._flags = _FLAGS | (hyperscan.HS_FLAG_CASELESS if caseless else 0)
        self.fallback: dict[int, re.Pattern[str]] = {}
        candidates = [p for p, text in enumerate(self.patterns) if not _NOT_HS.search(text)]
        # the rare pattern Hyperscan rejects is found (once: cached) and runs in the fallback
        self._db, accepted = compile_accepted(
            [self.patterns[p].encode() for p in candidates], [self._flags] * len(candidates)
        )
        self._ids = [candidates[i] for i in accepted]
        for pid in sorted(set(range(len(self.patterns))) - set(self._ids)):
            self.fallback[pid] = re.compile(self.patterns[pid], re.I if caseless else 0)
        # A fallback runs only when the field holds a string that every match of it contains.
        self._needs = {pid: required_strings(rx) for pid, rx in self.fallback.items()}
        self._local = threading.local()

    def _thread_scratch(self) -> Any:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = hyperscan.Scratch(self._db)
            self._local.scratch = scratch
        return scratch

    def matches(self, text: str) -> frozenset[int]:
        """Ids (positions in `patterns`) of the patterns that match somewhere in `text`."""
        hits: list[int] = []
        if self._db is not None:
            data = text.encode("utf-8", "surrogatepass")
            # scan(data, handler, flags, context, scratch), positionally: keywords cost the
            # binding half a microsecond a call (as much as the scan of a short field)
            self._db.scan(data, _collect, 0, hits, self._thread_scratch())
        if not self.fallback:
            if not hits:
                return _NONE
            ids = self._ids
            return frozenset([ids[h] for h in hits])
        ids = self._ids
        found = {ids[h] for h in hits}
        head = text[:FALLBACK_CHARS]
        for pid, rx in self.fallback.items():
            needs = self._needs[pid]
            if (needs is None or any(n in head for n in needs)) and rx.search(head):
                found.add(pid)
        return frozenset(found)


_NONE: frozenset[int] = frozenset()


def _collect(pid: int, start: int, end: int, flags: int, context: Any) -> None:
    """Hyperscan's match handler: the pattern's id into the scan's list (SINGLEMATCH: once)."""
    context.append(pid)


def required_strings(regex: re.Pattern[str]) -> frozenset[str] | None:
    """Strings one of which every match of `regex` contains (None when none can be named).

    Read from the parsed pattern, conservatively: a literal run of a sequence, the union over
    the branches of an alternation (each branch must name some), a group or a repeat of at least
    one. Case-insensitive patterns name none (their literals match in other cases too)."""
    if regex.flags & re.IGNORECASE:
        return None
    try:
        tree = _parser.parse(regex.pattern, regex.flags)
    except Exception:  # the pattern compiled, so this is unexpected: read it whole instead
        return None
    return _required(list(tree))


def _required(items: list[tuple[Any, Any]]) -> frozenset[str] | None:
    best: frozenset[str] | None = None
    run: list[str] = []

    def consider(found: frozenset[str] | None) -> None:
        nonlocal best
        if found and (best is None or min(map(len, found)) > min(map(len, best))):
            best = found

    for op, av in items:
        if op is _c.LITERAL:
            run.append(chr(av))
            continue
        if run:
            consider(frozenset(["".join(run)]))
            run = []
        if op is _c.SUBPATTERN:
            add_flags, sub = av[1], av[3]
            if add_flags & re.IGNORECASE:
                return None  # `(?i:…)`: case-insensitive inside
            consider(_required(list(sub)))
        elif op is _c.BRANCH:
            alternatives = [_required(list(branch)) for branch in av[1]]
            if all(alternatives):
                consider(frozenset().union(*alternatives))  # type: ignore[arg-type]
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT) and av[0] >= 1:
            consider(_required(list(av[2])))
        elif op is _c.ATOMIC_GROUP:
            consider(_required(list(av)))
    if run:
        consider(frozenset(["".join(run)]))
    return best
