"""The audit writer process and approval requests in the batched writer: the same chain as the
thread writer (signed, anchored), nothing lost on close or when the writer process dies, and a
request asked in this process found, read and resolved before its batch is stored."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from magistrate import Action, Decision, Governor, RiskDetector
from magistrate.approvals import Approvals
from magistrate.audit import AuditLog, verify
from magistrate.audit.anchor import Anchors
from magistrate.audit.signing import HmacSigner, store_id
from magistrate.db import AuditFilter, Database, open_database
from tests.stores import pg_schema, pg_url

DROP = "DROP TABLE customers"


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database = open_database(f"sqlite:///{tmp_path}/w.db")
        yield database
        database.close()
    else:
        with pg_schema() as schema:
            database = open_database(pg_url(schema))
            yield database
            database.close()


def ids(db: Database, chain: str | None = None) -> list[str]:
    return [r.record_id for r in db.audit_rows(AuditFilter(chain_id=chain))]


def test_the_writer_process_writes_a_signed_anchored_chain(
    detector: RiskDetector, db: Database, tmp_path: Path
) -> None:
    signer = HmacSigner(os.urandom(32))
    anchors = Anchors(tmp_path / "anchor", store_id(db.url), signer)
    audit = AuditLog(
        db, spool_dir=tmp_path / "spool", signer=signer, anchors=anchors, writer="process"
    )
    gov = Governor(detector=detector, audit=audit)
    returned = [
        gov.check(Action(kind="shell", text=f"echo {i} token=s3cr3tvalue99", principal="w"))
        for i in range(300)
    ]
    returned.append(gov.check(Action(kind="sql", text=DROP, principal="w")))
    assert audit.flush(60)
    assert audit.writer == "process" and audit.errors == 0, audit.last_error
    assert ids(db) == [v.verdict_id for v in returned]  # every record, once, in order
    assert audit.written == len(returned)
    report = verify(db, [signer], anchors)[0]
    assert report.ok and report.signed == len(returned) and report.anchored_seq == len(returned)
    bodies = [r.body for r in db.audit_rows(AuditFilter())]
    assert all("s3cr3tvalue99" not in b for b in bodies)  # masked in the child as in-process
    gov.close()


def test_process_and_thread_writers_store_the_same_record(
    detector: RiskDetector, tmp_path: Path
) -> None:
    bodies = {}
    action = Action(
        kind="tool", tool="http", args={"url": "https://u:pw1234@x.test", "n": 3}, principal="p"
    )
    for writer in ("thread", "process"):
        db = open_database(f"sqlite:///{tmp_path}/{writer}.db")
        gov = Governor(
            detector=detector,
            audit=AuditLog(db, spool_dir=tmp_path / writer, writer=writer),  # type: ignore[arg-type]
        )
        verdict = gov.check(action)
        gov.close()
        db = open_database(f"sqlite:///{tmp_path}/{writer}.db")
        row = next(iter(db.audit_rows(AuditFilter())))
        # The same record but for what differs between two checks (ids, times, timings).
        body = row.body.replace(verdict.verdict_id, "ID").replace(row.time, "TIME")
        bodies[writer] = __import__("json").loads(body)
        bodies[writer].pop("timings_ns")
        db.close()
    assert bodies["thread"] == bodies["process"]
    assert "pw1234" not in str(bodies["process"])


def test_close_loses_nothing(detector: RiskDetector, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/c.db"
    db = open_database(url)
    # A long batch window: nothing is written before close() unless close writes it.
    audit = AuditLog(db, spool_dir=tmp_path / "spool", writer="process", flush_interval=30)
    gov = Governor(detector=detector, audit=audit)
    returned = [
        gov.check(Action(kind="shell", text=f"ls /{i}", principal="c")).verdict_id
        for i in range(2500)
    ]
    gov.close()
    db = open_database(url)
    assert ids(db) == returned and verify(db)[0].ok
    db.close()


def test_a_writer_process_that_dies_loses_nothing_and_writes_nothing_twice(
    detector: RiskDetector, tmp_path: Path
) -> None:
    db = open_database(f"sqlite:///{tmp_path}/k.db")
    audit = AuditLog(db, spool_dir=tmp_path / "spool", writer="process")
    gov = Governor(detector=detector, audit=audit)
    returned = [
        gov.check(Action(kind="shell", text=f"echo a{i}", principal="k")).verdict_id
        for i in range(200)
    ]
    assert audit.flush(60)
    assert audit._proc is not None
    child = audit._proc.proc
    returned += [
        gov.check(Action(kind="shell", text=f"echo b{i}", principal="k")).verdict_id
        for i in range(2000)
    ]
    os.kill(child.pid, signal.SIGKILL)  # some of these were sent and never acknowledged
    returned += [
        gov.check(Action(kind="shell", text=f"echo c{i}", principal="k")).verdict_id
        for i in range(200)
    ]
    assert audit.flush(60)
    assert audit.writer == "thread" and "exited" in (audit.last_error or "")
    assert ids(db) == returned  # every record, once, in order
    assert verify(db)[0].ok
    gov.close()


def test_a_log_the_child_cannot_rebuild_keeps_its_writer_thread(
    detector: RiskDetector, tmp_path: Path
) -> None:
    db = open_database("sqlite:///:memory:")  # lives in this process only
    audit = AuditLog(db, spool_dir=tmp_path / "spool", writer="process")
    gov = Governor(detector=detector, audit=audit)
    v = gov.check(Action(kind="shell", text="ls", principal="m"))
    assert audit.flush(10) and audit.writer == "thread"
    assert ids(db) == [v.verdict_id]
    gov.close()


def test_a_writer_process_that_cannot_start_leaves_the_thread_writing(
    detector: RiskDetector, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.executable", "/bin/false")  # the child exits at once
    db = open_database(f"sqlite:///{tmp_path}/f.db")
    audit = AuditLog(db, spool_dir=tmp_path / "spool", writer="process")
    gov = Governor(detector=detector, audit=audit)
    returned = [
        gov.check(Action(kind="shell", text=f"ls /{i}", principal="f")).verdict_id
        for i in range(50)
    ]
    assert audit.flush(30) and audit.writer == "thread"
    assert ids(db) == returned and verify(db)[0].ok
    gov.close()


def test_sync_through_the_writer_process_stores_before_returning(
    detector: RiskDetector, tmp_path: Path
) -> None:
    db = open_database(f"sqlite:///{tmp_path}/y.db", durable=True)
    audit = AuditLog(db, spool_dir=tmp_path / "spool", durability="sync", writer="process")
    gov = Governor(detector=detector, audit=audit)
    for i in range(5):
        v = gov.check(Action(kind="shell", text=f"echo {i}", principal="y"))
        assert v.verdict_id in ids(db)  # committed by the child before check returned
    assert audit.writer == "process"
    gov.close()


# ---------------------------------------------------------------------- approvals in batches
def batched(
    detector: RiskDetector, db: Database, tmp_path: Path, **kw: object
) -> tuple[Governor, AuditLog]:
    audit = AuditLog(db, spool_dir=tmp_path / "spool", **kw)  # type: ignore[arg-type]
    approvals = Approvals(db, {"alice"}, audit=audit)
    return Governor(detector=detector, audit=audit, approvals=approvals), audit


@pytest.mark.parametrize("writer", ["thread", "process"])
def test_a_queued_request_is_found_read_and_approved_at_once(
    detector: RiskDetector, db: Database, tmp_path: Path, writer: str
) -> None:
    # A long batch window: the request stays queued unless something needs it stored.
    gov, _ = batched(detector, db, tmp_path, flush_interval=30, writer=writer)
    first = gov.check(Action(kind="sql", text=DROP, principal="agent:a"))
    assert first.decision is Decision.ESCALATE and first.approval_id
    assert db.approval_get(first.approval_id) is None  # not stored yet: still in the batch
    again = gov.check(Action(kind="sql", text=DROP, principal="agent:a"))
    assert again.approval_id == first.approval_id  # found at once, not asked twice
    approvals = gov.approvals
    assert approvals is not None
    assert approvals.get(first.approval_id).status == "pending"
    approvals.approve(first.approval_id, "alice")  # stores it, then resolves in the store
    granted = gov.check(Action(kind="sql", text=DROP, principal="agent:a"))
    assert granted.allowed and granted.approval_id == first.approval_id
    assert db.approval_get(first.approval_id)["status"] == "used"  # type: ignore[index]
    gov.close()


def test_a_queued_request_is_listed_and_counted(
    detector: RiskDetector, db: Database, tmp_path: Path
) -> None:
    gov, _ = batched(detector, db, tmp_path, flush_interval=30)
    v = gov.check(Action(kind="sql", text=DROP, principal="agent:l"))
    approvals = gov.approvals
    assert approvals is not None
    assert approvals.pending_count() == 1
    assert [r.id for r in approvals.list("pending")] == [v.approval_id]
    gov.close()


def test_a_flushed_request_outlives_the_process(detector: RiskDetector, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/r.db"
    db = open_database(url)
    gov, audit = batched(detector, db, tmp_path, writer="process")
    v = gov.check(Action(kind="sql", text=DROP, principal="agent:r"))
    assert audit.flush(30)
    gov.close()
    db = open_database(url)  # a new process: only the store knows the request
    approvals = Approvals(db, {"alice"})
    assert approvals.get(v.approval_id).status == "pending"  # type: ignore[arg-type]
    assert approvals.approve(v.approval_id, "alice").status == "approved"  # type: ignore[arg-type]
    db.close()


def test_a_sync_log_stores_the_request_before_the_check_returns(
    detector: RiskDetector, db: Database, tmp_path: Path
) -> None:
    gov, _ = batched(detector, db, tmp_path, durability="sync")
    v = gov.check(Action(kind="sql", text=DROP, principal="agent:s"))
    row = db.approval_get(v.approval_id)  # type: ignore[arg-type]
    assert row is not None and row["status"] == "pending"
    assert v.verdict_id in ids(db)
    gov.close()


def test_spooled_requests_replay_once(tmp_path: Path) -> None:
    """An outage spools a batch's requests with its records; replaying (twice) stores each
    request once and the chain holds only the records."""
    db = open_database(f"sqlite:///{tmp_path}/s.db")
    audit = AuditLog(db, spool_dir=tmp_path / "spool")
    now = time.time()
    row = {
        "id": "apr_1",
        "fingerprint": "f",
        "content_hash": "c",
        "principal": "p",
        "constitution_version": "v",
        "summary": "[sql] DROP",
        "kind": "sql",
        "tool": None,
        "risk": "CRITICAL",
        "citations": [],
        "reasons": ["r"],
        "requested_at": now,
        "expires_at": now + 60,
        "status": "pending",
    }
    record = {
        "type": "verdict",
        "record_id": "v1",
        "time": "2026-01-01T00:00:00.000000Z",
        "principal": "p",
        "decision": "escalate",
        "risk": "CRITICAL",
    }
    audit.spool.append([{"approval": row}, record])
    assert audit.replay_spool()
    audit.spool.append([{"approval": row}, record])  # a crash left it after it was stored
    assert audit.replay_spool()
    assert ids(db) == ["v1"] and verify(db)[0].ok
    stored = db.approval_get("apr_1")
    assert stored is not None and stored["reasons"] == ["r"]
    assert len(db.approval_list(None)) == 1
    audit.close()
    db.close()
