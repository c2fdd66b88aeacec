"""The audit log on SQLite and PostgreSQL: chaining, tamper detection, masking, durability,
spooling through an outage, and a writer killed with SIGKILL."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psycopg
import pytest

from magistrate import Action, Governor, RiskDetector
from magistrate.audit import AuditLog, verify
from magistrate.audit.record import chainer, event_payload
from magistrate.db import AuditFilter, Database, open_database
from magistrate.db.postgres import PostgresDatabase
from tests.stores import TcpProxy, pg_schema, pg_url


def governor(detector: RiskDetector, db: Database, tmp_path: Path, **kw: object) -> Governor:
    audit = AuditLog(db, spool_dir=tmp_path / "spool", **kw)  # type: ignore[arg-type]
    return Governor(detector=detector, audit=audit)


def rows(db: Database) -> list:
    return list(db.audit_rows(AuditFilter()))


def run_sql(db: Database, sql: str, params: tuple = ()) -> None:
    if isinstance(db, PostgresDatabase):
        with psycopg.connect(db.url, autocommit=True) as conn:
            conn.execute(sql.replace("?", "%s"), params)
    else:
        conn = sqlite3.connect(db.path)  # type: ignore[attr-defined]
        conn.execute(sql, params)
        conn.commit()
        conn.close()


def fill(detector: RiskDetector, db: Database, tmp_path: Path, n: int = 6) -> Governor:
    gov = governor(detector, db, tmp_path)
    for i in range(n):
        gov.check(Action(kind="shell", text=f"ls /tmp/{i}", principal=f"p{i}"))
    gov.check(Action(kind="sql", text="DROP TABLE t", principal="p9"))
    gov.audit.flush()  # type: ignore[union-attr]
    return gov


def test_every_check_is_recorded_and_the_chain_verifies(
    detector: RiskDetector, db: Database, tmp_path: Path
) -> None:
    gov = fill(detector, db, tmp_path)
    stored = rows(db)
    assert [r.seq for r in stored] == list(range(1, 8))
    body = json.loads(stored[-1].body)
    assert body["decision"] == "escalate" and body["risk"] == "CRITICAL"
    assert body["citations"][0]["rule_id"] == "sql-drop"
    assert body["constitution_version"] == gov.version and body["trust_before"] == 0.8
    assert {"chain", "seq", "prev", "fingerprint", "timings_ns", "principal", "kind"} <= body.keys()
    reports = verify(db)
    assert len(reports) == 1 and reports[0].ok and reports[0].records == 7


def test_text_that_copy_format_escapes_is_stored_exactly(
    detector: RiskDetector, db: Database, tmp_path: Path
) -> None:
    # PostgreSQL takes audit rows by COPY, whose text format gives tab, newline and backslash
    # a meaning of their own: a principal and a body holding them come back byte for byte
    principal = 'agent\\x\\N\\.end \u00e9\u4e2d\U0001f600 "q"'  # no control characters:
    # a principal may not hold them (the body's text does)
    text = "echo 'a\tb\\c\\N\r\nd' \\. && printf '\\x00 \u00e9'"
    gov = governor(detector, db, tmp_path)
    verdict = gov.check(Action(kind="shell", text=text, principal=principal))
    gov.audit.flush()  # type: ignore[union-attr]
    (row,) = rows(db)
    assert row.principal == principal and row.record_id == verdict.verdict_id
    body = json.loads(row.body)
    assert body["text"] == text and body["principal"] == principal
    reports = verify(db)
    assert len(reports) == 1 and reports[0].ok and reports[0].records == 1


@pytest.mark.parametrize("bulk", [False, True], ids=["row-by-row", "bulk"])
def test_batches_of_any_size_continue_one_chain(db: Database, bulk: bool) -> None:
    # The writer process stores big batches in bulk (PostgreSQL: COPY; SQLite apart from it:
    # one JSON insert) and small ones row by row: the chain runs on across every mix of them.
    # bulk: PostgreSQL's COPY is for writing alone, SQLite's JSON insert for beside other threads
    db.writes_alone = bulk if isinstance(db, PostgresDatabase) else not bulk
    n = 0
    for size in (40, 3, 17, 1, 64, 2, 16, 15):
        payloads = [
            event_payload("note", f"rec-{n + i}", "p", time.time_ns(), "allow", "LOW", {"i": n + i})
            for i in range(size)
        ]
        assert db.audit_write("main", chainer("main", payloads), []) == size
        n += size
    assert [r.seq for r in rows(db)] == list(range(1, n + 1))
    reports = verify(db)
    assert len(reports) == 1 and reports[0].ok and reports[0].records == n


def test_edited_record_is_caught(detector: RiskDetector, db: Database, tmp_path: Path) -> None:
    fill(detector, db, tmp_path)
    third = rows(db)[2]
    run_sql(
        db,
        "UPDATE audit_records SET body = ? WHERE id = ?",
        (third.body.replace('"allow"', '"deny"'), third.row_id),
    )
    report = verify(db)[0]
    assert not report.ok and report.bad_seq == 3 and report.problem.startswith("edited")


def test_edited_column_is_caught(detector: RiskDetector, db: Database, tmp_path: Path) -> None:
    fill(detector, db, tmp_path)
    run_sql(db, "UPDATE audit_records SET decision = 'allow' WHERE seq = 7")
    report = verify(db)[0]
    assert not report.ok and report.bad_seq == 7 and "decision" in report.problem


def test_deleted_record_is_caught(detector: RiskDetector, db: Database, tmp_path: Path) -> None:
    fill(detector, db, tmp_path)
    run_sql(db, "DELETE FROM audit_records WHERE seq = 4")
    report = verify(db)[0]
    assert not report.ok and report.bad_seq == 4 and report.problem.startswith("deleted")


def test_deleted_last_record_is_caught(
    detector: RiskDetector, db: Database, tmp_path: Path
) -> None:
    fill(detector, db, tmp_path)
    run_sql(db, "DELETE FROM audit_records WHERE seq = 7")
    report = verify(db)[0]
    assert not report.ok and report.bad_seq == 7 and "last record" in report.problem


def test_reordered_records_are_caught(detector: RiskDetector, db: Database, tmp_path: Path) -> None:
    fill(detector, db, tmp_path)
    a, b = rows(db)[1], rows(db)[4]
    columns = (
        "chain_id",
        "seq",
        "record_id",
        "time",
        "type",
        "principal",
        "decision",
        "risk",
        "body",
        "prev_hash",
        "hash",
    )
    run_sql(db, "DELETE FROM audit_records WHERE id IN (?, ?)", (a.row_id, b.row_id))
    marks = ", ".join("?" * (len(columns) + 1))
    for row_id, source in ((a.row_id, b), (b.row_id, a)):  # swap their places
        values = (row_id, *(getattr(source, c if c != "chain_id" else "chain_id") for c in columns))
        run_sql(
            db, f"INSERT INTO audit_records (id, {', '.join(columns)}) VALUES ({marks})", values
        )
    report = verify(db)[0]
    assert not report.ok and report.bad_seq == 5 and report.problem.startswith("reordered")


def test_secrets_never_reach_the_store_or_the_export(
    detector: RiskDetector, db: Database, tmp_path: Path
) -> None:
    secrets = {
        "aws": "AKIAIOSFODNN7EXAMPLE",
        "bearer": "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB",
        "url": "hunter2pass",
        "assign": "s3cr3t-P4ssw0rd!",
        "key": "MIIEowIBAAKCAQEAx9",
        "arg": "correct-horse-battery",
    }
    gov = governor(detector, db, tmp_path)
    gov.check(
        Action(
            kind="shell",
            principal="m",
            text=(
                f"curl -H 'Authorization: Bearer {secrets['bearer']}' "
                f"https://admin:{secrets['url']}@db.example.com/x && export AWS_ACCESS_KEY_ID="
                f"{secrets['aws']} && DB_PASSWORD={secrets['assign']} ./run.sh"
            ),
        )
    )
    gov.check(
        Action(
            kind="tool",
            tool="write_file",
            principal="m",
            args={
                "path": "id_rsa",
                "password": secrets["arg"],
                "content": "-----BEGIN RSA PRIVATE KEY-----\n"
                f"{secrets['key']}\n-----END RSA PRIVATE KEY-----",
            },
        )
    )
    gov.audit.flush()  # type: ignore[union-attr]
    dumped = "\n".join(r.body for r in rows(db))
    for name, value in secrets.items():
        assert value not in dumped, name
    assert "***" in dumped
    if not isinstance(db, PostgresDatabase):
        gov.close()
        raw = Path(db.path).read_bytes()  # type: ignore[attr-defined]
        for wal in Path(db.path).parent.glob("*.db-wal"):  # type: ignore[attr-defined]
            raw += wal.read_bytes()
        for name, value in secrets.items():
            assert value.encode() not in raw, name


def test_sync_durability_commits_before_returning(
    detector: RiskDetector, db: Database, tmp_path: Path
) -> None:
    gov = governor(detector, db, tmp_path, durability="sync")
    verdict = gov.check(Action(kind="shell", text="ls", principal="s"))
    assert [r.record_id for r in rows(db)] == [verdict.verdict_id]  # no flush needed


def test_ungoverned_checks_are_recorded(
    detector: RiskDetector, db: Database, tmp_path: Path
) -> None:
    audit = AuditLog(db, spool_dir=tmp_path / "spool")
    gov = Governor(detector=detector, audit=audit, enabled=False)
    gov.check(Action(kind="shell", text="rm -rf /"))
    audit.flush()
    assert json.loads(rows(db)[0].body)["decision"] == "ungoverned"


def test_several_chains_verify_separately(
    detector: RiskDetector, db: Database, tmp_path: Path
) -> None:
    for chain in ("worker-1", "worker-2"):
        audit = AuditLog(db, chain_id=chain, spool_dir=tmp_path / chain)
        gov = Governor(detector=detector, audit=audit)
        for i in range(3):
            gov.check(Action(kind="shell", text=f"echo {i}", principal=chain))
        audit.close()
    reports = verify(db)
    assert [(r.chain_id, r.records, r.ok) for r in reports] == [
        ("worker-1", 3, True),
        ("worker-2", 3, True),
    ]


def test_postgres_outage_spools_and_replays_without_loss_or_duplicates(
    detector: RiskDetector, tmp_path: Path
) -> None:
    proxy = TcpProxy()
    proxy.start()
    with pg_schema() as schema:
        # No breaker: the store is used again the moment it is back (test_outages covers it).
        db = PostgresDatabase(pg_url(schema, proxy.port), timeout=0.5, breaker_s=0)
        audit = AuditLog(db, spool_dir=tmp_path / "spool")
        gov = Governor(detector=detector, audit=audit)
        ids = [
            gov.check(Action(kind="shell", text=f"echo a{i}", principal="o")).verdict_id
            for i in range(5)
        ]
        audit.flush()
        proxy.stop()  # the database disappears
        ids += [
            gov.check(Action(kind="shell", text=f"echo b{i}", principal="o")).verdict_id
            for i in range(5)
        ]
        audit.flush()
        assert len(audit.spool) == 5 and audit.errors >= 1
        proxy.start()  # and comes back
        ids += [
            gov.check(Action(kind="shell", text=f"echo c{i}", principal="o")).verdict_id
            for i in range(5)
        ]
        audit.flush()
        stored = [r.record_id for r in db.audit_rows(AuditFilter())]
        assert stored == ids  # every record, once, in order
        assert len(audit.spool) == 0
        assert verify(db)[0].ok
        audit.close()
        db.close()
    proxy.stop()


def test_replaying_a_spool_twice_writes_nothing_twice(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path}/a.db")
    audit = AuditLog(db, spool_dir=tmp_path / "spool")
    payload = {
        "type": "verdict",
        "record_id": "v1",
        "time": "2026-01-01T00:00:00.000000Z",
        "principal": "p",
        "decision": "allow",
        "risk": "LOW",
    }
    audit.spool.append([payload, {**payload, "record_id": "v2"}])
    assert audit._replay()
    audit.spool.append([payload])  # a crash left it in the spool after it was committed
    assert audit._replay()
    assert [r.record_id for r in db.audit_rows(AuditFilter())] == ["v1", "v2"]
    assert verify(db)[0].ok


WRITER = textwrap.dedent("""
    import sys
    from magistrate import Action, Governor
    from magistrate.audit import AuditLog
    from magistrate.db import open_database
    url, spool, durability, writer = sys.argv[1:5]
    db = open_database(url, durable=durability == "sync")
    gov = Governor(audit=AuditLog(db, durability=durability, spool_dir=spool, writer=writer))
    i = 0
    while True:
        v = gov.check(Action(kind="shell", text=f"echo {i}", principal="k"))
        print(v.verdict_id, flush=True)
        i += 1
