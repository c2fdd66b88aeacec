"""The database methods the server adds, on SQLite and PostgreSQL: ping, worker figures
(replaced per worker, forgotten after a day), audit paging by row id."""

from __future__ import annotations

from pathlib import Path

from magistrate import Action, Governor, RiskDetector
from magistrate.audit import AuditLog
from magistrate.db import AuditFilter, Database


def test_ping(db: Database) -> None:
    db.ping()


def test_worker_figures_are_replaced_and_forgotten(db: Database) -> None:
    db.stats_put("host-0", '{"n": 1}', 1_000_000.0)
    db.stats_put("host-1", '{"n": 2}', 1_000_050.0)
    db.stats_put("host-0", '{"n": 3}', 1_000_100.0)
    assert db.stats_since(1_000_000.0) == [
        ("host-0", 1_000_100.0, '{"n": 3}'),
        ("host-1", 1_000_050.0, '{"n": 2}'),
    ]
    assert [w for w, _, _ in db.stats_since(1_000_060.0)] == ["host-0"]
    db.stats_put("host-2", "{}", 1_000_000.0 + 86_400 + 60)  # a day later: host-1 is gone
    assert [w for w, _, _ in db.stats_since(0)] == ["host-0", "host-2"]


def test_audit_rows_after_an_id(db: Database, detector: RiskDetector, tmp_path: Path) -> None:
    audit = AuditLog(db, spool_dir=tmp_path / "spool", durability="sync")
    gov = Governor(detector=detector, audit=audit)
    for text in ("ls", "pwd", "whoami", "id"):
        gov.check(Action(kind="shell", text=text))
    rows = list(db.audit_rows(AuditFilter()))
    after = list(db.audit_rows(AuditFilter(after_id=rows[1].row_id)))
    assert [r.record_id for r in after] == [r.record_id for r in rows[2:]]
    assert list(db.audit_rows(AuditFilter(after_id=rows[-1].row_id))) == []
    audit.close()
