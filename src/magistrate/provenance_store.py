"""Where provenance lives: which values a scope's principal gave and which data introduced.

A scope is a session (`s:<id>`) or a principal's recent history (`p:<name>:<time bucket>`).
Each keeps, bounded in size and time: the values of the principal's instructions (trusted),
the values of data (untrusted) with the source that first introduced each, and the source of
the first data that gave orders (a taint). Three implementations with the same semantics:
memory (default), SQLite (state that outlives a process, for hooks) and Redis (shared by every
server).

Fail closed at the limit: a session whose data outgrew `max_values` is marked tainted
("provenance limit reached"), so values that could no longer be remembered are never silently
trusted. A principal's history is a second look, bounded by time: at the limit it drops.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import redis

LIMIT_TAINT = "provenance limit reached: data beyond it was not remembered"


@dataclass(slots=True)
class Seen:
    """What a scope knows about some values: trusted ones, data's ones (with source), taint."""

    trusted: set[str] = field(default_factory=set)
    data: dict[str, str] = field(default_factory=dict)
    taint: str | None = None

    def merge(self, other: Seen) -> None:
        """Add another scope's knowledge (the first source seen wins)."""
        self.trusted |= other.trusted
        for value, source in other.data.items():
            self.data.setdefault(value, source)
        self.taint = self.taint or other.taint


class ProvenanceStore(Protocol):
    """Per-scope provenance: memory, SQLite or Redis."""

    def add(self, scope: str, values: Iterable[str], source: str | None) -> None:
        """Remember values: the principal's (`source` None) or data's from `source`."""
        ...

    def taint(self, scope: str, source: str) -> None:
        """Mark the scope: data from `source` gave orders."""
        ...

    def seen(self, scope: str, values: Iterable[str], within_s: float) -> Seen:
        """What the scope recorded in the last `within_s` seconds about these values."""
        ...


class _Scope:
    __slots__ = ("data", "taint", "touched", "trusted")

    def __init__(self) -> None:
        self.trusted: OrderedDict[str, float] = OrderedDict()
        self.data: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self.taint: tuple[str, float] | None = None
        self.touched = time.time()


class MemoryProvenanceStore:
    """Bounded in-process provenance: `max_scopes` scopes of `max_values` values each."""

    def __init__(
        self, max_scopes: int = 10_000, max_values: int = 4_096, ttl_s: float = 86_400.0
    ) -> None:
        self._scopes: OrderedDict[str, _Scope] = OrderedDict()
        self._lock = threading.Lock()
        self.max_scopes = max_scopes
        self.max_values = max_values
        self.ttl_s = ttl_s

    def _scope(self, scope: str, now: float) -> _Scope:
        entry = self._scopes.get(scope)
        if entry is None or now - entry.touched > self.ttl_s:
            entry = _Scope()
            self._scopes[scope] = entry
            while len(self._scopes) > self.max_scopes:
                self._scopes.popitem(last=False)
        self._scopes.move_to_end(scope)
        entry.touched = now
        return entry

    def add(self, scope: str, values: Iterable[str], source: str | None) -> None:
        """Remember values: the principal's (`source` None) or data's from `source`."""
        now = time.time()
        with self._lock:
            entry = self._scope(scope, now)
            for value in values:
                if source is None:
                    entry.trusted[value] = now
                    entry.trusted.move_to_end(value)
                    if len(entry.trusted) > self.max_values:
                        entry.trusted.popitem(last=False)  # an old trusted value: stricter
                elif value not in entry.data:
                    if len(entry.data) >= self.max_values:
                        if not strict(scope):
                            entry.data.popitem(last=False)  # a time-bounded history: oldest go
                        else:
                            if entry.taint is None:
                                entry.taint = (LIMIT_TAINT, now)
                            break
                    entry.data[value] = (source, now)

    def taint(self, scope: str, source: str) -> None:
        """Mark the scope: data from `source` gave orders (the first mark is kept)."""
        now = time.time()
        with self._lock:
            entry = self._scope(scope, now)
            if entry.taint is None:
                entry.taint = (source, now)

    def seen(self, scope: str, values: Iterable[str], within_s: float) -> Seen:
        """What the scope recorded in the last `within_s` seconds about these values."""
        now = time.time()
        cutoff = now - within_s
        out = Seen()
        with self._lock:
            entry = self._scopes.get(scope)
            if entry is None or now - entry.touched > self.ttl_s:
                return out
            for value in values:
                t = entry.trusted.get(value)
                if t is not None and t >= cutoff:
                    out.trusted.add(value)
                d = entry.data.get(value)
                if d is not None and d[1] >= cutoff:
                    out.data[value] = d[0]
            if entry.taint is not None and entry.taint[1] >= cutoff:
                out.taint = entry.taint[0]
        return out

    def size_of(self, scope: str) -> int:
        """How many values a scope holds (for measurements)."""
        entry = self._scopes.get(scope)
        return 0 if entry is None else len(entry.trusted) + len(entry.data)


