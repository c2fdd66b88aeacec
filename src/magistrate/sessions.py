"""Session history: the recent marks of each session, for rules over sequences of actions."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from typing import Protocol

from magistrate.analysis.effects import Effect


def marks_of(effects: tuple[Effect, ...], facts: dict[str, str]) -> frozenset[str]:
    """Marks an action leaves in its session: `send`, `read:secret`, `remote-code`…"""
    out: set[str] = set(facts)
    for e in effects:
        out.add(e.op)
        for cls in e.classes:
            out.add(f"{e.op}:{cls}")
    return frozenset(out)


class SessionStore(Protocol):
    """Where session histories live: memory by default, Redis for several servers."""

    def recent(self, session: str, within_s: float) -> list[frozenset[str]]:
        """Marks of the session's actions in the last `within_s` seconds, oldest first."""
        ...

    def add(self, session: str, marks: frozenset[str]) -> None:
        """Remember an action's marks."""
        ...


class MemorySessionStore:
    """Bounded in-process histories: at most `max_sessions` sessions of `max_events` each."""

    def __init__(self, max_sessions: int = 10_000, max_events: int = 64) -> None:
        self._sessions: OrderedDict[str, deque[tuple[float, frozenset[str]]]] = OrderedDict()
        self._lock = threading.Lock()
        self._max_sessions = max_sessions
        self._max_events = max_events

    def recent(self, session: str, within_s: float) -> list[frozenset[str]]:
        """Marks of the session's actions in the last `within_s` seconds, oldest first."""
        cutoff = time.time() - within_s
        with self._lock:
            events = self._sessions.get(session)
            if not events:
                return []
            return [m for t, m in events if t >= cutoff]

    def add(self, session: str, marks: frozenset[str]) -> None:
        """Remember an action's marks (empty marks are not stored)."""
        if not marks:
            return
        with self._lock:
            events = self._sessions.get(session)
            if events is None:
                if len(self._sessions) >= self._max_sessions:
                    self._sessions.popitem(last=False)
                events = deque(maxlen=self._max_events)
                self._sessions[session] = events
            else:
                self._sessions.move_to_end(session)
            events.append((time.time(), marks))
