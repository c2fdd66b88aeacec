"""Tamper-evidence against someone with database access (issue 12, item 5), on SQLite and
PostgreSQL: a deleted tail with a rewound head row, a restored older copy of the database, and a
chain recomputed after an edit all pass an unkeyed, unanchored verify (the reproduction) and fail
`audit verify` with the audit key and the anchor kept outside the database."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from magistrate import Action, Governor, RiskDetector
from magistrate.audit import AuditLog, verify
from magistrate.audit.anchor import Anchors
from magistrate.audit.record import record_hash
from magistrate.audit.signing import HmacSigner, load_signer, read_key_file, store_id
from magistrate.db import AuditFilter, open_database
from magistrate.db.postgres import PostgresDatabase

COLUMNS = "chain_id, seq, record_id, time, type, principal, decision, risk, body, prev_hash, hash"


class Setup:
    """A signed, anchored audit log on one database, and the SQL an attacker would run."""

    def __init__(self, url: str, tmp_path: Path, detector: RiskDetector) -> None:
        self.url = url
        self.tmp = tmp_path
        self.detector = detector
        self.signer = HmacSigner(os.urandom(32))
        self.anchors = Anchors(tmp_path / "anchor", store_id(url), self.signer)
        self.db = open_database(url)
        self.n = 0

    def log(self, chain: str = "main", signed: bool = True) -> AuditLog:
        return AuditLog(
            self.db,
            chain_id=chain,
            spool_dir=self.tmp / "spool",
            signer=self.signer if signed else None,
            anchors=self.anchors if signed else None,
        )

    def write(self, count: int, chain: str = "main", signed: bool = True) -> None:
        log = self.log(chain, signed)
        gov = Governor(detector=self.detector, audit=log)
        for _ in range(count):
            self.n += 1
            gov.check(Action(kind="shell", text=f"ls /tmp/{self.n}", principal="agent:a"))
        log.close()

    def verify(self, keyed: bool = True) -> Any:
        if keyed:
            return verify(self.db, [self.signer], self.anchors)
        return verify(self.db)

    def sql(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if isinstance(self.db, PostgresDatabase):
            with psycopg.connect(self.db.url, autocommit=True) as conn:
                cur = conn.execute(sql.replace("?", "%s"), params)
                return cur.fetchall() if cur.description else []
        conn = sqlite3.connect(self.db.path)  # type: ignore[attr-defined]
        try:
            out = conn.execute(sql, params).fetchall()
            conn.commit()
            return out
        finally:
            conn.close()

    def snapshot(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """An attacker's copy of the database (as a backup would keep it)."""
        rows = self.sql(f"SELECT {COLUMNS} FROM audit_records ORDER BY id")
        return rows, self.sql("SELECT chain_id, last_seq, last_hash FROM audit_chains")

    def restore(self, copy: tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]) -> None:
        """Put the copy back, as restoring the backup would."""
        rows, heads = copy
        self.sql("DELETE FROM audit_records")
        self.sql("DELETE FROM audit_chains")
        marks = ", ".join("?" * 11)
        for row in rows:
            self.sql(f"INSERT INTO audit_records ({COLUMNS}) VALUES ({marks})", tuple(row))
        for head in heads:
            self.sql("INSERT INTO audit_chains VALUES (?, ?, ?)", tuple(head))

    def close(self) -> None:
        self.db.close()


@pytest.fixture
def setup(db_url: str, tmp_path: Path, detector: RiskDetector) -> Iterator[Setup]:
    s = Setup(db_url, tmp_path, detector)
    yield s
    s.close()


def test_a_signed_anchored_chain_verifies(setup: Setup) -> None:
    setup.write(8)
    [report] = setup.verify()
    assert report.ok, report
    assert (report.records, report.signed, report.unsigned, report.anchored_seq) == (8, 8, 0, 8)
    body = json.loads(next(iter(setup.db.audit_rows(AuditFilter()))).body)
    assert body["sig"] == setup.signer.tag


