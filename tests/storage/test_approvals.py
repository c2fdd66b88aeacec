"""Human approvals on SQLite and PostgreSQL: requests, who may resolve, binding, expiry, the
race between two approvers, waiting, the Maestro's escalation modes, and the CLI."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from magistrate import Action, Decision, Governor, Maestro, RiskDetector
from magistrate.approvals import ApprovalError, Approvals
from magistrate.audit import AuditLog
from magistrate.constitution import parse_constitution
from magistrate.db import AuditFilter, Database, open_database

DROP = "DROP TABLE customers"


def make(detector: RiskDetector, db: Database, tmp_path: Path, ttl: float = 900.0) -> Governor:
    audit = AuditLog(db, spool_dir=tmp_path / "spool", durability="sync")
    approvals = Approvals(db, {"alice", "bob", "agent:etl"}, ttl_s=ttl, audit=audit)
    return Governor(detector=detector, audit=audit, approvals=approvals)


def drop(principal: str = "agent:etl") -> Action:
    return Action(kind="sql", text=DROP, principal=principal)


def test_escalation_creates_a_request(detector: RiskDetector, db: Database, tmp_path: Path) -> None:
    gov = make(detector, db, tmp_path)
    v = gov.check(drop())
    assert v.decision is Decision.ESCALATE and v.approval_id
    req = gov.approvals.get(v.approval_id)  # type: ignore[union-attr]
    assert (req.status, req.principal, req.risk, req.fingerprint) == (
        "pending",
        "agent:etl",
        "CRITICAL",
        v.fingerprint,
    )
    assert req.constitution_version == gov.version and req.citations[0]["rule_id"] == "sql-drop"
    assert 899 <= req.expires_at - req.requested_at <= 901
    again = gov.check(drop())
    assert again.approval_id == v.approval_id  # an identical pending request is reused


def test_who_may_resolve(detector: RiskDetector, db: Database, tmp_path: Path) -> None:
    gov = make(detector, db, tmp_path)
    approvals = gov.approvals
    assert approvals is not None
    request_id = gov.check(drop()).approval_id
    with pytest.raises(ApprovalError, match="not an approver"):
        approvals.approve(request_id, by="mallory")
    with pytest.raises(ApprovalError, match="own request"):
        approvals.approve(request_id, by="agent:etl")
    approvals.deny(request_id, by="alice", note="no")
    with pytest.raises(ApprovalError, match="already denied by alice"):
        approvals.approve(request_id, by="bob")
    with pytest.raises(ApprovalError, match="no approval request"):
        approvals.approve("apr_missing", by="bob")
    assert gov.check(drop()).decision is Decision.ESCALATE  # denied: a new request is needed


def test_who_may_resolve_with_a_key(detector: RiskDetector, db: Database, tmp_path: Path) -> None:
    """The approver a key proves is the key's name; its role must be approver or admin, it
    must be active, and it must not be the requester's."""
    from magistrate.keys import Keys

    audit = AuditLog(db, spool_dir=tmp_path / "spool", durability="sync")
    gov = Governor(detector=detector, audit=audit, approvals=Approvals(db, audit=audit))
    approvals = gov.approvals
    assert approvals is not None
    keys = Keys(db)
    agent, _ = keys.create("agent", "agent:etl")
    own, _ = keys.create("approver", "agent:etl")
    carol, _ = keys.create("approver", "carol")
    request_id = gov.check(drop()).approval_id
    assert request_id is not None
    with pytest.raises(ApprovalError, match="has role agent") as info:
        approvals.approve(request_id, agent)
    assert info.value.reason == "forbidden"
    with pytest.raises(ApprovalError, match="own request"):
        approvals.approve(request_id, own)
    with pytest.raises(ApprovalError, match="not an approver"):  # a bare name: nothing
        approvals.approve(request_id, "carol")
    keys.revoke(carol.id)
    revoked = next(k for k in keys.list(include_revoked=True) if k.id == carol.id)
    with pytest.raises(ApprovalError, match="revoked"):
        approvals.approve(request_id, revoked)
    dave, _ = keys.create("admin", "dave")
    assert approvals.approve(request_id, dave, note="ok").resolved_by == "dave"


