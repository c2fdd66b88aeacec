"""The trust and session stores a configuration asks for: Redis (shared by servers) or memory,
with the trust ledger wrapped so that the database records suspensions when there is one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from magistrate.config import Settings
    from magistrate.db.base import Database


def state_stores(s: Settings, db: Database | None, overridden: Iterable[str]) -> dict[str, Any]:
    """Trust, session and provenance stores as configured: Redis when `redis_url` is set (else
    memory), the trust ledger wrapped so that the database records suspensions when there is
    one."""
    from magistrate.trust import MemoryTrustLedger, TrustPolicy

    overridden = set(overridden)
    policy = TrustPolicy(half_life_s=s.trust_half_life_s)
    shared: dict[str, Any] = {}
    if s.redis_url and not {"trust", "sessions"} <= overridden:
        from magistrate.breaker import Breaker
        from magistrate.provenance_store import RedisProvenanceStore
        from magistrate.redis_store import RedisSessionStore, RedisTrustLedger, connect

        client = connect(s.redis_url, s.redis_timeout_s)
        breaker = Breaker("redis", s.store_breaker_s)  # one per client: both stores skip it
        shared = {
            "trust": RedisTrustLedger(client, policy, prefix=s.redis_prefix, breaker=breaker),
            "sessions": RedisSessionStore(
                client, prefix=s.redis_prefix, ttl_s=s.session_ttl_s, breaker=breaker
            ),
            "provenance": RedisProvenanceStore(
                client, prefix=s.redis_prefix, ttl_s=s.session_ttl_s
            ),
        }
    if db is not None and "trust" not in overridden:
        # The database records suspensions; the ledger (memory or Redis) caches them.
        from magistrate.breaker import Breaker
        from magistrate.suspensions import DurableTrustLedger

        ledger = shared["trust"] if "trust" in shared else MemoryTrustLedger(policy)
        shared["trust"] = DurableTrustLedger(
            ledger,
            db,
            refresh_s=s.suspension_refresh_s,
            breaker=Breaker("database", s.store_breaker_s),
        )
    elif "trust" not in overridden and "trust" not in shared:
        shared["trust"] = MemoryTrustLedger(policy)
    return shared