def test_deleted_tail_with_rewound_head_is_reported(setup: Setup) -> None:
    setup.write(8)
    keep = setup.sql("SELECT hash FROM audit_records WHERE seq = 5")[0][0]
    setup.sql("DELETE FROM audit_records WHERE seq > 5")
    setup.sql("UPDATE audit_chains SET last_seq = 5, last_hash = ?", (keep,))
    assert all(r.ok for r in setup.verify(keyed=False))  # the reproduction: unanchored, it passes
    [report] = setup.verify()
    assert not report.ok
    assert report.bad_seq == 6
    assert "truncated or restored" in str(report.problem) and "seq 8" in str(report.problem)


def test_restored_older_copy_is_reported(setup: Setup) -> None:
    setup.write(5)
    older = setup.snapshot()
    setup.write(4)
    setup.restore(older)
    assert all(r.ok for r in setup.verify(keyed=False))  # the reproduction
    [report] = setup.verify()
    assert not report.ok and "truncated or restored" in str(report.problem)


def test_restored_copy_written_on_keeps_the_evidence(setup: Setup) -> None:
    """After a restore the server carries on: the chain is valid again from the restored head,
    but the writer kept the anchor it found the database behind, and verify reports it."""
    setup.write(5)
    older = setup.snapshot()
    setup.write(4)
    setup.restore(older)
    log = setup.log()
    gov = Governor(detector=setup.detector, audit=log)
    for i in range(6):  # past the old anchor's seq 9
        gov.check(Action(kind="shell", text=f"echo {i}", principal="agent:a"))
    log.close()
    assert log.anchor_conflicts and "behind its anchor at seq 9" in log.anchor_conflicts[0]
    [report] = setup.verify()
    assert not report.ok and str(report.problem).startswith("rewound")


def recompute(setup: Setup, strip_signature: bool) -> None:
    """An attacker without the key: edit record 3 (deny -> allow) and recompute every hash from
    there on with SHA-256, then the head row, as the unkeyed scheme allowed."""
    rows = setup.sql("SELECT seq, body, prev_hash FROM audit_records ORDER BY seq")
    prev = None
    for seq, body, prev_hash in rows:
        data = json.loads(body)
        if seq == 3:
            data["decision"] = "allow"
            data["reasons"] = ["approved"]
        if strip_signature:
            data.pop("sig", None)
        if prev is None and seq < 3 and not strip_signature:
            continue
        prev = prev_hash if prev is None else prev
        data["prev"] = prev
        new_body = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = record_hash(prev, new_body)
        setup.sql(
            "UPDATE audit_records SET body = ?, prev_hash = ?, hash = ?, decision = ?"
            " WHERE seq = ?",
            (new_body, prev, digest, data["decision"], seq),
        )
        prev = digest
    setup.sql("UPDATE audit_chains SET last_hash = ?", (prev,))


def test_recomputed_chain_after_an_edit_is_reported(setup: Setup) -> None:
    setup.write(8)
    recompute(setup, strip_signature=False)
    [report] = setup.verify()
    assert not report.ok and report.bad_seq == 3
    assert "signature does not match" in str(report.problem)


def test_recomputed_chain_without_signatures_is_reported(setup: Setup) -> None:
    """Stripping every signature and re-hashing unkeyed (a downgrade) leaves a chain the unkeyed
    check accepts; the anchor, signed and outside the database, does not match it."""
    setup.write(8)
    recompute(setup, strip_signature=True)
    [unkeyed] = setup.verify(keyed=False)
    assert unkeyed.ok and unkeyed.unsigned == 8  # the reproduction
    [report] = setup.verify()
    assert not report.ok and str(report.problem).startswith("rewritten: record 8")


def test_unsigned_records_after_signed_ones_are_reported(setup: Setup) -> None:
    """Forged records appended past the anchor, hashed without the key."""
    setup.write(4)
    setup.write(2, signed=False)
    [report] = setup.verify()
    assert (
        not report.ok
        and report.bad_seq == 5
        and "unsigned record after signed" in str(report.problem)
    )


def test_records_signed_with_another_key_are_reported(setup: Setup) -> None:
    setup.write(3)
    forger = Setup(setup.url, setup.tmp / "forger", setup.detector)
    forger.write(2)
    forger.close()
    [report] = setup.verify()
    assert not report.ok and "forged" in str(report.problem)