def test_an_approval_covers_one_identical_call_once(
    detector: RiskDetector, db: Database, tmp_path: Path
) -> None:
    gov = make(detector, db, tmp_path)
    approvals = gov.approvals
    assert approvals is not None
    request_id = gov.check(drop()).approval_id
    approvals.approve(request_id, by="alice", note="maintenance window")
    other_principal = gov.check(drop("agent:other"))
    assert other_principal.decision is Decision.ESCALATE
    other_action = gov.check(Action(kind="sql", text="DROP TABLE orders", principal="agent:etl"))
    assert other_action.decision is Decision.ESCALATE
    used = gov.check(drop())
    assert used.decision is Decision.ALLOW and used.approval_id == request_id
    assert "approved by alice" in used.reasons[-1]
    assert approvals.get(request_id).status == "used"
    assert gov.check(drop()).decision is Decision.ESCALATE  # second use needs a new approval


def test_a_new_constitution_version_needs_a_new_approval(
    detector: RiskDetector, db: Database, tmp_path: Path
) -> None:
    gov = make(detector, db, tmp_path)
    request_id = gov.check(drop()).approval_id
    gov.approvals.approve(request_id, by="alice")  # type: ignore[union-attr]
    text = detector.constitution.source
    changed = parse_constitution(
        Path(__file__)
        .parents[2]
        .joinpath("src/magistrate/constitution/default.yaml")
        .read_text()
        .replace("Magistrate default constitution", "Amended constitution"),
        text,
    )
    newer = Governor(RiskDetector(changed).constitution, audit=gov.audit, approvals=gov.approvals)
    assert newer.version != gov.version
    assert newer.check(drop()).decision is Decision.ESCALATE


def test_expired_requests_are_denied(detector: RiskDetector, db: Database, tmp_path: Path) -> None:
    gov = make(detector, db, tmp_path, ttl=0.2)
    request_id = gov.check(drop()).approval_id
    time.sleep(0.3)
    with pytest.raises(ApprovalError, match="expired"):
        gov.approvals.approve(request_id, by="alice")  # type: ignore[union-attr]
    assert gov.approvals.get(request_id).effective_status == "expired"  # type: ignore[union-attr]
    waited = asyncio.run(gov.wait_for_approval(request_id, timeout=1))
    assert waited.status == "expired"


