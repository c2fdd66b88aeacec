"""API keys for the server: who is calling, and what they may do.

A key is `mgk_<id>_<secret>`: the id finds the stored row, the secret is 256 random bits.
Only a SHA-256 of the whole key is stored, and it is compared in constant time. Each key has a
role — `agent` (check actions), `approver` (resolve approvals), `admin` (everything) — and a
name, which is the principal it acts as. An agent key for a gateway may name other principals
matching its `may_act_as` pattern.
"""

from __future__ import annotations

import builtins
import fnmatch
import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Literal, cast

from magistrate.action import MAX_NAME_CHARS, principal_name
from magistrate.db.base import Database, StoreUnavailable
from magistrate.errors import InvalidAction, MagistrateError

Role = Literal["agent", "approver", "admin"]
ROLES: tuple[Role, ...] = ("agent", "approver", "admin")
PREFIX = "mgk_"
_KEY = re.compile(r"mgk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})")
_NAME = re.compile(r"[^\s\x00-\x1f\x7f]+")


class KeysError(MagistrateError):
    """A key could not be created or revoked (bad role, name or pattern; no such key)."""


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored key (never the secret itself)."""

    id: str
    name: str
    role: Role
    may_act_as: str | None
    created_at: float
    revoked_at: float | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ApiKey:
        """Build from a database row."""
        return cls(
            row["id"],
            row["name"],
            row["role"],
            row.get("may_act_as"),
            float(row["created_at"]),
            None if row.get("revoked_at") is None else float(row["revoked_at"]),
        )

    @property
    def can_check(self) -> bool:
        """Agents and admins submit actions."""
        return self.role in ("agent", "admin")

    @property
    def can_approve(self) -> bool:
        """Approvers and admins resolve approvals; an agent key never does."""
        return self.role in ("approver", "admin")

    def may_act_as_principal(self, principal: str) -> bool:
        """True when this key may submit actions as `principal`: its own name always, others
        only when they match its `may_act_as` pattern (shell-style, case-sensitive)."""
        if principal == self.name:
            return True
        return self.may_act_as is not None and fnmatch.fnmatchcase(principal, self.may_act_as)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (no secret, no hash)."""
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "may_act_as": self.may_act_as,
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
        }