""")


@pytest.mark.parametrize(
    ("durability", "writer"), [("batched", "thread"), ("sync", "thread"), ("batched", "process")]
)
def test_sigkill_during_group_commit_leaves_a_valid_chain(
    tmp_path: Path, durability: str, writer: str
) -> None:
    """The checking process killed mid-commit: the chain stays valid (with a writer process,
    the orphaned child finishes what it was sent, possibly while this reads)."""
    url = f"sqlite:///{tmp_path}/kill.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, url, str(tmp_path / "spool"), durability, writer],
        stdout=subprocess.PIPE,
        text=True,
    )
    returned: list[str] = []
    assert proc.stdout is not None
    started = time.monotonic()
    db_file = tmp_path / "kill.db"

    def committed() -> int:
        try:
            with sqlite3.connect(db_file) as conn:
                return int(conn.execute("SELECT count(*) FROM audit_records").fetchone()[0])
        except sqlite3.Error:
            return 0

    # Let it run until group commits are happening, then kill it in the middle of them.
    while (len(returned) < 300 or committed() < 50) and time.monotonic() - started < 60:
        returned.append(proc.stdout.readline().strip())
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    db = open_database(url)
    report = verify(db)[0]
    assert report.ok, report
    stored = {r.record_id for r in db.audit_rows(AuditFilter())}
    assert stored  # something was committed before the kill
    if durability == "sync":
        assert set(returned) <= stored  # every verdict that returned is in the log
    db.close()


def test_many_threads_recording_then_repeated_flushes(
    detector: RiskDetector, tmp_path: Path
) -> None:
    """The server records from many threads at once: `sync` callers return only once their own
    record is stored, and flush() reports everything queued, however often it is called."""
    import threading

    db = open_database(f"sqlite:///{tmp_path}/audit.db")
    for durability in ("sync", "batched"):
        gov = governor(detector, db, tmp_path, durability=durability, chain_id=durability)
        barrier = threading.Barrier(6)
        stored_on_return: list[bool] = []

        def work(
            n: int, gov: Governor, barrier: threading.Barrier, sync: bool, out: list[bool]
        ) -> None:
            barrier.wait()
            for i in range(60):
                v = gov.check(Action(kind="shell", text=f"echo {n}-{i}", principal=f"p{n}"))
                if sync and i % 20 == 0:
                    ids = {r.record_id for r in db.audit_rows(AuditFilter(chain_id="sync"))}
                    out.append(v.verdict_id in ids)

        threads = [
            threading.Thread(
                target=work, args=(n, gov, barrier, durability == "sync", stored_on_return)
            )
            for n in range(6)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        started = time.monotonic()
        assert gov.audit is not None
        assert gov.audit.flush(5) and gov.audit.flush(5) and gov.audit.flush(5)
        assert time.monotonic() - started < 2
        assert len(list(db.audit_rows(AuditFilter(chain_id=durability)))) == 360
        assert all(stored_on_return) and (durability == "batched" or stored_on_return)
        gov.audit.close()
    assert all(r.ok for r in verify(db))
    db.close()
