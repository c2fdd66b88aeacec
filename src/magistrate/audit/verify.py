"""Verifying audit chains: every record intact, in order, none missing, signed by our key, and
reaching as far as the anchor kept outside the database says it did."""

from __future__ import annotations

import dataclasses
import hmac
import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from magistrate.audit.anchor import AnchorError, Anchors, Checkpoint
from magistrate.audit.record import record_hash, signed_hash
from magistrate.audit.signing import Signer, find_signer
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
    signed: int = 0  # records whose keyed hash was checked with our key
    unsigned: int = 0  # records with a plain SHA-256 (written before signing, or without a key)
    unverified: int = 0  # records signed by a key not available here
    anchored_seq: int | None = None  # how far the anchor outside the database says it reached
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __str__(self) -> str:
        if not self.ok:
            return f"chain {self.chain_id}: BROKEN at seq {self.bad_seq}: {self.problem}"
        parts = [f"chain {self.chain_id}: {self.records} records, intact"]
        if self.signed:
            parts.append(f"{self.signed} signed")
        if self.unsigned:
            parts.append(f"{self.unsigned} UNSIGNED (their hashes can be recomputed)")
        if self.unverified:
            parts.append(f"{self.unverified} signed by a key not available here (not checked)")
        if self.anchored_seq is not None:
            parts.append(f"anchored at seq {self.anchored_seq}")
        return "; ".join(parts) + "".join(f"\n  note: {n}" for n in self.notes)


def verify(
    db: Database, signers: Sequence[Signer] = (), anchors: Anchors | None = None
) -> list[ChainReport]:
    """Check every chain: hashes or signatures (edited, recomputed), sequence and links
    (deleted, reordered), and the anchors outside the database (truncated, restored)."""
    heads = {chain: (seq, digest) for chain, seq, digest in db.audit_chains()}
    points: dict[str, Checkpoint] = {}
    anchor_error = None
    if anchors is not None:
        try:
            points = anchors.chains()
        except AnchorError as exc:
            anchor_error = str(exc)
    reports = []
    for chain in sorted(heads.keys() | points.keys()):
        rows = db.audit_rows(AuditFilter(chain_id=chain)) if chain in heads else iter(())
        report, hashes = _walk_chain(chain, rows, heads.get(chain), signers)
        if anchors is not None:
            report = check_anchor(report, hashes, anchors, points.get(chain), anchor_error)
        reports.append(report)
    return reports


class _Walk:
    """The state of one pass over a chain's rows."""

    def __init__(self, chain_id: str, signers: Sequence[Signer]) -> None:
        self.chain_id = chain_id
        self.signers = signers
        self.expected, self.prev, self.count = 1, GENESIS, 0
        self.signed = self.unsigned = self.unverified = 0
        self.hashes_at: dict[int, str] = {}

    def seal(self, row: AuditRow, body: dict[str, Any]) -> str | None:
        """Why the row's hash does not hold (None when it does, or cannot be checked here)."""
        tag = body.get("sig")
        if tag is None:
            if self.signed or self.unverified:
                return (
                    "rewritten: an unsigned record after signed ones "
                    "(hashes recomputed by someone without the audit key)"
                )
            self.unsigned += 1
            if record_hash(row.prev_hash, row.body) != row.hash:
                return "edited: the record's content does not match its hash"
            return None
        signer = find_signer(self.signers, str(tag))
        if signer is None:
            if self.signers:  # we hold the key: a record under another one was forged
                return f"forged: signed by {tag}, not by the audit key ({self.signers[0].tag})"
            self.unverified += 1
            return None
        self.signed += 1
        if not hmac.compare_digest(signed_hash(signer, row.prev_hash, row.body), row.hash):
            return (
                "edited: the record's signature does not match its content "
                "(changed, or its hash recomputed without the audit key)"
            )
        return None


def verify_chain(
    chain_id: str,
    rows: Iterator[AuditRow],
    head: tuple[int, str] | None,
    signers: Sequence[Signer] = (),
) -> ChainReport:
    """Verify one chain's rows, read in insertion order."""
    return _walk_chain(chain_id, rows, head, signers)[0]


