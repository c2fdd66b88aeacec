"""Issue 12, item 8: bad input gets an answer, never a crash. Each test is the reproduction of a
finding: a body nested ~1,000 deep and a lone surrogate in `id` answered 500 (the latter after
its verdict was audited); a `--jsonl` line of invalid UTF-8, a 4,300-digit integer or deep
nesting aborted the whole run with a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest

from magistrate import Governor, RiskDetector
from magistrate.approvals import Approvals
from magistrate.audit import AuditLog
from magistrate.config import Settings
from magistrate.db import AuditFilter, Database, open_database
from magistrate.errors import InvalidAction
from magistrate.jsonin import MalformedJSON, parse
from magistrate.keys import Keys
from magistrate.server import create_app
from tests.servers import ThreadServer, bearer


@dataclass
class Live:
    url: str
    keys: Keys
    governor: Governor
    db: Database

    def client(self, role: str = "agent", name: str | None = None) -> httpx2.Client:
        _, token = self.keys.create(role, name or f"{role}-{uuid.uuid4().hex[:8]}")
        return httpx2.Client(base_url=self.url, headers=bearer(token), timeout=30)

    def audited(self) -> int:
        assert self.governor.audit is not None and self.governor.audit.flush(10)
        return len(list(self.db.audit_rows(AuditFilter(), 100_000)))


@pytest.fixture(scope="module")
def live(detector: RiskDetector, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    root = tmp_path_factory.mktemp("bad-input")
    db = open_database(f"sqlite:///{root}/m.db")
    audit = AuditLog(db, spool_dir=root / "spool")
    governor = Governor(detector=detector, audit=audit, approvals=Approvals(db, audit=audit))
    settings = Settings(
        database_url=f"sqlite:///{root}/m.db", spool_dir=root / "spool", key_cache_s=0
    )
    with ThreadServer(create_app(settings, governor=governor)) as server:
        yield Live(server.url, Keys(db), governor, db)
    governor.close()


def _nested(depth: int) -> str:
    return '{"kind":"tool","tool":"t","args":' + '{"a":' * depth + "1" + "}" * depth + "}"


# ---------------------------------------------------------------------- HTTP
@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_a_body_nested_past_the_limit_is_422_not_500(live: Live, depth: int) -> None:
    with live.client() as c:
        for path, body in (
            ("/v1/check", _nested(depth)),
            ("/v1/check/batch", '{"actions":[' + _nested(depth) + "]}"),
            ("/v1/check", "[" * depth + "]" * depth),
        ):
            r = c.post(path, content=body, headers={"content-type": "application/json"})
            assert r.status_code == 422, (path, r.status_code, r.text[:200])
            assert r.json()["field"] == "body" and "nested too deeply" in r.json()["detail"]
        # just inside the action's own limit still gets a verdict
        r = c.post("/v1/check", content=_nested(30))
        assert r.status_code == 200 and r.json()["decision"] in ("allow", "escalate", "deny")


@pytest.mark.parametrize(
    "field", ["id", "text", "tool", "principal", "role", "session", "target", "args", "context"]
)
def test_a_lone_surrogate_in_any_field_is_422_before_anything_is_audited(
    live: Live, field: str
) -> None:
    action: dict[str, object] = {"kind": "tool", "tool": "read_file", "text": "x"}
    action[field] = {"k": "\ud800"} if field in ("args", "context") else "x\ud800"
    body = json.dumps(action)  # ASCII: the surrogate travels as the escape \ud800
    assert "\\ud800" in body
    with live.client("admin") as c:
        before = live.audited()
        r = c.post("/v1/check", content=body)
        assert r.status_code == 422, r.text[:300]
        assert r.json()["field"] in (field, "principal")
        assert "surrogate" in r.json()["detail"] or "invisible" in r.json()["detail"]
        r = c.post("/v1/check/batch", content='{"actions":[' + body + "]}")
        assert r.status_code == 422, r.text[:300]
        assert live.audited() == before  # nothing was judged, nothing recorded


def test_an_integer_of_thousands_of_digits_is_422(live: Live) -> None:
    with live.client() as c:
        r = c.post("/v1/check", content='{"kind":"shell","text":"ls","id":' + "9" * 4301 + "}")
        assert r.status_code == 422 and "4300 digits" in r.json()["detail"]


def test_approving_and_lifting_accept_a_body_without_a_json_content_type(live: Live) -> None:
    """Issue 16: approve/deny/lift-suspension read their body like /v1/check does."""
    with live.client() as agent, live.client("approver") as approver:
        pending = agent.post("/v1/check", json={"kind": "sql", "text": "DROP TABLE t1"}).json()
        assert pending["decision"] == "escalate"
        r = approver.post(
            f"/v1/approvals/{pending['approval_id']}/approve",
            content=b'{"note": "backup taken"}',
            headers={"content-type": "text/plain"},
        )
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["note"]) == ("approved", "backup taken")
        other = agent.post("/v1/check", json={"kind": "sql", "text": "DROP TABLE t2"}).json()
        r = approver.post(f"/v1/approvals/{other['approval_id']}/deny", content=b'{"note":"no"}')
        assert r.status_code == 200 and r.json()["status"] == "denied"
        bad = approver.post(f"/v1/approvals/{other['approval_id']}/deny", content=b'{"x":1}')
        assert bad.status_code == 422 and bad.json()["field"] == "x"
        name = f"agent:s-{uuid.uuid4().hex[:6]}"
        live.governor.check({"kind": "shell", "text": "rm -rf /", "principal": name})
        r = approver.post(
            f"/v1/principals/{name}/lift-suspension",
            content=b'{"note": "rotated"}',
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert r.status_code == 200 and r.json()["suspended"] is False, r.text


# ---------------------------------------------------------------------- the parser itself
def test_hostile_megabytes_are_refused_in_milliseconds() -> None:
    """Depth is checked while parsing, which stops at the first level too many: no scan of
    the whole body (a byte pre-scan in Python cost 2.7 s on 16 MiB of escaped quotes)."""
    size = 16 * 1024 * 1024
    for raw in (b"[" * size, b'{"a":' * (size // 5), b'"\\"' * (size // 3) + b"[" * 50):
        started = time.thread_time()  # CPU time of this thread: load elsewhere does not count
        with pytest.raises(InvalidAction):
            parse(raw)
        assert time.thread_time() - started < 0.5


@pytest.mark.parametrize(
    ("raw", "malformed", "fragment"),
    [
        (b"", True, "empty"),
        (b'{"text": "\xff"}', True, "not valid UTF-8"),
        (b"{oops", True, "not valid JSON"),
        (b"[" * 5000 + b"]" * 5000, False, "nested too deeply"),
        (b'{"n": ' + b"1" * 4301 + b"}", False, "4300 digits"),
    ],
)
def test_parse_names_what_is_wrong(raw: bytes, malformed: bool, fragment: str) -> None:
    with pytest.raises(InvalidAction) as info:
        parse(raw)
    assert isinstance(info.value, MalformedJSON) is malformed
    assert fragment in str(info.value)


# ---------------------------------------------------------------------- check --jsonl
def _jsonl(stdin: bytes, tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    env = {
        "MAGISTRATE_DATABASE_URL": f"sqlite:///{tmp_path}/m.db",
        "MAGISTRATE_SPOOL_DIR": str(tmp_path / "spool"),
        "PATH": "/usr/bin:/bin",
    }
    import os

    env["PYTHONPATH"] = os.environ.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "magistrate", "check", "--jsonl", "-"],
        input=stdin,
        capture_output=True,
        timeout=120,
        env=env,
    )


def test_jsonl_bad_lines_get_a_deny_with_an_error_and_the_run_goes_on(tmp_path: Path) -> None:
    lines = [
        b'{"id": 1, "kind": "shell", "text": "ls"}',
        b'{"id": 2, "kind": "shell", "text": "caf\xe9"}',  # Latin-1, not UTF-8
        b'{"id": 3, "kind": "shell", "text": "ls", "n": ' + b"7" * 4301 + b"}",
        b'{"id": 4, "kind": "tool", "tool": "t", "args": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"id": "\\ud800", "kind": "shell", "text": "ls"}',
        b'{"id": "\\ud800", "kind": "shell", "text": 5}',
        b'{"id": 7, "kind": "shell", "text": "echo done"}',
    ]
    r = _jsonl(b"\n".join(lines) + b"\n", tmp_path)
    assert b"Traceback" not in r.stderr, r.stderr.decode()[-2000:]
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(out) == 7
    assert [v["decision"] for v in out] == ["allow"] + ["deny"] * 5 + ["allow"]
    assert all("error" in v for v in out[1:6])
    assert "UTF-8" in out[1]["error"] and "4300 digits" in out[2]["error"]
    assert "nested too deeply" in out[3]["error"] and "surrogate" in out[4]["error"]
    assert [v["id"] for v in out] == [1, None, None, None, None, None, 7]
    assert r.returncode == 3  # some lines were not valid actions


def test_jsonl_skips_blank_lines_and_its_exit_status_sums_up_the_run(tmp_path: Path) -> None:
    """Issue 16: blank lines get no verdict (documented); the exit status is the worst line's,
    with the codes of a single check: 0 all allowed, 2 some escalated, 1 some denied, 3 some
    invalid."""
    allow = b'{"kind": "shell", "text": "ls"}'
    escalate = b'{"kind": "sql", "text": "DROP TABLE customers"}'
    deny = b'{"kind": "shell", "text": "rm -rf /"}'
    r = _jsonl(b"\n\n" + allow + b"\n   \n\t\n" + allow + b"\n\n", tmp_path)
    assert len(r.stdout.splitlines()) == 2 and r.returncode == 0
    assert _jsonl(allow + b"\n" + escalate + b"\n", tmp_path).returncode == 2
    assert _jsonl(escalate + b"\n" + deny + b"\n" + allow, tmp_path).returncode == 1
    assert _jsonl(deny + b"\nnot json\n", tmp_path).returncode == 3
    assert _jsonl(b"", tmp_path).returncode == 0


def test_check_args_and_stdin_errors_are_messages_not_tracebacks(tmp_path: Path) -> None:
    import os

    env = {
        **os.environ,
        "MAGISTRATE_DATABASE_URL": f"sqlite:///{tmp_path}/m.db",
        "MAGISTRATE_SPOOL_DIR": str(tmp_path / "spool"),
    }
    for args, stdin, fragment in (
        (["--tool", "t", "--args", "[" * 5000 + "]" * 5000], b"", "nested too deeply"),
        (["--tool", "t", "--args", '{"n": ' + "1" * 4301 + "}"], b"", "4300 digits"),
        (["-"], b"ls \xff", "not valid UTF-8"),
    ):
        r = subprocess.run(
            [sys.executable, "-m", "magistrate", "check", *args],
            input=stdin,
            capture_output=True,
            timeout=120,
            env=env,
        )
        assert r.returncode == 3 and fragment in r.stderr.decode(), r.stderr.decode()[-500:]
        assert b"Traceback" not in r.stderr
