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
        self._local = threading.local()

    def _thread_scratch(self) -> Any:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = hyperscan.Scratch(self._db)
            self._local.scratch = scratch
        return scratch

    def matches(self, text: str) -> frozenset[int]:
        """Ids (positions in `patterns`) of the patterns that match somewhere in `text`."""
        found: set[int] = set()
        if self._db is not None:
            ids = self._ids

            def on_match(pid: int, start: int, end: int, flags: int, context: Any) -> None:
                found.add(ids[pid])

            data = text.encode("utf-8", "surrogatepass")
            self._db.scan(data, match_event_handler=on_match, scratch=self._thread_scratch())
        if self.fallback:
            head = text[:FALLBACK_CHARS]
            found.update(pid for pid, rx in self.fallback.items() if rx.search(head))
        return frozenset(found)