def test_two_approvers_at_once_exactly_one_wins(
    detector: RiskDetector, db: Database, tmp_path: Path
) -> None:
    gov = make(detector, db, tmp_path)
    approvals = gov.approvals
    assert approvals is not None
    for _ in range(5):
        request_id = gov.check(
            Action(kind="sql", text=f"DROP TABLE t{_}", principal="r")
        ).approval_id
        outcomes: list[str] = []
        barrier = threading.Barrier(2)

        def resolve(
            by: str,
            approve: bool,
            rid: str = request_id,
            barrier: threading.Barrier = barrier,
            outcomes: list[str] = outcomes,
        ) -> None:
            barrier.wait()
            try:
                (approvals.approve if approve else approvals.deny)(rid, by=by)
                outcomes.append(f"won:{by}")
            except ApprovalError as exc:
                outcomes.append(f"refused:{exc}")

        threads = [
            threading.Thread(target=resolve, args=("alice", True)),
            threading.Thread(target=resolve, args=("bob", False)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sum(o.startswith("won") for o in outcomes) == 1, outcomes
        assert any("already" in o for o in outcomes), outcomes


def test_resolutions_are_in_the_audit_log(
    detector: RiskDetector, db: Database, tmp_path: Path
) -> None:
    gov = make(detector, db, tmp_path)
    request_id = gov.check(drop()).approval_id
    gov.approvals.approve(request_id, by="bob", note="ticket CHG-1")  # type: ignore[union-attr]
    records = [json.loads(r.body) for r in db.audit_rows(AuditFilter(type="approval"))]
    assert len(records) == 1
    assert (records[0]["resolved_by"], records[0]["note"], records[0]["status"]) == (
        "bob",
        "ticket CHG-1",
        "approved",
    )


def test_waiting_returns_when_a_human_approves(
    detector: RiskDetector, db: Database, tmp_path: Path
) -> None:
    gov = make(detector, db, tmp_path)
    request_id = gov.check(drop()).approval_id
    assert request_id is not None
    threading.Timer(
        0.3,
        gov.approvals.approve,
        args=(request_id,),  # type: ignore[union-attr]
        kwargs={"by": "alice"},
    ).start()
    started = time.monotonic()
    request = asyncio.run(gov.wait_for_approval(request_id, timeout=10))
    assert request.status == "approved" and time.monotonic() - started < 5
    timed_out = asyncio.run(gov.wait_for_approval(gov.check(drop("x")).approval_id, timeout=0.2))  # type: ignore[arg-type]
    assert timed_out.status == "pending"


def test_maestro_waits_then_runs_or_denies(
    detector: RiskDetector, db: Database, tmp_path: Path
) -> None:
    gov = make(detector, db, tmp_path)
    ran: list[str] = []

    async def agent(task: object) -> str:
        ran.append(str(task))
        return "dropped"

    waiting = Maestro(gov, escalation="wait", approval_timeout=10)

    def approve_soon() -> None:
        for _ in range(100):
            pending = gov.approvals.list("pending")  # type: ignore[union-attr]
            if pending:
                gov.approvals.approve(pending[0].id, by="alice")  # type: ignore[union-attr]
                return
            time.sleep(0.05)

    threading.Thread(target=approve_soon).start()
    response = asyncio.run(waiting.execute_with_governance(agent, {"kind": "sql", "text": DROP}))
    assert response.success and response.result == "dropped" and ran
    impatient = Maestro(gov, escalation="wait", approval_timeout=0.2)
    response = asyncio.run(impatient.execute_with_governance(agent, {"kind": "sql", "text": DROP}))
    assert not response.success and "timed out" in (response.error or "")
    returning = Maestro(gov, escalation="return")
    response = asyncio.run(returning.execute_with_governance(agent, {"kind": "sql", "text": DROP}))
    assert not response.success and response.approval_id and len(ran) == 1


def test_cli_resolves_only_with_an_approver_key(tmp_path: Path) -> None:
    """Issue 12, item 3. The reproduction: an agent ran `magistrate approvals approve ID --by
    alice` with alice listed in MAGISTRATE_APPROVERS, and its own escalation was approved. A
    name (`--by`, MAGISTRATE_APPROVERS) now approves nothing; an approver or admin key does,
    and the approver is the key's name; nobody approves their own request."""
    env = {
        **os.environ,
        "MAGISTRATE_DATABASE_URL": f"sqlite:///{tmp_path}/c.db",
        "MAGISTRATE_APPROVERS": "alice",
        "MAGISTRATE_SPOOL_DIR": str(tmp_path / "spool"),
    }
    env.pop("MAGISTRATE_KEY", None)

    def cli(*args: str, key: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "magistrate", *args],
            env={**env, "MAGISTRATE_KEY": key} if key else env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,  # no terminal: no prompt
        )

    def new_key(role: str, name: str, admin: str | None) -> str:
        r = cli("keys", "create", "--role", role, "--name", name, "--json", key=admin)
        assert r.returncode == 0, r.stderr
        token: str = json.loads(r.stdout)["key"]
        return token

    root = new_key("admin", "root", None)  # the first key of an empty store needs none
    alice = new_key("approver", "alice", root)
    agent = new_key("agent", "agent:etl", root)
    agent_as_approver = new_key("approver", "agent:etl", root)
    verdict = json.loads(
        cli("check", "--json", "--kind", "sql", "--principal", "agent:etl", DROP).stdout
    )
    request_id = verdict["approval_id"]
    listed = json.loads(cli("approvals", "list", "--status", "pending", "--json").stdout)
    assert [r["id"] for r in listed] == [request_id]

    # the reproduction: a name alone, even a configured one, approves nothing
    refused = cli("approvals", "approve", request_id, "--by", "alice")
    assert refused.returncode == 1 and "needs an approver or admin key" in refused.stderr
    refused = cli("approvals", "approve", request_id, key=agent)  # an agent's own key
    assert refused.returncode == 1 and "has role agent" in refused.stderr
    refused = cli("approvals", "approve", request_id, key="mgk_0123456789abcdef_" + "x" * 43)
    assert refused.returncode == 1 and "invalid or revoked" in refused.stderr
    refused = cli("approvals", "approve", request_id, key=agent_as_approver)  # its own request
    assert refused.returncode == 1 and "cannot resolve their own request" in refused.stderr
    refused = cli("approvals", "approve", request_id, "--by", "bob", key=alice)
    assert refused.returncode == 1 and "not the key's name" in refused.stderr
    assert json.loads(cli("approvals", "show", request_id, "--json").stdout)["status"] == "pending"

    ok = cli("approvals", "approve", request_id, "--note", "fine", key=alice)
    assert ok.returncode == 0 and "approved by alice" in ok.stdout, ok.stderr
    key_file = tmp_path / "alice.key"
    key_file.write_text(alice + "\n")
    again = cli("approvals", "deny", request_id, "--key-file", str(key_file))
    assert again.returncode == 1 and "already approved" in again.stderr
    shown = json.loads(cli("approvals", "show", request_id, "--json").stdout)
    assert (shown["status"], shown["resolved_by"], shown["note"]) == ("approved", "alice", "fine")
    allowed = cli("check", "--kind", "sql", "--principal", "agent:etl", DROP)
    assert allowed.returncode == 0
    assert cli("audit", "verify").returncode == 0


def test_cli_keys_need_an_admin_key_but_the_first(tmp_path: Path) -> None:
    """Issue 12, item 3: `magistrate keys create --role admin` was an agent's way in."""
    env = {**os.environ, "MAGISTRATE_DATABASE_URL": f"sqlite:///{tmp_path}/k.db"}
    env.pop("MAGISTRATE_KEY", None)

    def keys(*args: str, key: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "magistrate", "keys", *args],
            env={**env, "MAGISTRATE_KEY": key} if key else env,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )

    first = keys("create", "--role", "agent", "--name", "a1", "--json")
    assert first.returncode == 3 and "first must be an admin key" in first.stderr
    root = json.loads(keys("create", "--role", "admin", "--name", "root", "--json").stdout)["key"]
    grab = keys("create", "--role", "admin", "--name", "me", "--json")  # no key: refused
    assert grab.returncode == 1 and "creating a key needs an admin key" in grab.stderr
    approver = json.loads(
        keys("create", "--role", "approver", "--name", "alice", "--json", key=root).stdout
    )["key"]
    grab = keys("create", "--role", "admin", "--name", "me", key=approver)
    assert grab.returncode == 1 and "has role approver" in grab.stderr
    assert keys("revoke", "root", key=approver).returncode == 1
    assert keys("revoke", "alice").returncode == 1
    assert keys("revoke", "alice", key=root).returncode == 0
    names = [k["name"] for k in json.loads(keys("list", "--json").stdout)]
    assert names == ["root"]