def digest(token: str) -> str:
    """The stored form of a key: SHA-256, hex.

    A fast hash is right here, unlike for passwords: keys are 256-bit random secrets
    (secrets.token_urlsafe), so there is nothing to guess and a slow KDF (bcrypt, scrypt,
    argon2) would only cost every request time without making a stolen hash more useful."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


class Keys:
    """Creates, checks, lists and revokes API keys in the same database as approvals."""

    def __init__(self, db: Database, *, cache_s: float = 5.0, stale_s: float = 300.0) -> None:
        self.db = db
        self.cache_s = cache_s
        # Stale-while-error: while the database cannot be read, a key checked within
        # `cache_s + stale_s` keeps working (decisions go on through an outage; a revocation
        # made during it reaches us when the database is back).
        self.stale_s = stale_s
        # digest -> (key, checked at): a checked key is trusted for `cache_s`, so the hot path
        # does not read the database on every request; revocation reaches us within that time.
        self._cache: dict[str, tuple[ApiKey, float]] = {}
        self._lock = threading.Lock()
        self._failing = False  # the last read failed: revalidate in the background meanwhile
        self._revalidating = threading.Lock()
        self.stale_served = 0

    # ------------------------------------------------------------------ creating
    def create(self, role: str, name: str, may_act_as: str | None = None) -> tuple[ApiKey, str]:
        """A new key; returns (the stored key, the secret key to show once)."""
        key, token, row = self._new(role, name, may_act_as)
        self.db.key_insert(row)
        return key, token

    def create_first(
        self, role: str, name: str, may_act_as: str | None = None
    ) -> tuple[ApiKey, str] | None:
        """The first key of an empty store (no key at all, revoked ones included), created
        without a credential; None when the store already has keys (then creating needs an
        admin key). Atomic, like `bootstrap_admin`."""
        key, token, row = self._new(role, name, may_act_as)
        return (key, token) if self.db.key_insert(row, only_if_none=True) else None

    def is_empty(self) -> bool:
        """True when the store holds no key at all, revoked ones included."""
        return not self.db.key_list(True)

    def bootstrap_admin(self, name: str = "admin") -> tuple[ApiKey, str] | None:
        """An admin key when the database has no key at all (first start); None otherwise.
        Atomic: of several servers starting at once, one creates it."""
        key, token, row = self._new("admin", name, None)
        return (key, token) if self.db.key_insert(row, only_if_none=True) else None

    @staticmethod
    def _new(role: str, name: str, may_act_as: str | None) -> tuple[ApiKey, str, dict[str, Any]]:
        if role not in ("agent", "approver", "admin"):
            raise KeysError(f"role: must be one of {', '.join(ROLES)}; got {role!r}")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise KeysError("name: must be non-empty, without spaces or control characters")
        try:  # the name is the principal: it must be the name actions normalise to
            canonical = principal_name(name)
        except InvalidAction as exc:
            raise KeysError(f"name: {exc.message}") from None
        if canonical != name:
            raise KeysError(f"name: write it in its canonical (NFKC) form {canonical!r}")
        if len(name) > MAX_NAME_CHARS:
            raise KeysError(f"name: is longer than {MAX_NAME_CHARS} characters")
        if may_act_as is not None:
            if role != "agent":
                raise KeysError(
                    "may_act_as: only agent keys (gateways) may act as other principals; an "
                    f"{role} key acting for others could approve requests it made"
                )
            if not may_act_as or len(may_act_as) > MAX_NAME_CHARS:
                raise KeysError(f"may_act_as: must be 1 to {MAX_NAME_CHARS} characters")
        key_id = secrets.token_hex(8)
        token = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        now = time.time()
        key = ApiKey(key_id, name, cast(Role, role), may_act_as, now)
        row = {
            "id": key_id,
            "name": name,
            "role": role,
            "may_act_as": may_act_as,
            "hash": digest(token),
            "created_at": now,
            "revoked_at": None,
        }
        return key, token, row

    # ------------------------------------------------------------------ checking
    def authenticate(self, token: str) -> ApiKey | None:
        """The active key this secret belongs to, or None (unknown, malformed or revoked)."""
        m = _KEY.fullmatch(token)
        if m is None:
            return None
        hashed = digest(token)
        now = time.monotonic()
        cached = self._cache.get(hashed)
        if cached is not None and now - cached[1] < self.cache_s:
            return cached[0]
        stale = cached is not None and now - cached[1] < self.cache_s + self.stale_s
        if stale and self._failing:
            # The database failed lately: answer from the cache at once, re-read behind.
            self._revalidate_soon(m.group(1), hashed)
            self.stale_served += 1
            return cached[0] if cached is not None else None
        try:
            return self._read(m.group(1), hashed)
        except StoreUnavailable:
            self._failing = True
            if stale and cached is not None:
                self.stale_served += 1
                return cached[0]
            raise

    def _read(self, key_id: str, hashed: str) -> ApiKey | None:
        """Check a key against the database and cache the answer (raises StoreUnavailable)."""
        row = self.db.key_get(key_id)
        self._failing = False
        if row is None or row.get("revoked_at") is not None:
            self._forget(hashed)
            return None
        if not hmac.compare_digest(str(row["hash"]), hashed):
            return None
        key = ApiKey.from_row(row)
        if self.cache_s > 0 or self.stale_s > 0:
            with self._lock:
                if len(self._cache) > 10_000:
                    self._cache.clear()
                self._cache[hashed] = (key, time.monotonic())
        return key

    def _revalidate_soon(self, key_id: str, hashed: str) -> None:
        if not self._revalidating.acquire(blocking=False):
            return  # one re-read at a time: no storm against a store that is down

        def run() -> None:
            try:
                self._read(key_id, hashed)
            except StoreUnavailable:
                pass  # still down: the next request past the breaker's window tries again
            finally:
                self._revalidating.release()

        threading.Thread(target=run, name="magistrate-keys", daemon=True).start()

    def peek(self, token: str) -> ApiKey | None:
        """The key for this secret if it was checked within `cache_s` (no database read)."""
        cached = self._cache.get(digest(token)) if token.startswith(PREFIX) else None
        if cached is not None and time.monotonic() - cached[1] < self.cache_s:
            return cached[0]
        return None

    def _forget(self, hashed: str) -> None:
        with self._lock:
            self._cache.pop(hashed, None)

    def is_approver(self, name: str) -> bool:
        """True when `name` holds an active approver or admin key."""
        return any(k.name == name and k.can_approve for k in self.list())

    # ------------------------------------------------------------------ managing
    def list(self, include_revoked: bool = False) -> builtins.list[ApiKey]:
        """Keys, oldest first."""
        return [ApiKey.from_row(r) for r in self.db.key_list(include_revoked)]

    def revoke(self, id_or_name: str) -> builtins.list[str]:
        """Revoke the key with this id, or every active key with this name; returns the ids
        revoked (raises KeysError when there was none)."""
        revoked = self.db.key_revoke(id_or_name, time.time())
        if not revoked:
            raise KeysError(f"no active key with id or name {id_or_name!r}")
        with self._lock:
            self._cache = {h: e for h, e in self._cache.items() if e[0].id not in revoked}
        return revoked
