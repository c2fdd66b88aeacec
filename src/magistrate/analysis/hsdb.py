"""Compiled Hyperscan databases, cached on disk by content.

Compiling a constitution's patterns takes about a second; loading the serialized database takes
milliseconds. The cache key is a hash of the Hyperscan version and every expression with its
flags, so a changed pattern can never reuse a stale database. The cache folder is
`$MAGISTRATE_CACHE_DIR`, else `$XDG_CACHE_HOME/magistrate`, else `~/.cache/magistrate`; when it
cannot be written, databases are compiled in memory each time.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import hyperscan

_VERSION = getattr(hyperscan, "__version__", "0")


def cache_dir() -> Path:
    """Where compiled databases are kept."""
    explicit = os.environ.get("MAGISTRATE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "magistrate"


def _key(expressions: Sequence[bytes], flags: Sequence[int]) -> str:
    h = hashlib.sha256(f"hyperscan-{_VERSION}\n".encode())
    for expr, flag in zip(expressions, flags, strict=True):
        h.update(b"%d\x00" % flag)
        h.update(expr)
        h.update(b"\x00\x01")
    return h.hexdigest()[:40]


def compile_database(expressions: Sequence[bytes], flags: Sequence[int]) -> hyperscan.Database:
    """A block-mode database; ids are the expressions' positions. Raises hyperscan.error."""
    key = _key(expressions, flags)
    path = cache_dir() / f"hs-{key}.db"
    try:
        data = path.read_bytes()
        digest, blob = data[:32], data[32:]
        if hashlib.sha256(blob).digest() == digest:
            return hyperscan.loadb(blob, mode=hyperscan.HS_MODE_BLOCK)
    except (OSError, hyperscan.error):
        pass  # absent or unreadable: compile below
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(expressions=list(expressions), ids=list(range(len(expressions))), flags=list(flags))
    try:
        blob = hyperscan.dumpb(db)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".hs-")
        with os.fdopen(fd, "wb") as f:
            f.write(hashlib.sha256(blob).digest() + blob)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home is fine: compile again next time
    return db
