"""The tamper-evident audit log: hash-chained records on SQLite or PostgreSQL."""

from __future__ import annotations

from magistrate.analysis.secrets import mask_value
from magistrate.audit.log import AuditLog, Durability
from magistrate.audit.record import canonical, record_hash, verdict_payload
from magistrate.audit.verify import ChainReport, verify, verify_chain

__all__ = [
    "AuditLog",
    "ChainReport",
    "Durability",
    "canonical",
    "mask_value",
    "record_hash",
    "verdict_payload",
    "verify",
    "verify_chain",
]