def test_cli_lifts_a_suspension_only_with_an_approver_key(tmp_path: Path) -> None:
    """Issue 12, item 3: lifting a suspension, like approving, needs an approver's key; the
    principal's own key does not lift its own suspension."""
    from magistrate.keys import Keys
    from tests.servers import REDIS_URL, redis_prefix

    with redis_prefix() as prefix:
        env = {
            **os.environ,
            "MAGISTRATE_DATABASE_URL": f"sqlite:///{tmp_path}/l.db",
            "MAGISTRATE_SPOOL_DIR": str(tmp_path / "spool"),
            "MAGISTRATE_REDIS_URL": REDIS_URL,
            "MAGISTRATE_REDIS_PREFIX": prefix,
            "MAGISTRATE_APPROVERS": "agent:x",
        }
        env.pop("MAGISTRATE_KEY", None)

        def cli(*args: str, key: str | None = None) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "magistrate", *args],
                env={**env, "MAGISTRATE_KEY": key} if key else env,
                capture_output=True,
                text=True,
                timeout=120,
                cwd=tmp_path,
                stdin=subprocess.DEVNULL,
            )

        db = open_database(f"sqlite:///{tmp_path}/l.db")
        keys = Keys(db)
        _, own = keys.create("approver", "agent:x")
        _, alice = keys.create("approver", "alice")
        db.close()
        assert cli("check", "--principal", "agent:x", "rm -rf /").returncode == 1
        suspended = cli("check", "--json", "--principal", "agent:x", "ls")
        assert suspended.returncode == 1 and "suspended" in suspended.stdout
        refused = cli("approvals", "lift-suspension", "agent:x")
        assert refused.returncode == 1 and "needs an approver or admin key" in refused.stderr
        refused = cli("approvals", "lift-suspension", "agent:x", key=own)
        assert refused.returncode == 1 and "own suspension" in refused.stderr
        lifted = cli("approvals", "lift-suspension", "agent:x", "--note", "rotated", key=alice)
        assert lifted.returncode == 0 and "by alice" in lifted.stdout, lifted.stderr
        assert cli("check", "--principal", "agent:x", "ls").returncode == 0
        records = [json.loads(line) for line in cli("audit", "export").stdout.splitlines()]
        lifts = [(r["principal"], r["resolved_by"]) for r in records if r.get("resolved_by")]
        assert lifts == [("agent:x", "alice")]
