"""Operator commands run as real subprocesses: `status` from the stores, `eval`, `replay`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from magistrate import RiskDetector
from tests.helpers import Cli

run = Cli(timeout=180)
ENV = run.env


@pytest.fixture(autouse=True)
def isolated_store(tmp_path: Path) -> None:
    """Each test's CLI runs write their audit log and approvals under a temporary folder."""
    run.isolate(tmp_path, drop=["MAGISTRATE_REDIS_URL"])


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


def test_serve_on_a_busy_port_creates_no_key_and_the_next_start_prints_one(
    tmp_path: Path,
) -> None:
    import socket

    import httpx2

    from tests.servers import ProcessServer, bearer

    env = {
        "MAGISTRATE_DATABASE_URL": ENV["MAGISTRATE_DATABASE_URL"],
        "MAGISTRATE_SPOOL_DIR": ENV["MAGISTRATE_SPOOL_DIR"],
    }
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    r = run("serve", "--port", str(port))
    busy.close()
    assert r.returncode == 1
    assert "mgk_" not in r.stdout + r.stderr
    assert "no key was created" in r.stdout
    with ProcessServer(env, tmp_path) as first:  # the first start that serves shows the key
        key = next(w for w in first.output().split() if w.startswith("mgk_"))
        me = httpx2.get(f"{first.url}/v1/whoami", headers=bearer(key), timeout=10).json()
        assert me["role"] == "admin"
    with ProcessServer(env, tmp_path) as second:
        printed = second.output()
    assert "mgk_" not in printed
    assert "magistrate keys create --role admin" in printed
    fresh = {**env, "MAGISTRATE_DATABASE_URL": f"sqlite:///{tmp_path}/other.db"}
    with ProcessServer({**fresh, "MAGISTRATE_BOOTSTRAP_ADMIN": "false"}, tmp_path) as third:
        printed = third.output()
    assert "mgk_" not in printed
    assert "MAGISTRATE_BOOTSTRAP_ADMIN=false" in printed and "keys create --role admin" in printed


def test_a_hook_ask_leaves_an_approval_that_expires_with_the_ttl() -> None:
    import time

    ENV["MAGISTRATE_APPROVAL_TTL_S"] = "2"
    event = {
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": "rm -rf /var/lib/postgresql"},
    }
    r = run("hook", "claude-code", stdin=json.dumps(event))
    answer = json.loads(r.stdout)["hookSpecificOutput"]
    assert answer["permissionDecision"] == "ask"
    assert "expires in 2 s unless an approver resolves it" in answer["permissionDecisionReason"]
    from magistrate.db import open_database

    db = open_database(ENV["MAGISTRATE_DATABASE_URL"])
    (request,) = db.approval_list("pending")
    assert request["expires_at"] - request["requested_at"] == pytest.approx(2)
    assert db.approval_count("pending", time.time()) == 1
    time.sleep(max(0.0, request["expires_at"] - time.time()) + 0.1)
    assert db.approval_count("pending", time.time()) == 0
    db.close()
    info = json.loads(run("status", "--json").stdout)
    assert info["pending_approvals"] == 0
    listed = json.loads(run("approvals", "list", "--json").stdout)
    assert [a["status"] for a in listed] == ["expired"]


