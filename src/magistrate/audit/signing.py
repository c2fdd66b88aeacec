"""Audit signing: every record's hash is an HMAC-SHA256 under a key kept outside the database.

Someone who can write to the database can recompute plain SHA-256 hashes after editing a
record; they cannot compute a keyed MAC without the key. The key comes from, in order: a KMS
hook (`MAGISTRATE_AUDIT_SIGNER=module:callable`, returning a `Signer`), the environment
(`MAGISTRATE_AUDIT_KEY`), or a key file (created with mode 0600 on first use, by default
beside the database: `.magistrate/audit.key` for the embedded default).
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

ALG = "hmac-sha256"
MIN_KEY_BYTES = 16


class SigningError(Exception):
    """The audit key could not be read, created or is too weak."""


@runtime_checkable
class Signer(Protocol):
    """What signs audit records and checkpoints (an HMAC key here, a KMS in a hook)."""

    @property
    def tag(self) -> str:
        """`<algorithm>:<key id>`, stored in each record so verification finds the key."""
        ...

    def mac(self, data: bytes) -> str:
        """The MAC of `data`, lowercase hex."""
        ...


class HmacSigner:
    """HMAC-SHA256 with a secret key held in this process."""

    __slots__ = ("_key", "tag")

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise SigningError(f"the audit key must be at least {MIN_KEY_BYTES} bytes")
        self._key = key
        # An id that names the key without revealing anything that helps guess it.
        key_id = hmac.digest(key, b"magistrate audit key id", "sha256").hex()[:16]
        self.tag = f"{ALG}:{key_id}"

    @property
    def key(self) -> bytes:
        """The secret (handed only to this process's own audit writer process)."""
        return self._key

    def mac(self, data: bytes) -> str:
        """HMAC-SHA256 of `data`, hex (OpenSSL's one-shot: about a microsecond)."""
        return hmac.digest(self._key, data, "sha256").hex()

    def __repr__(self) -> str:
        return f"HmacSigner({self.tag})"  # never the key


def key_from_text(text: str) -> bytes:
    """A key given as text: 64 hex digits are read as 32 bytes, anything else as UTF-8."""
    text = text.strip()
    hexdigits = "0123456789abcdefABCDEF"
    if len(text) >= 2 * MIN_KEY_BYTES and len(text) % 2 == 0 and all(c in hexdigits for c in text):
        return bytes.fromhex(text)
    return text.encode("utf-8")


def read_key_file(path: Path, *, create: bool) -> bytes | None:
    """The key in `path`; with `create`, a new random key written there (mode 0600) when the
    file does not exist. None when it does not exist and `create` is false."""
    try:
        return key_from_text(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if not create:
            return None
    except OSError as exc:
        raise SigningError(f"cannot read the audit key {path}: {exc}") from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: of several processes starting together, one writes the key; 0600 from birth.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_from_text(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SigningError(f"cannot create the audit key {path}: {exc}") from exc
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(secrets.token_hex(32) + "\n")
        f.flush()
        os.fsync(f.fileno())
    return key_from_text(path.read_text(encoding="utf-8"))


def load_hook(spec: str) -> object:
    """The object `module:attribute` names (an operator's hook, from trusted configuration)."""
    module, _, attr = spec.partition(":")
    if not module or not attr:
        raise SigningError(f"hook {spec!r}: expected module:attribute")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise SigningError(f"hook {spec!r}: {exc}") from exc


def load_signer(
    *,
    key_text: str | None = None,
    key_file: Path | None = None,
    hook: str | None = None,
    create: bool = False,
) -> Signer | None:
    """The configured signer: the hook, else the key text, else the key file (created when
    `create`); None when none is configured (records are then written unsigned)."""
    if hook:
        made = load_hook(hook)
        signer = made() if callable(made) and not isinstance(made, Signer) else made
        if not isinstance(signer, Signer):
            raise SigningError(f"hook {hook!r} did not give a Signer (tag, mac)")
        return signer
    if key_text:
        return HmacSigner(key_from_text(key_text))
    if key_file is not None:
        key = read_key_file(key_file, create=create)
        return HmacSigner(key) if key is not None else None
    return None


def default_key_file(database_url: str) -> Path:
    """Where the key lives by default: beside (not inside) a SQLite file, else in .magistrate."""
    if database_url.startswith("sqlite:"):
        target = database_url.split(":", 1)[1].removeprefix("///").removeprefix("//")
        if target not in ("", ":memory:"):
            return Path(target).expanduser().parent / "audit.key"
    return Path(".magistrate/audit.key")


def store_id(database_url: str) -> str:
    """A short stable name for a database (anchors are kept per database and chain); the
    password, if any, does not enter it."""
    scheme, sep, rest = database_url.partition("://")
    if "@" in rest.split("/", 1)[0]:
        userinfo, _, host = rest.partition("@")
        rest = f"{userinfo.split(':', 1)[0]}@{host}"
    scheme = "postgresql" if scheme == "postgres" else scheme
    return hashlib.sha256(f"{scheme}{sep}{rest}".encode()).hexdigest()[:12]


def find_signer(signers: Sequence[Signer], tag: str) -> Signer | None:
    """The signer whose tag a record names."""
    for signer in signers:
        if signer.tag == tag:
            return signer
    return None
