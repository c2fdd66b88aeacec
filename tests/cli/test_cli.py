"""The `magistrate` command, run as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import Cli

run = Cli()
ENV = run.env


@pytest.fixture(autouse=True)
def isolated_store(tmp_path: Path) -> None:
    """Each test's CLI runs write their audit log and approvals under a temporary folder."""
    run.isolate(tmp_path)


def test_check_exit_codes_and_line() -> None:
    r = run("check", "rm -rf /var/lib/postgresql")
    assert r.returncode == 2
    assert r.stdout.startswith("CRITICAL  escalate  art. 2")
    assert run("check", "ls -la").returncode == 0
    # A CRITICAL deny suspends its principal, and the suspension is recorded in the database:
    # it outlives this process (issue 12 item 6), so use a principal of its own.
    assert run("check", "-p", "agent:wrecker", "rm -rf /").returncode == 1
    assert run("check", "-p", "agent:wrecker", "ls -la").returncode == 1
    assert run("check", "--kind", "sql", "DROP TABLE customers").returncode == 2


def test_plain_check_prints_the_approval_id_of_an_escalation() -> None:
    """Issue 16: the id an approver needs is on the screen, not only in --json."""
    r = run("check", "--kind", "sql", "DROP TABLE customers")
    assert r.returncode == 2
    line = r.stdout.splitlines()[1]
    approval_id = line.split()[1]
    assert approval_id.startswith("apr_") and "pending" in line
    shown = json.loads(run("approvals", "show", approval_id, "--json").stdout)
    assert shown["status"] == "pending" and "DROP TABLE customers" in shown["summary"]
    assert "approval" not in run("check", "ls").stdout


def test_check_errors_exit_3() -> None:
    r = run("check", "--kind", "bogus", "x")
    assert r.returncode == 3 and "kind" in r.stderr
    assert run("check", "--no-such-option").returncode == 3
    assert run("check").returncode == 3
    r = run("check", "--tool", "t", "--args", "{not json")
    assert r.returncode == 3 and "--args" in r.stderr


def test_check_json() -> None:
    r = run(
        "check",
        "--json",
        "--kind",
        "tool",
        "--tool",
        "read_file",
        "--args",
        '{"path": "~/.aws/credentials"}',
        "--principal",
        "agent:x",
    )
    verdict = json.loads(r.stdout)
    assert r.returncode == 2
    assert verdict["decision"] == "escalate" and verdict["risk"] == "HIGH"
    assert verdict["citations"][0]["rule_id"] == "read-secrets"
    assert verdict["principal"] == "agent:x"


def test_check_jsonl_one_verdict_per_line_in_order() -> None:
    lines = [
        json.dumps({"id": "a", "kind": "shell", "text": "rm -rf /"}),
        "this is not json",
        json.dumps({"id": 7, "kind": "sql", "text": "SELECT 1"}),
        json.dumps({"id": "b", "kind": "nonsense", "text": "x"}),
        "",
        json.dumps({"id": "c", "kind": "prompt", "text": "summarize", "expected": "allow"}),
    ]
    r = run("check", "--jsonl", "-", stdin="\n".join(lines) + "\n")
    assert r.returncode == 3, r.stderr  # the worst line: invalid ones (exit 3 as for `check`)
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [v["id"] for v in out] == ["a", None, 7, "b", "c"]
    assert [v["decision"] for v in out] == ["deny", "deny", "allow", "deny", "allow"]
    assert "error" in out[1] and "error" in out[3]
    assert all({"id", "decision", "risk", "citations"} <= v.keys() for v in out)
    # each line is judged on its own: the deny on line 1 does not suspend line 3's principal


def test_check_jsonl_file(tmp_path: Path) -> None:
    f = tmp_path / "actions.jsonl"
    f.write_text(json.dumps({"id": 1, "kind": "shell", "text": "ls"}) + "\n")
    r = run("check", "--jsonl", str(f))
    assert json.loads(r.stdout)["decision"] == "allow"
    assert run("check", "--jsonl", str(tmp_path / "missing.jsonl")).returncode == 3


def test_demo_status_and_constitution(tmp_path: Path) -> None:
    r = run("demo", "--json")
    rows = json.loads(r.stdout)
    assert len(rows) == 10 and {row["operation"] for row in rows} >= {"Read docs", "Run tests"}
    assert run("status").returncode == 0
    status = json.loads(run("status", "--json").stdout)
    assert status["constitution"]["rules"] > 50
    shown = run("constitution", "show")
    assert "Art. 2" in shown.stdout and "delete-root-or-home" in shown.stdout
    bad = tmp_path / "c.yaml"
    bad.write_text("name: x\narticles: []\nrules:\n  - {id: r, article: nope, risk: LOW}\n")
    r = run("constitution", "validate", str(bad))
    assert r.returncode == 3 and "unknown article" in r.stderr and "rule 'r'" in r.stderr
    import magistrate.constitution as pkg
    from magistrate.constitution.loader import DEFAULT_FILE

    default = Path(pkg.__file__).parent / DEFAULT_FILE
    r = run("constitution", "validate", str(default))
    assert r.returncode == 0 and r.stdout.startswith("valid:")


def test_shadow_mode_from_environment() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "magistrate", "check", "--json", "rm -rf /"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**ENV, "MAGISTRATE_MODE": "shadow"},
    )
    verdict = json.loads(r.stdout)
    assert r.returncode == 0 and verdict["would_decision"] == "deny"


def test_every_cli_check_is_audited(tmp_path: Path) -> None:
    run("check", "ls")
    lines = "\n".join(json.dumps({"id": i, "kind": "shell", "text": f"echo {i}"}) for i in range(5))
    run("check", "--jsonl", "-", stdin=lines)
    exported = [json.loads(line) for line in run("audit", "export").stdout.splitlines()]
    assert len(exported) == 6 and exported[0]["text"] == "ls"
    assert [e["action_id"] for e in exported[1:]] == list(range(5))
    verified = run("audit", "verify")
    assert verified.returncode == 0 and "6 records, intact" in verified.stdout
    tail = run("audit", "tail", "-n", "2").stdout.splitlines()
    assert len(tail) == 2 and "echo 4" in tail[-1]
    denied = run("audit", "export", "--decision", "deny", "--since", "1h").stdout
    assert denied == ""


def test_serve_creates_and_prints_an_admin_key_on_first_start_only(tmp_path: Path) -> None:
    import httpx2

    from tests.servers import ProcessServer, bearer

    env = {
        "MAGISTRATE_DATABASE_URL": f"sqlite:///{tmp_path}/m.db",
        "MAGISTRATE_SPOOL_DIR": str(tmp_path / "spool"),
    }
    with ProcessServer(env, tmp_path) as first:
        printed = first.output()
        assert f"http://127.0.0.1:{first.port}/" in printed
        key = next(w for w in printed.split() if w.startswith("mgk_"))
        me = httpx2.get(f"{first.url}/v1/whoami", headers=bearer(key), timeout=10).json()
        assert (me["name"], me["role"]) == ("admin", "admin")
    with ProcessServer(env, tmp_path) as second:
        assert "mgk_" not in second.output()  # shown once, never again
    with ProcessServer(env, tmp_path, workers=2) as third:
        pass
    assert "2 workers without MAGISTRATE_REDIS_URL" in third.output()
