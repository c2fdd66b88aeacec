"""Compiled Hyperscan databases, cached on disk by content and signed.

Compiling a constitution's patterns takes about a second; loading the serialized database takes
milliseconds. The entry's name is a hash of the Hyperscan version and every expression with its
flags, so a changed pattern can never reuse a stale database; the entry is signed
(`magistrate.signed_cache`), so a database someone else wrote — one that matches nothing, say —
is never loaded. When the cache cannot be read or written, databases are compiled each time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import hyperscan

from magistrate import signed_cache

_VERSION = getattr(hyperscan, "__version__", "0")


def cache_dir() -> Path:
    """Where compiled databases are kept."""
    return signed_cache.cache_dir()


def _key(expressions: Sequence[bytes], flags: Sequence[int], ids: Sequence[int] = ()) -> str:
    h = hashlib.sha256(f"hyperscan-{_VERSION}\n".encode())
    for expr, flag in zip(expressions, flags, strict=True):
        h.update(b"%d\x00" % flag)
        h.update(expr)
        h.update(b"\x00\x01")
    if ids:
        h.update(b"ids:" + ",".join(map(str, ids)).encode())
    return h.hexdigest()[:40]


def _compile(
    expressions: Sequence[bytes], flags: Sequence[int], ids: Sequence[int] | None = None
) -> hyperscan.Database:
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    chosen = list(range(len(expressions))) if ids is None else list(ids)
    db.compile(expressions=list(expressions), ids=chosen, flags=list(flags))
    return db


def _load(name: str) -> tuple[list[int], hyperscan.Database | None] | None:
    """(accepted positions, database) of a signed entry; None when there is no valid one."""
    payload = signed_cache.read(name)
    if payload is None:
        return None
    head, _, blob = payload.partition(b"\n")
    try:
        accepted = json.loads(head)
        if not isinstance(accepted, list) or not all(type(i) is int for i in accepted):
            return None
        return accepted, hyperscan.loadb(blob, mode=hyperscan.HS_MODE_BLOCK) if accepted else None
    except (ValueError, hyperscan.error):
        return None


def _store(name: str, accepted: list[int], db: hyperscan.Database | None) -> None:
    try:
        blob = hyperscan.dumpb(db) if db is not None else b""
    except hyperscan.error:
        return
    signed_cache.write(name, json.dumps(accepted).encode() + b"\n" + blob)


def compile_database(
    expressions: Sequence[bytes], flags: Sequence[int], ids: Sequence[int] | None = None
) -> hyperscan.Database:
    """A block-mode database; ids are `ids`, or the expressions' positions. Raises
    hyperscan.error."""
    numbers = list(range(len(expressions))) if ids is None else list(ids)
    name = f"hs2-{_key(expressions, flags, () if ids is None else numbers)}.db"
    hit = _load(name)
    if hit is not None and hit[0] == numbers and hit[1] is not None:
        return hit[1]
    db = _compile(expressions, flags, numbers)
    _store(name, numbers, db)
    return db


def compile_accepted(
    expressions: Sequence[bytes], flags: Sequence[int]
) -> tuple[hyperscan.Database | None, list[int]]:
    """The database of the expressions Hyperscan accepts, and their positions (the database's
    ids are positions in that list). Which ones it rejects is cached with the database: finding
    them compiles each expression alone, which takes a second for a few hundred."""
    name = f"hs2a-{_key(expressions, flags)}.db"
    hit = _load(name)
    if hit is not None and all(0 <= i < len(expressions) for i in hit[0]):
        return hit[1], hit[0]
    try:
        accepted = list(range(len(expressions)))
        db: hyperscan.Database | None = _compile(expressions, flags) if expressions else None
    except hyperscan.error:  # rare: find the expressions Hyperscan rejects, one by one
        accepted = [i for i in range(len(expressions)) if _compiles(expressions[i], flags[i])]
        chosen = [expressions[i] for i in accepted]
        db = _compile(chosen, [flags[i] for i in accepted]) if chosen else None
    _store(name, accepted, db)
    return db, accepted


def _compiles(expression: bytes, flag: int) -> bool:
    try:
        _compile([expression], [flag])
    except hyperscan.error:
        return False
    return True
