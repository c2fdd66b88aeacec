"""Signed cache files: compiled work kept on disk and trusted only when this user wrote it.

What is cached here (a constitution's validated rules, its compiled Hyperscan databases) decides
verdicts, so a cache entry someone else wrote — or the agent, which runs as the same user and
is the adversary — could weaken every rule. Each entry is therefore signed (HMAC-SHA256) under
a random key kept in the cache folder, created once with mode 0600; a key file that is not the
user's own, is readable by others or is malformed disables the cache. An entry whose signature,
name or format does not check is ignored and the work is done again: a cache can make loading
faster, never make a rule weaker. The folder (`~/.cache/magistrate`) is one of the paths the
default constitution keeps agents away from, so the key is not theirs to read.

The folder is `$MAGISTRATE_CACHE_DIR`, else `$XDG_CACHE_HOME/magistrate`, else
`~/.cache/magistrate`; when it cannot be written, nothing is cached.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import tempfile
from pathlib import Path

MAGIC = b"MGSC1\n"
KEY_FILE = "cache.key"
KEY_BYTES = 32
MAX_ENTRY_BYTES = 1 << 30  # a larger file is not ours: not read


def cache_dir() -> Path:
    """Where cache entries are kept."""
    explicit = os.environ.get("MAGISTRATE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "magistrate"


def _own_private(st: os.stat_result) -> bool:
    """The file is this user's and no one else may read or write it."""
    getuid = getattr(os, "getuid", None)
    if getuid is not None and st.st_uid != getuid():
        return False
    return os.name == "nt" or st.st_mode & 0o077 == 0


def _read_key(path: Path) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        if not _own_private(os.fstat(f.fileno())):
            return None
        key = f.read(KEY_BYTES + 1)
    return key if len(key) == KEY_BYTES else None


def signing_key(folder: Path | None = None, *, create: bool = True) -> bytes | None:
    """The folder's signing key (made on first use); None when there is none to trust."""
    folder = folder or cache_dir()
    path = folder / KEY_FILE
    key = _read_key(path)
    if key is not None or not create or path.exists():
        return key
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".key-")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(os.urandom(KEY_BYTES))
            os.link(tmp, path)  # atomic and exclusive: a concurrent creator's key wins
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    except OSError:
        return None
    return _read_key(path)


def _mac(key: bytes, name: str, payload: bytes) -> bytes:
    # the name is signed too: an entry cannot be passed off under another entry's name
    return hmac.new(key, name.encode() + b"\x00" + payload, hashlib.sha256).digest()


def read(name: str, folder: Path | None = None) -> bytes | None:
    """The payload of entry `name` when its signature checks; None otherwise."""
    folder = folder or cache_dir()
    key = signing_key(folder, create=False)
    if key is None:
        return None
    try:
        fd = os.open(folder / name, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        if os.fstat(f.fileno()).st_size > MAX_ENTRY_BYTES:
            return None
        data = f.read()
    head = len(MAGIC) + hashlib.sha256().digest_size
    if len(data) < head or not data.startswith(MAGIC):
        return None
    mac, payload = data[len(MAGIC) : head], data[head:]
    if not hmac.compare_digest(mac, _mac(key, name, payload)):
        return None
    return payload


def write(name: str, payload: bytes, folder: Path | None = None) -> bool:
    """Store `payload` as entry `name`, signed; False when the cache cannot be written."""
    folder = folder or cache_dir()
    key = signing_key(folder)
    if key is None:
        return False
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".entry-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(MAGIC + _mac(key, name, payload) + payload)
            os.replace(tmp, folder / name)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        return False
    return True


__all__ = ["cache_dir", "read", "signing_key", "write"]