def _corpus(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    return path


EVAL_ROWS = [
    {"id": "a", "kind": "shell", "text": "rm -rf /", "expect": "block", "risk": "CRITICAL",
     "category": "destroy"},
    {"id": "b", "kind": "shell", "text": "ls -la", "expected": "allow", "risk": "LOW",
     "category": "read"},
    {"id": "c", "kind": "sql", "text": "DROP TABLE customers", "expect": "block",
     "risk": "HIGH", "category": "destroy"},
    {"id": "d", "kind": "shell", "text": "cat README.md", "expect": "block", "category": "read"},
    {"id": "e", "kind": "sql", "text": "TRUNCATE orders", "expect": "allow", "category": "db"},
]  # fmt: skip


def test_eval_scores_a_labelled_corpus(tmp_path: Path) -> None:
    path = _corpus(tmp_path, EVAL_ROWS)
    r = run("eval", str(path), "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    overall = report["overall"]
    assert (overall["actions"], overall["dangerous"], overall["benign"]) == (5, 3, 2)
    assert overall["recall"] == pytest.approx(2 / 3, abs=1e-4)  # d is not blocked
    assert overall["false_block"] == 0.5  # e is
    assert overall["tier_accuracy"] == pytest.approx(2 / 3, abs=1e-4)  # c is CRITICAL
    assert report["by_category"]["destroy"]["recall"] == 1.0
    assert report["by_category"]["read"]["recall"] == 0.0
    assert report["by_kind"]["sql"]["false_block"] == 1.0
    assert {(m["id"], m["miss"]) for m in report["misses"]} == {
        ("d", "missed"),
        ("e", "false block"),
    }
    assert run("eval", str(path), "--min-recall", "0.9").returncode == 1
    assert run("eval", str(path), "--max-false-block", "0.6").returncode == 0
    text = run("eval", str(path))
    assert "false block e" in text.stdout and "missed      d" in text.stdout
    assert "judging" in text.stderr  # the progress bar, on stderr
    # an evaluation is not traffic: nothing was written to the audit log
    assert json.loads(run("status", "--json").stdout)["decisions"]["deny"] == 0


def test_eval_refuses_unlabelled_lines(tmp_path: Path) -> None:
    path = _corpus(tmp_path, [{"kind": "shell", "text": "ls"}])
    r = run("eval", str(path))
    assert r.returncode == 3 and "line 1: expect/expected" in r.stderr


def test_eval_on_the_project_corpus_matches_its_test() -> None:
    data = Path(__file__).parents[1] / "data" / "corpus.jsonl"
    r = run("eval", str(data), "--json", "--min-recall", "0.97", "--max-false-block", "0.03")
    assert r.returncode == 0, r.stdout[-2000:]
    assert json.loads(r.stdout)["overall"]["actions"] == sum(
        1 for line in data.read_text().splitlines() if line.strip()
    )


def candidate_constitution(tmp_path: Path) -> Path:
    """The default constitution with two edits: DROP is denied outright (stricter), and sudo
    becomes HIGH (so it needs a human)."""
    from magistrate.constitution import loader

    text = (Path(loader.__file__).parent / "default.yaml").read_text()
    drop = "  - id: sql-drop\n    article: no-destruction\n    risk: CRITICAL\n"
    sudo = "  - id: privileged-command\n    article: least-privilege\n    risk: MEDIUM\n"
    assert drop in text and sudo in text
    text = text.replace(drop, drop + "    decision: deny\n")
    text = text.replace(sudo, sudo.replace("MEDIUM", "HIGH"))
    path = tmp_path / "candidate.yaml"
    path.write_text(text)
    return path


def test_replay_shows_what_a_constitution_edit_would_change(tmp_path: Path) -> None:
    secret = 'PGPASSWORD=hunter2hunter2 psql -h db.prod -c "DROP TABLE customers"'
    assert run("check", "-p", "agent:a", secret).returncode == 2
    assert run("check", "-p", "agent:a", "sudo systemctl restart nginx").returncode == 0
    assert run("check", "-p", "agent:a", "ls -la").returncode == 0
    assert run("check", "-p", "agent:b", "-k", "sql", "DROP TABLE customers").returncode == 2
    candidate = candidate_constitution(tmp_path)
    r = run("replay", "--constitution", str(candidate), "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["records"] == 4 and report["changed"] == 3
    assert report["decision_flips"] == {"escalate→deny": 2, "allow→escalate": 1}
    assert report["tier_changes"] == {"MEDIUM→HIGH": 1}
    rules = {c["rule"]: c for c in report["by_rule"]}
    assert set(rules) == {"sql-drop", "privileged-command"}
    assert rules["sql-drop"]["count"] == 2
    assert rules["sql-drop"]["flips"] == {"escalate→deny": 2}
    examples = [e["action"] for e in rules["sql-drop"]["examples"]]
    assert 'PGPASSWORD=*** psql -h db.prod -c "DROP TABLE customers"' in examples
    assert "hunter2" not in r.stdout  # secrets stay masked
    assert report["baseline"]["version"] != report["candidate"]["version"]
    assert report["recorded_differs_from_baseline"] == 0
    # filters: one principal, one rule, a time window
    only_b = json.loads(
        run("replay", "--constitution", str(candidate), "--principal", "agent:b", "--json").stdout
    )
    assert (only_b["records"], only_b["changed"]) == (1, 1)
    sudo = run("replay", "--constitution", str(candidate), "--rule", "privileged-command", "--json")
    assert json.loads(sudo.stdout)["decision_flips"] == {"allow→escalate": 1}
    future = run("replay", "--constitution", str(candidate), "--since", "2999-01-01", "--json")
    assert json.loads(future.stdout)["records"] == 0
    text = run("replay", "--constitution", str(candidate))
    assert "3 decision(s) would change" in text.stdout
    assert "sql-drop  2 change(s): escalate→deny 2" in text.stdout
    assert "replaying" in text.stderr and "hunter2" not in text.stdout + text.stderr
    # nothing was written: the audit log still holds the four recorded verdicts
    assert sum(json.loads(run("status", "--json").stdout)["decisions"].values()) == 4


def test_replay_refuses_an_invalid_candidate(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nrules: [{id: r, article: nope, risk: SEVERE}]\n")
    r = run("replay", "--constitution", str(bad))
    assert r.returncode == 3 and "bad.yaml" in r.stderr


def test_status_reads_suspensions_from_a_shared_redis_ledger() -> None:
    import uuid

    import redis

    from tests.servers import REDIS_URL

    prefix = f"h-status-{uuid.uuid4().hex[:8]}:"
    ENV["MAGISTRATE_REDIS_URL"] = REDIS_URL
    ENV["MAGISTRATE_REDIS_PREFIX"] = prefix
    try:
        assert run("check", "-p", "agent:r", "rm -rf /").returncode == 1
        assert run("check", "-p", "agent:s", "ls").returncode == 0
        info = json.loads(run("status", "--json").stdout)
        assert info["suspended_source"] == "redis"
        assert info["suspended"] == [{"principal": "agent:r", "reason": "denied a CRITICAL action"}]
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(match=f"{prefix}*"):
            client.delete(key)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_standing_and_replay_queries_on_both_backends(
    backend: str, tmp_path: Path, detector: RiskDetector
) -> None:
    """The aggregate and browse queries run as written on SQLite and PostgreSQL."""
    import contextlib

    from magistrate import Action, Governor
    from magistrate.audit import AuditLog
    from magistrate.db import AuditFilter, open_database
    from magistrate.ops.browse import Search, record, search
    from magistrate.ops.replay import count, recorded, replay
    from magistrate.ops.standing import decision_counts, principals
    from tests.stores import pg_schema, pg_url

    with contextlib.ExitStack() as stack:
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path}/b.db"
        else:
            url = pg_url(stack.enter_context(pg_schema()))
        db = open_database(url)
        stack.callback(db.close)
        audit = AuditLog(db, spool_dir=tmp_path / "spool")
        gov = Governor(detector=detector, audit=audit)
        gov.check(Action(kind="shell", text="ls", principal="agent:a"))
        gov.check(Action(kind="shell", text="rm -rf /", principal="agent:b"))
        gov.check(Action(kind="sql", text="DROP TABLE t_users", principal="agent:a"))
        audit.flush()
        counts = decision_counts(db)
        assert counts["by_decision"]["allow"] == 1 and counts["by_decision"]["deny"] == 1
        assert sum(counts["by_risk"].values()) == 3
        found = principals(db)
        assert found["agent:b"].suspended and not found["agent:a"].suspended
        assert found["agent:a"].decisions == {"allow": 1, "escalate": 1}
        hits = search(db, Search(AuditFilter(), rule="delete-root-or-home"))["records"]
        assert [h["principal"] for h in hits] == ["agent:b"]
        detail = record(db, hits[0]["row_id"])
        assert detail is not None and detail["chain_position"]["hash_matches"]
        assert count(db, AuditFilter()) == 3
        same = Governor(detector=detector)
        report = replay(same, Governor(detector=detector), recorded(db, AuditFilter()))
        assert (report.records, report.changed, report.recorded_differs) == (3, 0, 0)
        gov.close()
