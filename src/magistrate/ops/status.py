"""`magistrate status`: the governor's configuration plus what the stores hold — decisions by
outcome and tier from the audit log, pending approvals, suspended principals — so that every
process's work counts, not only this one's."""

from __future__ import annotations

import time
from typing import Any

from magistrate.ops.standing import decision_counts, principals, suspended_in_redis


def store_status(governor: Any) -> dict[str, Any]:
    """The governor's status with `decisions`, `by_risk`, `pending_approvals` and `suspended`
    read from the shared stores (None where a store is off or unreachable, with `errors`)."""
    info: dict[str, Any] = governor.status()
    info["process_counts"] = info.pop("counts")
    errors: dict[str, str] = {}
    info["decisions"] = None
    info["by_risk"] = None
    info["pending_approvals"] = None
    info["suspended"] = None
    db = governor.audit.db if governor.audit is not None else None
    if db is not None:
        governor.audit.flush(10)
        try:
            counts = decision_counts(db)
            info["decisions"] = counts["by_decision"]
            info["by_risk"] = counts["by_risk"]
            info["by_decision_and_risk"] = counts["by_both"]
        except Exception as exc:
            errors["audit"] = f"{type(exc).__name__}: {exc}"
    if governor.approvals is not None:
        try:
            info["pending_approvals"] = governor.approvals.db.approval_count("pending", time.time())
        except Exception as exc:
            errors["approvals"] = f"{type(exc).__name__}: {exc}"
    try:
        info["suspended"], info["suspended_source"] = _suspended(governor, db)
    except Exception as exc:
        errors["suspended"] = f"{type(exc).__name__}: {exc}"
    if errors:
        info["errors"] = errors
    return info


def _suspended(governor: Any, db: Any) -> tuple[list[dict[str, str]] | None, str]:
    client = getattr(governor.trust, "client", None)
    if client is not None:  # the shared ledger is the authority
        prefix = getattr(governor.trust, "prefix", "magistrate:")
        found = suspended_in_redis(client, prefix)
        return [{"principal": p, "reason": r} for p, r in found], "redis"
    if db is None:
        return None, "none"
    policy = getattr(governor.trust, "policy", None)
    standing = principals(db, policy)
    return [
        {"principal": s.principal, "reason": s.reason, "since": s.since}
        for s in sorted(standing.values(), key=lambda s: s.principal)
        if s.suspended
    ], "audit log"
