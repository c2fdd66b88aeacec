"""Operator commands run as real subprocesses: `status` from the stores, `eval`, `replay`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ENV: dict[str, str] = {}


@pytest.fixture(autouse=True)
def isolated_store(tmp_path: Path) -> None:
    """Each test's CLI runs write their audit log and approvals under a temporary folder."""
    ENV.clear()
    ENV.update(os.environ)
    ENV.pop("MAGISTRATE_REDIS_URL", None)
    ENV["MAGISTRATE_DATABASE_URL"] = f"sqlite:///{tmp_path}/m.db"
    ENV["MAGISTRATE_SPOOL_DIR"] = str(tmp_path / "spool")


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "magistrate", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
        env=ENV,
    )


def test_status_counts_what_every_process_recorded() -> None:
    # Each `check` is its own process: the counts must come from the audit log.
    assert run("check", "-p", "agent:a", "ls -la").returncode == 0
    assert run("check", "-p", "agent:a", "cat README.md").returncode == 0
    assert run("check", "-p", "agent:b", "--kind", "sql", "DROP TABLE customers").returncode == 2
    assert run("check", "-p", "agent:b", "--kind", "sql", "TRUNCATE orders").returncode == 2
    assert run("check", "-p", "agent:c", "rm -rf /").returncode == 1  # suspends agent:c
    r = run("status", "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["decisions"] == {"allow": 2, "escalate": 2, "deny": 1, "ungoverned": 0}
    assert info["by_risk"]["CRITICAL"] == 3 and info["by_risk"]["LOW"] == 2
    assert info["pending_approvals"] == 2
    assert [s["principal"] for s in info["suspended"]] == ["agent:c"]
    assert "CRITICAL" in info["suspended"][0]["reason"]
    text = run("status").stdout
    assert "allow 2  escalate 2  deny 1" in text
    assert "2 pending" in text and "agent:c: denied a CRITICAL action" in text


def test_status_sees_a_lifted_suspension_as_lifted() -> None:
    from magistrate.audit import AuditLog
    from magistrate.db import open_database

    assert run("check", "-p", "agent:c", "rm -rf /").returncode == 1
    db = open_database(ENV["MAGISTRATE_DATABASE_URL"])
    audit = AuditLog(db, spool_dir=ENV["MAGISTRATE_SPOOL_DIR"], chain_id="lift")
    audit.record_event(
        "suspension", "lift-1", "agent:c", "allow", "LOW", {"status": "lifted", "resolved_by": "al"}
    )
    audit.close()
    db.close()
    assert json.loads(run("status", "--json").stdout)["suspended"] == []
