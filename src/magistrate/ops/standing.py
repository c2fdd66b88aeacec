"""What the stores say about decisions and principals, across every process that wrote them:
decision counts from the audit log, principals' standing (trust, suspension, recent decisions).

Read-only. Aggregates run as one SQL statement on either backend (both speak the same
`audit_records` schema); suspensions come from the trust store when it is shared (Redis), and
are otherwise reconstructed from the audit log (the verdict that suspended a principal, the
lift recorded after it), since an in-memory ledger dies with its process.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from magistrate.db.base import AuditFilter, Database
from magistrate.trust import TrustPolicy

DECISIONS = ("allow", "escalate", "deny", "ungoverned")
RISKS = ("LOW", "MEDIUM", "HIGH", "CRITICAL")


def _query(db: Database, sql: str, params: list[Any]) -> list[dict[str, Any]] | None:
    """Run a read-only statement on a backend that offers it (both built-in ones do)."""
    rows = getattr(db, "_rows", None)
    return rows(sql, params) if callable(rows) else None


def decision_counts(db: Database) -> dict[str, dict[str, int]]:
    """Verdicts in the audit log by decision, by risk tier, and by both ("deny/CRITICAL")."""
    by_decision: Counter[str] = Counter({d: 0 for d in DECISIONS})
    by_risk: Counter[str] = Counter({r: 0 for r in RISKS})
    both: Counter[str] = Counter()
    rows = _query(
        db,
        "SELECT decision, risk, COUNT(*) AS n FROM audit_records WHERE type = ? "
        "GROUP BY decision, risk",
        ["verdict"],
    )
    if rows is None:  # another backend: count by reading
        counted = Counter((r.decision, r.risk) for r in db.audit_rows(AuditFilter(type="verdict")))
        rows = [{"decision": d, "risk": k, "n": n} for (d, k), n in counted.items()]
    for row in rows:
        n = int(row["n"])
        by_decision[row["decision"]] += n
        by_risk[row["risk"]] += n
        both[f"{row['decision']}/{row['risk']}"] += n
    return {"by_decision": dict(by_decision), "by_risk": dict(by_risk), "by_both": dict(both)}


@dataclass(slots=True)
class Standing:
    """One principal as the audit log (and the trust store, when asked) sees it."""

    principal: str
    decisions: dict[str, int] = field(default_factory=dict)
    last_time: str = ""
    trust: float | None = None
    suspended: bool = False
    reason: str = ""
    since: str = ""  # when the suspension was recorded

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "principal": self.principal,
            "decisions": self.decisions,
            "last_time": self.last_time,
            "trust": None if self.trust is None else round(self.trust, 4),
            "suspended": self.suspended,
            "reason": self.reason,
            "since": self.since,
        }


def principals(
    db: Database, policy: TrustPolicy | None = None, *, reconstruct: bool = True
) -> dict[str, Standing]:
    """Every principal with a verdict in the audit log: decision counts, and (`reconstruct`)
    the last trust and a suspension rebuilt from the records (the suspending verdict, a later
    lift). Without it, only counts: for a caller that asks the live trust ledger instead."""
    out: dict[str, Standing] = {}
    rows = _query(
        db,
        "SELECT principal, decision, COUNT(*) AS n, MAX(time) AS last FROM audit_records "
        "WHERE type = ? GROUP BY principal, decision",
        ["verdict"],
    )
    if rows is None:
        rows = []
        for r in db.audit_rows(AuditFilter(type="verdict")):
            rows.append({"principal": r.principal, "decision": r.decision, "n": 1, "last": r.time})
    last_allowed: dict[str, str] = {}
    for row in rows:
        s = out.setdefault(row["principal"], Standing(row["principal"]))
        s.decisions[row["decision"]] = s.decisions.get(row["decision"], 0) + int(row["n"])
        s.last_time = max(s.last_time, str(row["last"]))
        if row["decision"] != "deny":
            name = row["principal"]
            last_allowed[name] = max(last_allowed.get(name, ""), str(row["last"]))
    if not reconstruct:
        return out
    _replay_suspensions(db, out, policy or TrustPolicy())
    for name, s in out.items():
        # A suspended principal is denied everything: anything not denied since means the
        # suspension was gone by then (lifted, or a ledger that did not keep it).
        if s.suspended and last_allowed.get(name, "") > s.since:
            s.suspended, s.reason, s.since = False, "", ""
    return out


def _replay_suspensions(db: Database, out: dict[str, Standing], policy: TrustPolicy) -> None:
    """Follow each principal's denials, escalations and lifts in order: the records that can
    change a suspension (a penalty can suspend; only a recorded lift ends one)."""
    rows = _query(
        db,
        "SELECT principal, type, decision, risk, time, body FROM audit_records "
        "WHERE type = ? OR decision IN (?, ?) ORDER BY time, id",
        ["suspension", "deny", "escalate"],
    )
    if rows is None:
        rows = [
            {"principal": r.principal, "type": r.type, "decision": r.decision, "risk": r.risk,
             "time": r.time, "body": r.body}
            for r in db.audit_rows(AuditFilter())
            if r.type == "suspension" or r.decision in ("deny", "escalate")
        ]  # fmt: skip
    for row in rows:
        s = out.setdefault(row["principal"], Standing(row["principal"]))
        try:
            body = json.loads(row["body"])
        except ValueError:
            continue
        if row["type"] == "suspension":
            if body.get("status") == "lifted":
                s.suspended, s.reason, s.since = False, "", ""
            continue
        if row["type"] != "verdict":
            continue
        if isinstance(body.get("trust_after"), int | float):
            s.trust = float(body["trust_after"])
        if s.suspended:
            if any(" is suspended: " in str(r) for r in body.get("reasons") or ()):
                continue
            s.suspended, s.reason, s.since = False, "", ""  # judged as not suspended
        reason = _suspending(body, row["decision"], row["risk"], policy)
        if reason:
            s.suspended, s.reason, s.since = True, reason, row["time"]


def _suspending(body: dict[str, Any], decision: str, risk: str, policy: TrustPolicy) -> str:
    """Why this verdict left its principal suspended ('' when it did not)."""
    judged = body.get("would_decision") or decision
    for reason in body.get("reasons") or ():
        if isinstance(reason, str) and " is suspended: " in reason:
            return reason.split(" is suspended: ", 1)[1]
    if judged == "deny" and risk == "CRITICAL" and policy.suspend_on_critical_deny:
        return "denied a CRITICAL action"
    after = body.get("trust_after")
    if isinstance(after, int | float) and after < policy.suspend_below:
        return f"trust {after:.2f} fell below {policy.suspend_below}"
    return ""


def suspended_in_redis(client: Any, prefix: str) -> list[tuple[str, str]]:
    """(principal, reason) of every principal the shared Redis ledger holds suspended."""
    found: list[tuple[str, str]] = []
    head = f"{prefix}trust:"
    for key in client.scan_iter(match=f"{head}*", count=1000):
        name = key.decode() if isinstance(key, bytes) else str(key)
        flag, reason = client.hmget(key, "x", "r")
        if flag in (b"1", "1"):
            text = reason.decode() if isinstance(reason, bytes) else str(reason or "")
            found.append((name[len(head) :], text))
    return sorted(found)


def with_live_trust(standings: Iterable[Standing], trust: Any) -> None:
    """Replace what the audit log suggests with what the live trust ledger holds."""
    for s in standings:
        state = trust.state(s.principal)
        s.trust = state.score
        if state.suspended != s.suspended:
            s.suspended, s.reason = state.suspended, state.reason
            if not state.suspended:
                s.since = ""
