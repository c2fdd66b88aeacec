"""Session history: the recent marks of each session, for rules over sequences of actions."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from typing import Protocol

from magistrate.analysis.effects import Effect
from magistrate.analysis.metadata import is_loopback

MAX_TARGET_MARKS = 16  # files named per action, for sequence rules over the same file


def marks_of(effects: tuple[Effect, ...], facts: dict[str, str]) -> frozenset[str]:
    """Marks an action leaves in its session: `send`, `read:secret`, `remote-code`…, and for
    files downloaded or run, `write@NAME` / `exec@NAME` (NAME: the file's base name), which
    sequence rules with `same_target` compare."""
    out: set[str] = set(facts)
    named = 0
    for e in effects:
        if e.op == "send" and is_loopback(e.target):
            out.add("send:loopback")  # to this machine's own server: nothing leaves it
            continue
        out.add(e.op)
        for cls in e.classes:
            out.add(f"{e.op}:{cls}")
        if named < MAX_TARGET_MARKS and (e.op == "exec" or "download" in e.classes):
            name = target_name(e.target)
            if name:
                out.add(f"{e.op}@{name}")
                named += 1
    return frozenset(out)


def target_name(target: str) -> str:
    """The base name a file is known by across commands: `./tool.sh`, `/tmp/tool.sh` → `tool.sh`."""
    return target.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1][:120]


def same_target(
    earlier: frozenset[str], first: list[str], now: frozenset[str], then: list[str]
) -> bool:
    """Whether a file the earlier action touched (as `first`) is one this action touches (as
    `then`): `curl -o tool.sh …`, then `bash ./tool.sh`."""
    first_ops = {f.split(":", 1)[0] for f in first}
    names = {
        m.split("@", 1)[1]
        for m in now
        if "@" in m and m.split("@", 1)[0] in {t.split(":", 1)[0] for t in then}
    }
    return any(f"{op}@{name}" in earlier for op in first_ops for name in names)


class SessionStore(Protocol):
    """Where session histories live: memory by default, Redis for several servers."""

    def recent(self, session: str, within_s: float) -> list[frozenset[str]]:
        """Marks of the session's actions in the last `within_s` seconds, oldest first."""
        ...

    def add(self, session: str, marks: frozenset[str]) -> None:
        """Remember an action's marks."""
        ...


MAX_SHARED_MARKS = 4096  # distinct mark sets kept for sharing; the table restarts when full


class MemorySessionStore:
    """Bounded in-process histories: at most `max_sessions` sessions of `max_events` each.

    Equal mark sets are stored as one object: actions repeat their marks (`read`,
    `send:external`…) and every check builds them anew, so a full store held one frozenset
    and its strings per event (about 600 bytes) where a shared one costs a tuple and a float."""

    def __init__(self, max_sessions: int = 10_000, max_events: int = 64) -> None:
        self._sessions: OrderedDict[str, deque[tuple[float, frozenset[str]]]] = OrderedDict()
        self._shared: dict[frozenset[str], frozenset[str]] = {}
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
            shared = self._shared.get(marks)
            if shared is None:
                if len(self._shared) >= MAX_SHARED_MARKS:
                    self._shared.clear()
                self._shared[marks] = shared = marks
            events = self._sessions.get(session)
            if events is None:
                if len(self._sessions) >= self._max_sessions:
                    self._sessions.popitem(last=False)
                events = deque(maxlen=self._max_events)
                self._sessions[session] = events
            else:
                self._sessions.move_to_end(session)
            events.append((time.time(), shared))


class SQLiteSessionStore:
    """Session histories in a SQLite file, so that they outlive a process (a hook per call)."""

    def __init__(self, path: str, max_events: int = 64, ttl_s: float = 86_400.0) -> None:
        import sqlite3
        from pathlib import Path

        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=5.0, check_same_thread=False)
        self._lock = threading.Lock()
        self._max_events = max_events
        with self._lock, self._db:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS session_marks (session TEXT NOT NULL, at REAL NOT NULL,"
                " marks TEXT NOT NULL)"
            )
            self._db.execute(
                "CREATE INDEX IF NOT EXISTS session_marks_key ON session_marks (session, at)"
            )
            self._db.execute("DELETE FROM session_marks WHERE at < ?", (time.time() - ttl_s,))

    def recent(self, session: str, within_s: float) -> list[frozenset[str]]:
        """Marks of the session's actions in the last `within_s` seconds, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT marks FROM session_marks WHERE session = ? AND at >= ? ORDER BY at",
                (session, time.time() - within_s),
            ).fetchall()
        return [frozenset(m.split("\n")) for (m,) in rows]

    def add(self, session: str, marks: frozenset[str]) -> None:
        """Remember an action's marks, keeping the last `max_events` of the session."""
        if not marks:
            return
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO session_marks VALUES (?, ?, ?)",
                (session, time.time(), "\n".join(sorted(marks))),
            )
            self._db.execute(
                "DELETE FROM session_marks WHERE session = ? AND rowid NOT IN (SELECT rowid FROM"
                " session_marks WHERE session = ? ORDER BY at DESC LIMIT ?)",
                (session, session, self._max_events),
            )

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()
