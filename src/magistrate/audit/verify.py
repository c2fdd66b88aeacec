"""Verifying audit chains: every record intact, in order, none missing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from magistrate.audit.record import record_hash
from magistrate.db.base import GENESIS, AuditFilter, AuditRow, Database

_COLUMNS = ("record_id", "time", "type", "principal", "decision", "risk")


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The result of verifying one chain."""

    chain_id: str
    records: int
    ok: bool
    bad_seq: int | None = None
    problem: str | None = None

    def __str__(self) -> str:
        if self.ok:
            return f"chain {self.chain_id}: {self.records} records, intact"
        return f"chain {self.chain_id}: BROKEN at seq {self.bad_seq}: {self.problem}"


def verify(db: Database) -> list[ChainReport]:
    """Check every chain: hashes (edited), sequence and links (deleted, reordered)."""
    heads = {chain: (seq, digest) for chain, seq, digest in db.audit_chains()}
    chains = sorted(heads)
    return [
        verify_chain(chain, db.audit_rows(AuditFilter(chain_id=chain)), heads.get(chain))
        for chain in chains
    ]


def verify_chain(
    chain_id: str, rows: Iterator[AuditRow], head: tuple[int, str] | None
) -> ChainReport:
    """Verify one chain's rows, read in insertion order."""
    listed = list(rows)
    hashes = {row.hash for row in listed}
    seqs = {row.seq for row in listed}
    expected, prev, count = 1, GENESIS, 0

    def broken(seq: int, problem: str) -> ChainReport:
        return ChainReport(chain_id, count, False, seq, problem)

    for row in listed:
        count += 1
        if record_hash(row.prev_hash, row.body) != row.hash:
            return broken(row.seq, "edited: the record's content does not match its hash")
        try:
            body: dict[str, Any] = json.loads(row.body)
        except json.JSONDecodeError:
            return broken(row.seq, "edited: the record's body is not valid JSON")
        if (body.get("seq"), body.get("chain"), body.get("prev")) != (
            row.seq,
            chain_id,
            row.prev_hash,
        ):
            return broken(
                row.seq, "edited: sequence, chain or link columns differ from the hashed record"
            )
        for column in _COLUMNS:
            if str(body.get(column) or "") != str(getattr(row, column) or ""):
                return broken(row.seq, f"edited: column {column!r} differs from the hashed record")
        if row.seq > expected and expected in seqs:
            return broken(row.seq, f"reordered: record {row.seq} stored before record {expected}")
        if row.seq > expected:
            missing = f"{expected}" if row.seq == expected + 1 else f"{expected}–{row.seq - 1}"
            return broken(expected, f"deleted: record(s) {missing} missing before {row.seq}")
        if row.seq < expected:
            return broken(row.seq, f"reordered: record {row.seq} stored after {expected - 1}")
        if row.prev_hash != prev:
            if row.prev_hash in hashes:
                return broken(row.seq, "reordered: it links to a record stored elsewhere")
            return broken(
                row.seq,
                f"edited: the link to record {row.seq - 1} is broken "
                "(that record was altered or replaced)",
            )
        prev, expected = row.hash, row.seq + 1
    if head is not None:
        last_seq, last_hash = head
        if last_seq >= expected:
            missing = f"{expected}" if last_seq == expected else f"{expected}–{last_seq}"
            return broken(expected, f"deleted: the last record(s) {missing} are missing")
        if last_seq == expected - 1 and last_seq > 0 and last_hash != prev:
            return broken(last_seq, "edited: the chain head does not match the last record")
    return ChainReport(chain_id, count, True)
