"""Browsing the audit log: records matching filters the store cannot index (the cited rule),
newest first, and one record in full with its place in its chain."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from magistrate.audit.record import record_hash
from magistrate.db.base import AuditFilter, AuditRow, Database

PAGE = 500
MAX_SCAN = 20_000  # records read per search at most: a rule filter over a huge log stays bounded


@dataclass(frozen=True, slots=True)
class Search:
    """What an operator asks for: the stored filters plus the cited rule."""

    where: AuditFilter
    rule: str | None = None
    limit: int = 100


def summary(row: AuditRow, body: dict[str, Any]) -> dict[str, Any]:
    """One line of the browser: who, what, decided how, by which rule."""
    citations = body.get("citations") or []
    text = body.get("text") or body.get("summary") or ""
    if body.get("tool"):
        text = f"{body['tool']} {text}".strip()
    return {
        "row_id": row.row_id,
        "time": row.time,
        "type": row.type,
        "chain": row.chain_id,
        "seq": row.seq,
        "principal": row.principal,
        "decision": row.decision,
        "risk": row.risk,
        "kind": body.get("kind"),
        "text": " ".join(str(text).split())[:300],
        "rules": [c.get("rule_id") for c in citations if isinstance(c, dict)],
        "status": body.get("status"),
        "approval_id": body.get("approval_id"),
    }


def search(db: Database, query: Search) -> dict[str, Any]:
    """Matching records, newest first: `records`, how many were `scanned`, and whether the
    scan stopped at its bound before the log's start (`truncated`)."""
    found: list[dict[str, Any]] = []
    scanned = 0
    rule = query.rule.strip().lower() if query.rule else None
    limit = query.limit if rule is None else MAX_SCAN
    for row in db.audit_rows(query.where, limit, newest_first=True):
        scanned += 1
        try:
            body = json.loads(row.body)
        except ValueError:
            body = {}
        line = summary(row, body)
        if rule is not None and not any(rule == str(r).lower() for r in line["rules"]):
            continue
        found.append(line)
        if len(found) >= query.limit:
            break
    truncated = rule is not None and scanned >= MAX_SCAN and len(found) < query.limit
    return {"records": found, "scanned": scanned, "truncated": truncated}


def record(db: Database, row_id: int) -> dict[str, Any] | None:
    """One record in full: its body, and its chain position (sequence, the chain's length,
    previous and own hash, and whether the stored hash matches the body)."""
    rows = list(db.audit_rows(AuditFilter(after_id=row_id - 1), 1))
    if not rows or rows[0].row_id != row_id:
        return None
    row = rows[0]
    try:
        body = json.loads(row.body)
    except ValueError:
        body = {"unreadable": row.body[:1000]}
    heads = {chain: seq for chain, seq, _ in db.audit_chains()}
    return {
        **summary(row, body),
        "body": body,
        "chain_position": {
            "chain": row.chain_id,
            "seq": row.seq,
            "chain_length": heads.get(row.chain_id),
            "prev_hash": row.prev_hash,
            "hash": row.hash,
            "hash_matches": record_hash(row.prev_hash, row.body) == row.hash,
        },
    }