def test_an_unsigned_database_still_opens_and_verifies(setup: Setup) -> None:
    """Migration: records written before signing stay readable; verify says they are unsigned."""
    setup.write(3, signed=False)
    setup.write(4)
    [report] = setup.verify()
    assert report.ok, report
    assert (report.unsigned, report.signed, report.anchored_seq) == (3, 4, 7)
    assert "3 UNSIGNED" in str(report)


def test_altered_anchor_file_is_reported(setup: Setup) -> None:
    setup.write(4)
    path = setup.anchors.path("main")
    point = setup.anchors.read("main")
    assert point is not None and point.seq == 4
    path.write_text(json.dumps({**point.to_dict(), "seq": 2}))  # the signature stays
    [report] = setup.verify()
    assert not report.ok and "anchor" in str(report.problem) and "altered" in str(report.problem)


def test_chain_deleted_entirely_is_reported(setup: Setup) -> None:
    setup.write(4, chain="replica-1")
    setup.sql("DELETE FROM audit_records")
    setup.sql("DELETE FROM audit_chains")
    [report] = setup.verify()
    assert report.chain_id == "replica-1" and not report.ok
    assert "database ends at seq 0" in str(report.problem)


def test_one_chain_per_replica_each_anchored(setup: Setup) -> None:
    for chain in ("replica-1", "replica-2", "replica-1", "replica-3"):
        setup.write(3, chain=chain)
    reports = {r.chain_id: r for r in setup.verify()}
    assert all(r.ok for r in reports.values()), reports
    assert {c: r.anchored_seq for c, r in reports.items()} == {
        "replica-1": 6,
        "replica-2": 3,
        "replica-3": 3,
    }


def test_default_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "audit.key"
    assert load_signer(key_file=path, create=False) is None
    first = load_signer(key_file=path, create=True)
    assert first is not None and stat.S_IMODE(path.stat().st_mode) == 0o600
    second = load_signer(key_file=path, create=False)
    assert second is not None and second.tag == first.tag
    assert read_key_file(path, create=False) == bytes.fromhex(path.read_text().strip())


def test_kms_hook_signs(tmp_path: Path, db_url: str, detector: RiskDetector) -> None:
    """An operator's signer (a KMS, an HSM) plugged in by module:callable."""
    module = tmp_path / "my_kms.py"
    module.write_text(
        "import hashlib, hmac\n"
        "class KMS:\n"
        "    tag = 'kms:test-key'\n"
        "    calls = 0\n"
        "    def mac(self, data):\n"
        "        KMS.calls += 1\n"
        "        return hmac.new(b'k' * 32, data, hashlib.sha256).hexdigest()\n"
        "def signer():\n"
        "    return KMS()\n"
    )
    import sys

    sys.path.insert(0, str(tmp_path))
    try:
        signer = load_signer(hook="my_kms:signer")
        assert signer is not None and signer.tag == "kms:test-key"
        db = open_database(db_url)
        log = AuditLog(db, spool_dir=tmp_path / "spool", signer=signer)
        Governor(detector=detector, audit=log).check(Action(kind="shell", text="ls"))
        log.close()
        [report] = verify(db, [signer])
        assert report.ok and report.signed == 1
        db.close()
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("my_kms", None)


def test_anchor_sink_receives_every_checkpoint_and_cannot_stop_the_log(
    tmp_path: Path, detector: RiskDetector
) -> None:
    received: list[dict[str, Any]] = []
    signer = HmacSigner(os.urandom(32))
    url = f"sqlite:///{tmp_path}/s.db"
    db = open_database(url)
    for sink in (received.append, lambda point: 1 / 0):
        anchors = Anchors(tmp_path / "anchor", store_id(url), signer, sink)
        log = AuditLog(db, spool_dir=tmp_path / "spool", signer=signer, anchors=anchors)
        gov = Governor(detector=detector, audit=log)
        for i in range(3):
            gov.check(Action(kind="shell", text=f"ls {i}"))
            log.flush()
        log.close()
    assert [p["seq"] for p in received] == [1, 2, 3]
    assert received[-1]["signer"] == signer.tag and received[-1]["sig"]
    assert anchors.sink_errors == 3  # the failing sink: counted, the records still anchored
    [report] = verify(db, [signer], anchors)
    assert report.ok and report.anchored_seq == 6
    db.close()