class SQLiteProvenanceStore:
    """Provenance in a SQLite file, so that state outlives a process (one hook call each)."""

    def __init__(self, path: str | Path, max_values: int = 4_096, ttl_s: float = 86_400.0) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.max_values = max_values
        self.ttl_s = ttl_s
        self._db = sqlite3.connect(self.path, timeout=5.0, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS provenance (scope TEXT NOT NULL, value TEXT NOT NULL,"
                " source TEXT, at REAL NOT NULL, PRIMARY KEY (scope, value, source))"
            )
            self._db.execute("CREATE INDEX IF NOT EXISTS provenance_at ON provenance (at)")
            self._db.execute("DELETE FROM provenance WHERE at < ?", (time.time() - ttl_s,))

    def add(self, scope: str, values: Iterable[str], source: str | None) -> None:
        """Remember values: the principal's (`source` '' in the table) or data's."""
        now = time.time()
        rows = list(values)
        with self._lock, self._db:
            if source is None:
                self._db.executemany(
                    "INSERT OR REPLACE INTO provenance VALUES (?, ?, '', ?)",
                    [(scope, v, now) for v in rows],
                )
                return
            (count,) = self._db.execute(
                "SELECT count(*) FROM provenance WHERE scope = ? AND source != ''", (scope,)
            ).fetchone()
            room = self.max_values - count
            if len(rows) > room:
                rows = rows[: max(room, 0)]
                if strict(scope):
                    self._taint(scope, LIMIT_TAINT, now)
            for v in rows:  # the first source of a value is the one that counts
                self._db.execute(
                    "INSERT INTO provenance SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM"
                    " provenance WHERE scope = ? AND value = ? AND source != '')",
                    (scope, v, source, now, scope, v),
                )

    def _taint(self, scope: str, source: str, now: float) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO provenance SELECT ?, '!taint', ?, ? WHERE NOT EXISTS (SELECT"
            " 1 FROM provenance WHERE scope = ? AND value = '!taint')",
            (scope, source, now, scope),
        )

    def taint(self, scope: str, source: str) -> None:
        """Mark the scope: data from `source` gave orders (the first mark is kept)."""
        with self._lock, self._db:
            self._taint(scope, source, time.time())

    def seen(self, scope: str, values: Iterable[str], within_s: float) -> Seen:
        """What the scope recorded in the last `within_s` seconds about these values."""
        wanted = [*values, "!taint"]
        cutoff = time.time() - min(within_s, self.ttl_s)
        out = Seen()
        rows: list[tuple[str, str]] = []
        with self._lock:
            for start in range(0, len(wanted), 500):  # SQLite bounds the parameters per query
                chunk = wanted[start : start + 500]
                rows += self._db.execute(
                    f"SELECT value, source FROM provenance WHERE scope = ? AND at >= ? AND value"
                    f" IN ({','.join('?' * len(chunk))}) ORDER BY at",
                    (scope, cutoff, *chunk),
                ).fetchall()
        for value, source in rows:
            if value == "!taint":
                out.taint = out.taint or source
            elif source == "":
                out.trusted.add(value)
            else:
                out.data.setdefault(value, source)
        return out

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()


def strict(scope: str) -> bool:
    """Sessions fail closed at the limit (tainted); a principal's time-bounded history (`p:`
    scopes, one per time bucket) drops what does not fit instead."""
    return not scope.startswith("p:")


# One hash per scope: field `t|value` → time (trusted), `d|value` → [time, source] (data),
# `!taint` → [time, source]; `!n` counts data values. KEYS[1] the hash; ARGV: now, ttl ms,
# max values, source ('' for trusted), values...
_ADD = """
local now, ttl, max, source = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local strict = ARGV[5] == '1'
for i = 6, #ARGV do
  if source == '' then
    redis.call('HSET', KEYS[1], 't|' .. ARGV[i], now)
  elseif redis.call('HEXISTS', KEYS[1], 'd|' .. ARGV[i]) == 0 then
    if redis.call('HINCRBY', KEYS[1], '!n', 1) > max then
      if strict then
        redis.call('HSETNX', KEYS[1], '!taint', cjson.encode({tonumber(now), 'limit'}))
      end
      break
    end
    redis.call('HSET', KEYS[1], 'd|' .. ARGV[i], cjson.encode({tonumber(now), source}))
  end
end
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
"""


class RedisProvenanceStore:
    """Provenance in Redis, shared by every server: one hash per scope, expiring when idle."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = "magistrate:",
        max_values: int = 4_096,
        ttl_s: float = 86_400.0,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.max_values = max_values
        self.ttl_ms = int(ttl_s * 1000)
        self._add = client.register_script(_ADD)

    def _key(self, scope: str) -> str:
        return f"{self.prefix}prov:{scope}"

    def add(self, scope: str, values: Iterable[str], source: str | None) -> None:
        """Remember values: the principal's (`source` None) or data's from `source`."""
        rows = list(values)
        if rows:
            args: list[str | int] = [
                repr(time.time()),
                self.ttl_ms,
                self.max_values,
                source or "",
                "1" if strict(scope) else "0",
                *rows,
            ]
            self._add(keys=[self._key(scope)], args=args)

    def taint(self, scope: str, source: str) -> None:
        """Mark the scope: data from `source` gave orders (the first mark is kept)."""
        key = self._key(scope)
        pipe = self.client.pipeline(transaction=False)
        pipe.hsetnx(key, "!taint", json.dumps([time.time(), source]))
        pipe.pexpire(key, self.ttl_ms)
        pipe.execute()

    def seen(self, scope: str, values: Iterable[str], within_s: float) -> Seen:
        """What the scope recorded in the last `within_s` seconds about these values."""
        wanted = list(values)
        fields = [f"t|{v}" for v in wanted] + [f"d|{v}" for v in wanted] + ["!taint"]
        raw = self.client.hmget(self._key(scope), fields)
        cutoff = time.time() - within_s
        out = Seen()
        n = len(wanted)
        for value, t in zip(wanted, raw[:n], strict=True):
            if t is not None and float(t) >= cutoff:
                out.trusted.add(value)
        for value, d in zip(wanted, raw[n : 2 * n], strict=True):
            if d is not None:
                at, source = json.loads(d)
                if at >= cutoff:
                    out.data[value] = str(source)
        if raw[-1] is not None:
            at, source = json.loads(raw[-1])
            if at >= cutoff:
                out.taint = str(source) if source != "limit" else LIMIT_TAINT
        return out

    def clear(self) -> None:
        """Forget every scope under this prefix."""
        for key in self.client.scan_iter(f"{self.prefix}prov:*", count=1000):
            self.client.unlink(key)

    def close(self) -> None:
        """Release the client's connections."""
        self.client.close()


__all__ = [
    "LIMIT_TAINT",
    "MemoryProvenanceStore",
    "ProvenanceStore",
    "RedisProvenanceStore",
    "SQLiteProvenanceStore",
    "Seen",
]