def _walk_chain(
    chain_id: str,
    rows: Iterator[AuditRow],
    head: tuple[int, str] | None,
    signers: Sequence[Signer],
) -> tuple[ChainReport, dict[int, str]]:
    """The chain's report and the hash of each record by sequence number."""
    listed = list(rows)
    hashes = {row.hash for row in listed}
    seqs = {row.seq for row in listed}
    walk = _Walk(chain_id, signers)

    def report(ok: bool = True, seq: int | None = None, problem: str | None = None) -> ChainReport:
        return ChainReport(
            chain_id, walk.count, ok, seq, problem, walk.signed, walk.unsigned, walk.unverified
        )

    for row in listed:
        walk.count += 1
        problem = _row_problem(walk, row, hashes, seqs)
        if problem is not None:
            return report(False, problem[0], problem[1]), walk.hashes_at
        walk.hashes_at[row.seq] = row.hash
        walk.prev, walk.expected = row.hash, row.seq + 1
    if head is not None:
        last_seq, last_hash = head
        if last_seq >= walk.expected:
            first = walk.expected
            missing = f"{first}" if last_seq == first else f"{first}–{last_seq}"
            why = f"deleted: the last record(s) {missing} are missing"
            return report(False, walk.expected, why), walk.hashes_at
        if last_seq == walk.expected - 1 and last_seq > 0 and last_hash != walk.prev:
            why = "edited: the chain head does not match the last record"
            return report(False, last_seq, why), walk.hashes_at
    return report(), walk.hashes_at


def _row_problem(
    walk: _Walk, row: AuditRow, hashes: set[str], seqs: set[int]
) -> tuple[int, str] | None:
    """(seq, problem) for the first thing wrong with a row in its place, or None."""
    try:
        body: dict[str, Any] = json.loads(row.body)
    except json.JSONDecodeError:
        return row.seq, "edited: the record's body is not valid JSON"
    if not isinstance(body, dict):
        return row.seq, "edited: the record's body is not a JSON object"
    sealed = walk.seal(row, body)
    if sealed is not None:
        return row.seq, sealed
    if (body.get("seq"), body.get("chain"), body.get("prev")) != (
        row.seq,
        walk.chain_id,
        row.prev_hash,
    ):
        return row.seq, "edited: sequence, chain or link columns differ from the hashed record"
    for column in _COLUMNS:
        if str(body.get(column) or "") != str(getattr(row, column) or ""):
            return row.seq, f"edited: column {column!r} differs from the hashed record"
    expected = walk.expected
    if row.seq > expected and expected in seqs:
        return row.seq, f"reordered: record {row.seq} stored before record {expected}"
    if row.seq > expected:
        missing = f"{expected}" if row.seq == expected + 1 else f"{expected}–{row.seq - 1}"
        return expected, f"deleted: record(s) {missing} missing before {row.seq}"
    if row.seq < expected:
        return row.seq, f"reordered: record {row.seq} stored after {expected - 1}"
    if row.prev_hash != walk.prev:
        if row.prev_hash in hashes:
            return row.seq, "reordered: it links to a record stored elsewhere"
        return row.seq, (
            f"edited: the link to record {row.seq - 1} is broken "
            "(that record was altered or replaced)"
        )
    return None


def check_anchor(
    report: ChainReport,
    hashes: dict[int, str],
    anchors: Anchors,
    point: Checkpoint | None,
    error: str | None,
) -> ChainReport:
    """The report with what the chain's anchor (outside the database) says added: a chain
    that ends before its anchor, or differs from it, was truncated, restored or rewritten."""
    chain = report.chain_id
    if not report.ok:
        return report
    notes = list(report.notes)

    def broken(seq: int, problem: str) -> ChainReport:
        return _with(report, ok=False, bad_seq=seq, problem=problem, notes=tuple(notes))

    if error is not None:
        return broken(0, f"anchor unreadable: {error}")
    for old in anchors.conflicts(chain):
        return broken(
            old.seq,
            f"rewound: a writer found the database behind this chain's anchor (seq {old.seq}, "
            f"hash {old.hash[:12]}…, anchored {_when(old.time)}) and wrote on from an earlier "
            "record: records were deleted or an older copy of the database restored",
        )
    if point is None:
        notes.append("no anchor for this chain here: a truncated tail could not be detected")
        return _with(report, notes=tuple(notes))
    distrust = anchors.check(point)
    if distrust is not None:
        return broken(point.seq, f"anchor: {distrust}")
    last = max(hashes) if hashes else 0
    if last < point.seq:
        return broken(
            last + 1,
            f"truncated or restored: the database ends at seq {last} but the anchor outside it "
            f"records seq {point.seq} (hash {point.hash[:12]}…, {_when(point.time)})",
        )
    if not hmac.compare_digest(hashes[point.seq], point.hash):
        return broken(
            point.seq,
            f"rewritten: record {point.seq} differs from the anchored one "
            f"(hash {hashes[point.seq][:12]}… in the database, {point.hash[:12]}… anchored)",
        )
    return _with(report, anchored_seq=point.seq, notes=tuple(notes))


def _with(report: ChainReport, **changes: Any) -> ChainReport:
    return dataclasses.replace(report, **changes)


def _when(unix: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(unix))