def test_cli_audit_verify_uses_the_key_and_anchors_as_configured(tmp_path: Path) -> None:
    """`magistrate check` writes signed, anchored records with the default key file beside the
    database; `magistrate audit verify` finds both and reports a truncated tail."""
    import subprocess
    import sys

    env = {
        **os.environ,
        "MAGISTRATE_DATABASE_URL": f"sqlite:///{tmp_path}/store/m.db",
        "MAGISTRATE_SPOOL_DIR": str(tmp_path / "spool"),
        "MAGISTRATE_CONFIG": str(tmp_path / "none.toml"),
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "magistrate", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    for i in range(3):
        assert cli("check", f"ls /tmp/{i}").returncode == 0
    key = tmp_path / "store" / "audit.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert list((tmp_path / "store" / "anchor").glob("*.main.anchor"))
    ok = cli("audit", "verify")
    assert ok.returncode == 0 and "3 signed; anchored at seq 3" in ok.stdout, ok.stdout
    conn = sqlite3.connect(tmp_path / "store" / "m.db")
    conn.execute("DELETE FROM audit_records WHERE seq = 3")
    conn.execute(
        "UPDATE audit_chains SET last_seq = 2,"
        " last_hash = (SELECT hash FROM audit_records WHERE seq = 2)"
    )
    conn.commit()
    conn.close()
    broken = cli("audit", "verify")
    assert broken.returncode == 1 and "truncated or restored" in broken.stdout, broken.stdout


def test_writers_sharing_a_chain_anchor_in_commit_order(
    db_url: str, tmp_path: Path, detector: RiskDetector
) -> None:
    """Several writers of one chain at once (parallel hook processes, the CLI beside a server):
    each holds the anchor across its commit, so none anchors an older batch after a newer one
    (which would read as a rewind) and the chain verifies. Anchoring after the commit instead
    gave 38 false "rewound" conflicts in this scenario."""
    import threading

    signer = HmacSigner(os.urandom(32))
    logs = []
    for _ in range(8):
        db = open_database(db_url)
        anchors = Anchors(tmp_path / "anchor", store_id(db_url), signer)  # one open file each
        logs.append(
            AuditLog(db, spool_dir=tmp_path / "spool", signer=signer, anchors=anchors, max_batch=1)
        )

    def work(log: AuditLog, n: int) -> None:
        gov = Governor(detector=detector, audit=log)
        for i in range(100):
            gov.check(Action(kind="shell", text=f"echo {n} {i}", principal=f"agent:{n}"))
            if i % 10 == 0:
                log.flush()

    threads = [threading.Thread(target=work, args=(log, n)) for n, log in enumerate(logs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for log in logs:
        log.close()
    assert [c for log in logs for c in log.anchor_conflicts] == []
    db = logs[0].db
    [report] = verify(db, [signer], Anchors(tmp_path / "anchor", store_id(db_url), signer))
    assert report.ok and report.records == 800 and report.anchored_seq == 800, report
    for log in logs:
        log.db.close()


def test_records_signed_before_a_key_rotation_still_verify(setup: Setup) -> None:
    setup.write(3)
    old = setup.signer
    setup.signer = HmacSigner(os.urandom(32))  # rotated
    setup.anchors = Anchors(setup.tmp / "anchor", store_id(setup.url), setup.signer, None, [old])
    [before_writing] = verify(setup.db, [setup.signer, old], setup.anchors)
    assert before_writing.ok and before_writing.anchored_seq == 3  # anchor still under the old key
    setup.write(2)
    [report] = verify(setup.db, [setup.signer, old], setup.anchors)
    assert report.ok and report.signed == 5 and report.anchored_seq == 5, report
    [without_old] = verify(setup.db, [setup.signer], setup.anchors)
    assert not without_old.ok and "forged" in str(without_old.problem)
