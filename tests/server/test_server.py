"""The HTTP API over real HTTP (uvicorn on a loopback port): keys and roles, verdicts, limits and
their error messages, approvals with long-polling, audit, status, metrics, the decision stream,
and failing closed."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest

from magistrate import Governor, RiskDetector
from magistrate.approvals import Approvals
from magistrate.audit import AuditLog
from magistrate.config import Settings
from magistrate.db import open_database
from magistrate.keys import Keys
from magistrate.redis_store import RedisTrustLedger, connect
from magistrate.server import create_app
from magistrate.telemetry import Telemetry
from tests.servers import ThreadServer, bearer

MAX_BODY = 2 * 1024 * 1024


@dataclass
class Live:
    url: str
    keys: Keys
    governor: Governor

    def key(self, role: str, name: str | None = None, may_act_as: str | None = None) -> str:
        """A new key (unique name unless given): trust is per principal, tests stay apart."""
        _, token = self.keys.create(role, name or f"{role}-{uuid.uuid4().hex[:8]}", may_act_as)
        return token

    def client(self, key: str | None = None) -> httpx2.Client:
        return httpx2.Client(base_url=self.url, headers=bearer(key) if key else {}, timeout=30)


@pytest.fixture(scope="module")
def live(detector: RiskDetector, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    root = tmp_path_factory.mktemp("server")
    db = open_database(f"sqlite:///{root}/m.db")
    audit = AuditLog(db, spool_dir=root / "spool")
    approvals = Approvals(db, ttl_s=900, audit=audit)
    governor = Governor(detector=detector, audit=audit, approvals=approvals, telemetry=Telemetry())
    settings = Settings(
        database_url=f"sqlite:///{root}/m.db",
        spool_dir=root / "spool",
        max_body_bytes=MAX_BODY,
        key_cache_s=0,
        approval_poll_s=5.0,  # a long-poll that returns sooner was woken, not polled
    )
    with ThreadServer(create_app(settings, governor=governor)) as server:
        yield Live(server.url, Keys(db), governor)
    governor.close()


def check(c: httpx2.Client, **action: Any) -> dict[str, Any]:
    r = c.post("/v1/check", json=action)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


# ---------------------------------------------------------------------- open endpoints, auth
def test_health_readiness_and_spec_need_no_key(live: Live) -> None:
    with live.client() as c:
        assert c.get("/healthz").json() == {"status": "ok"}
        ready = c.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok"}
        spec = c.get("/openapi.json").json()
        assert {
            "/v1/check",
            "/v1/check/batch",
            "/v1/approvals",
            "/v1/approvals/{approval_id}",
            "/v1/approvals/{approval_id}/approve",
            "/v1/approvals/{approval_id}/deny",
            "/v1/audit",
            "/v1/audit/verify",
            "/v1/status",
            "/metrics",
            "/healthz",
            "/readyz",
        } <= set(spec["paths"])
        batch = spec["components"]["schemas"]["BatchIn"]["properties"]["actions"]
        assert batch["maxItems"] == 10_000
        assert "bearerKey" in spec["components"]["securitySchemes"]


def test_no_valid_key_is_401_with_the_reason(live: Live) -> None:
    revoked = live.key("agent")
    live.keys.revoke(live.keys.authenticate(revoked).id)  # type: ignore[union-attr]
    cases = [
        ({}, "missing Authorization: Bearer"),
        ({"Authorization": "Basic YWxpY2U6eA=="}, "must be 'Bearer <key>'"),
        (bearer("mgk_0000000000000000_" + "a" * 43), "invalid or revoked"),
        (bearer("not-a-key"), "invalid or revoked"),
        (bearer(revoked), "invalid or revoked"),
    ]
    with live.client() as c:
        for headers, reason in cases:
            r = c.post("/v1/check", json={"kind": "shell", "text": "ls"}, headers=headers)
            assert r.status_code == 401, headers
            assert reason in r.json()["detail"]
            assert r.headers["www-authenticate"].startswith("Bearer")


def test_a_key_can_be_verified_without_using_it(live: Live) -> None:
    name = f"approver-{uuid.uuid4().hex[:6]}"
    token = live.key("approver", name)
    with live.client() as c:
        ok = c.post("/v1/keys/verify", json={"key": token}).json()
        assert (ok["valid"], ok["name"], ok["role"]) == (True, name, "approver")
        assert "hash" not in ok
        bad = c.post("/v1/keys/verify", json={"key": token[:-1] + "x"})
        assert bad.status_code == 200 and bad.json()["valid"] is False
        assert c.post("/v1/keys/verify", json={"key": "k" * 201}).status_code == 422


def test_roles_are_enforced_with_403_naming_what_is_needed(live: Live) -> None:
    agent, approver = live.key("agent"), live.key("approver")
    with live.client(agent) as c:
        r = c.get("/v1/approvals")
        assert r.status_code == 403 and "needs an approver or admin key" in r.json()["detail"]
        assert c.post("/v1/approvals/apr_x/approve", json={}).status_code == 403
        assert c.get("/v1/audit").status_code == 403
        assert c.get("/v1/events").status_code == 403
    with live.client(approver) as c:
        r = c.post("/v1/check", json={"kind": "shell", "text": "ls"})
        assert r.status_code == 403 and "needs an agent or admin key" in r.json()["detail"]
        assert c.get("/v1/audit/verify").status_code == 403
        assert c.get("/v1/approvals").status_code == 200
        assert c.get("/v1/status").status_code == 200


def test_agents_check_as_themselves_and_gateways_within_their_pattern(live: Live) -> None:
    name = f"agent:{uuid.uuid4().hex[:6]}"
    agent = live.key("agent", name)
    gateway = live.key("agent", f"gw-{uuid.uuid4().hex[:6]}", may_act_as="tenant-a:*")
    with live.client(agent) as c:
        assert check(c, kind="shell", text="ls")["principal"] == name
        assert check(c, kind="shell", text="ls", principal=name)["principal"] == name
        r = c.post("/v1/check", json={"kind": "shell", "text": "ls", "principal": "alice"})
        assert r.status_code == 403
        assert "may not act as principal 'alice'" in r.json()["detail"]
        assert "--may-act-as" in r.json()["detail"]
    with live.client(gateway) as c:
        assert check(c, kind="shell", text="ls", principal="tenant-a:bot")["principal"] == (
            "tenant-a:bot"
        )
        r = c.post(
            "/v1/check/batch",
            json={
                "actions": [
                    {"kind": "shell", "text": "ls", "principal": "tenant-a:bot"},
                    {"kind": "shell", "text": "ls", "principal": "tenant-b:bot"},
                ]
            },
        )
        assert r.status_code == 403
        assert r.json()["detail"].startswith("actions[1].principal:")
        assert "'tenant-a:*'" in r.json()["detail"]


# ---------------------------------------------------------------------- verdicts
def test_verdicts(live: Live) -> None:
    with live.client(live.key("agent")) as c:
        allowed = check(c, id="a1", kind="shell", text="ls -la")
        assert (allowed["id"], allowed["decision"], allowed["risk"]) == ("a1", "allow", "LOW")
        denied = check(c, kind="shell", text="rm -rf /")
        assert denied["decision"] == "deny" and denied["risk"] == "CRITICAL"
        assert denied["citations"][0]["rule_id"] == "delete-root-or-home"
    with live.client(live.key("agent")) as c:
        raised = check(c, kind="shell", text="ls", min_risk="HIGH")
        assert raised["risk"] == "HIGH" and raised["decision"] == "escalate"
        assert raised["approval_id"].startswith("apr_")


def test_batch_keeps_order_and_takes_ten_thousand(live: Live) -> None:
    mix = [
        {"kind": "shell", "text": "ls -la"},
        {"kind": "sql", "text": "SELECT id FROM users WHERE id = 4"},
        {"kind": "shell", "text": "rm -rf /"},
        {"kind": "tool", "tool": "read_file", "args": {"path": "README.md"}},
    ]
    actions = [{**mix[i % len(mix)], "id": i} for i in range(10_000)]
    with live.client(live.key("agent")) as c:
        r = c.post("/v1/check/batch", json={"actions": actions})
        assert r.status_code == 200, r.text[:300]
        verdicts = r.json()["verdicts"]
        assert [v["id"] for v in verdicts] == list(range(10_000))
        assert verdicts[2]["decision"] == "deny" and verdicts[0]["risk"] == "LOW"
        too_many = c.post("/v1/check/batch", json={"actions": [*actions, {"text": "x"}]})
        assert too_many.status_code == 422
        assert too_many.json() == {
            "detail": "actions: has 10,001 actions; the limit is 10,000",
            "field": "actions",
        }
        assert c.post("/v1/check/batch", json={"actions": []}).json() == {"verdicts": []}


@pytest.mark.parametrize(
    ("path", "body", "field", "fragment"),
    [
        ("/v1/check", {"kind": "bogus", "text": "x"}, "kind", "must be one of"),
        ("/v1/check", {"kind": "shell", "text": "x" * 100_001}, "text", "limit is 100,000"),
        ("/v1/check", {"kind": "tool", "tool": "t", "args": [1]}, "args", "object"),
        ("/v1/check", {"kind": "shell", "text": "ls", "role": 5}, "role", "must be a string"),
        ("/v1/check", {"kind": "shell", "text": ""}, "text", "needs text, a tool or args"),
        (
            "/v1/check",
            {"kind": "shell", "text": "ls", "min_risk": "HUGE"},
            "min_risk",
            "LOW, MEDIUM, HIGH, CRITICAL",
        ),
        ("/v1/check", [1, 2], "action", "must be a JSON object"),
        (
            "/v1/check/batch",
            {"actions": [{"text": "ls"}, {"kind": "nope", "text": "x"}]},
            "actions[1].kind",
            "must be one of",
        ),
        ("/v1/check/batch", {"actions": "ls"}, "actions", "must be a list"),
        (
            "/v1/check/batch",
            {"actions": [{"text": "a" * 100_001}]},
            "actions[0].text",
            "limit is 100,000",
        ),
    ],
)
def test_invalid_input_is_422_naming_the_field_and_limit(
    live: Live, path: str, body: Any, field: str, fragment: str
) -> None:
    with live.client(live.key("agent")) as c:
        r = c.post(path, json=body)
        assert r.status_code == 422, r.text[:200]
        assert r.json()["field"] == field
        assert r.json()["detail"].startswith(f"{field}: ") and fragment in r.json()["detail"]


def test_malformed_bodies_are_400(live: Live) -> None:
    with live.client(live.key("agent")) as c:
        for content in (b"{not json", b"", b"\xff\xfe"):
            r = c.post("/v1/check", content=content, headers={"content-type": "application/json"})
            assert r.status_code == 400 and r.json()["detail"].startswith("body:")


def test_bodies_over_the_limit_are_413(live: Live) -> None:
    big = json.dumps({"actions": [{"kind": "shell", "text": "x" * 50_000}] * 50}).encode()
    assert len(big) > MAX_BODY
    with live.client(live.key("agent")) as c:
        r = c.post("/v1/check/batch", content=big, headers={"content-type": "application/json"})
        assert r.status_code == 413
        assert f"the limit is {MAX_BODY:,} bytes" in r.json()["detail"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer
            for start in range(0, len(big), 65536):
                yield big[start : start + 65536]

        r = c.post(
            "/v1/check/batch", content=chunks(), headers={"content-type": "application/json"}
        )
        assert r.status_code == 413 and "over" in r.json()["detail"]
    with live.client(live.key("agent")) as c:  # a chunked body under the limit still works
        small = json.dumps({"kind": "shell", "text": "ls"}).encode()
        r = c.post(
            "/v1/check",
            content=iter([small[:5], small[5:]]),
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 200 and r.json()["decision"] == "allow"


def test_a_client_leaving_mid_body_is_not_an_error(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    import logging
    import socket

    token = live.key("agent")
    port = int(live.url.rsplit(":", 1)[1])
    with caplog.at_level(logging.WARNING, logger="magistrate.server"):
        for path in ("/v1/check", "/v1/check/batch"):
            with socket.create_connection(("127.0.0.1", port)) as s:
                s.sendall(
                    f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                    'Content-Length: 1000\r\n\r\n{"kind":'.encode()
                )
                time.sleep(0.1)
        time.sleep(0.3)
    assert [r.getMessage() for r in caplog.records] == []
    with live.client(token) as c:
        assert check(c, kind="shell", text="ls")["decision"] == "allow"


# ---------------------------------------------------------------------- approvals
def long_poll(url: str, key: str, approval_id: str, wait: float, out: dict[str, Any]) -> None:
    started = time.monotonic()
    with httpx2.Client(base_url=url, headers=bearer(key), timeout=wait + 10) as c:
        r = c.get(f"/v1/approvals/{approval_id}", params={"wait": wait})
    out["response"], out["elapsed"] = r, time.monotonic() - started
    out["done_at"] = time.monotonic()


def test_approval_wakes_the_long_poll_and_allows_once(live: Live) -> None:
    agent = live.key("agent")
    approver_name = f"approver-{uuid.uuid4().hex[:6]}"
    approver = live.key("approver", approver_name)
    action = {"kind": "sql", "text": "TRUNCATE orders"}
    with live.client(agent) as a, live.client(approver) as b:
        first = check(a, **action)
        assert first["decision"] == "escalate"
        approval_id = first["approval_id"]
        out: dict[str, Any] = {}
        waiter = threading.Thread(target=long_poll, args=(live.url, agent, approval_id, 20, out))
        waiter.start()
        time.sleep(0.5)
        assert waiter.is_alive()  # still waiting: nobody has decided
        pending = b.get("/v1/approvals", params={"status": "pending"}).json()["approvals"]
        mine = next(p for p in pending if p["id"] == approval_id)
        assert (mine["risk"], mine["decision"], mine["summary"]) == (
            "CRITICAL",
            "escalate",
            "[sql] TRUNCATE orders",
        )
        assert mine["citations"][0]["rule_id"] and mine["age_s"] >= 0
        approved_at = time.monotonic()
        r = b.post(f"/v1/approvals/{approval_id}/approve", json={"note": "backup verified"})
        assert r.status_code == 200, r.text
        assert r.json()["resolved_by"] == approver_name
        waiter.join(timeout=10)
        reply = out["response"].json()
        assert (reply["status"], reply["decision"], reply["note"]) == (
            "approved",
            "allow",
            "backup verified",
        )
        assert out["done_at"] - approved_at < 2.5  # woken, not polled (poll is 5 s)
        again = check(a, **action)
        assert again["decision"] == "allow" and again["approval_id"] == approval_id
        assert any(approver_name in reason for reason in again["reasons"])
        third = check(a, **action)  # an approval is used once
        assert third["decision"] == "escalate" and third["approval_id"] != approval_id


def test_denials_conflicts_and_who_may_resolve(live: Live) -> None:
    agent_name = f"agent:{uuid.uuid4().hex[:6]}"
    agent, other_agent = live.key("agent", agent_name), live.key("agent")
    approver = live.key("approver")
    root_name = f"root-{uuid.uuid4().hex[:6]}"
    admin = live.key("admin", root_name)
    with live.client(agent) as a, live.client(approver) as b, live.client(admin) as root:
        approval_id = check(a, kind="sql", text="DROP TABLE invoices")["approval_id"]
        assert a.get(f"/v1/approvals/{approval_id}").json()["status"] == "pending"
        with live.client(other_agent) as o:
            r = o.get(f"/v1/approvals/{approval_id}")
            assert r.status_code == 403 and f"{agent_name!r}" in r.json()["detail"]
        r = b.post(f"/v1/approvals/{approval_id}/deny", json={"note": "no"})
        assert r.status_code == 200 and r.json()["decision"] == "deny"
        waited = a.get(f"/v1/approvals/{approval_id}", params={"wait": 5}).json()
        assert (waited["status"], waited["decision"]) == ("denied", "deny")
        r = root.post(f"/v1/approvals/{approval_id}/approve")
        assert r.status_code == 409 and "already denied" in r.json()["detail"]
        assert b.post("/v1/approvals/apr_nope/approve").status_code == 404
        assert b.get("/v1/approvals/apr_nope").status_code == 404
        own = check(root, kind="sql", text="DROP TABLE ledgers")
        assert own["principal"] == root_name and own["decision"] == "escalate"
        r = root.post(f"/v1/approvals/{own['approval_id']}/approve")
        assert r.status_code == 403 and "cannot resolve their own request" in r.json()["detail"]
        r = b.post(f"/v1/approvals/{own['approval_id']}/approve", json={"note": "x" * 2001})
        assert r.status_code == 422 and r.json()["field"] == "note"


def test_long_poll_returns_pending_when_time_is_up(live: Live) -> None:
    agent = live.key("agent")
    with live.client(agent) as a:
        approval_id = check(a, kind="sql", text="DROP TABLE carts")["approval_id"]
        started = time.monotonic()
        r = a.get(f"/v1/approvals/{approval_id}", params={"wait": 0.6})
        assert 0.55 < time.monotonic() - started < 3
        assert (r.json()["status"], r.json()["decision"]) == ("pending", "escalate")
        r = a.get(f"/v1/approvals/{approval_id}", params={"wait": 301})
        assert r.status_code == 422 and r.json()["field"] == "wait"
        assert "300" in r.json()["detail"]


def test_an_approver_lifts_a_suspension(live: Live) -> None:
    name = f"agent:{uuid.uuid4().hex[:6]}"
    agent = live.key("agent", name)
    approver_name = f"approver-{uuid.uuid4().hex[:6]}"
    with live.client(agent) as a, live.client(live.key("approver", approver_name)) as b:
        assert check(a, kind="shell", text="rm -rf /")["decision"] == "deny"
        assert check(a, kind="shell", text="ls")["decision"] == "deny"
        standing = b.get(f"/v1/principals/{name}").json()
        assert standing["suspended"] and standing["reason"] == "denied a CRITICAL action"
        assert a.get(f"/v1/principals/{name}").status_code == 403  # agents may not look
        r = b.post(f"/v1/principals/{name}/lift-suspension", json={"note": "rotated creds"})
        assert r.status_code == 200, r.text
        assert r.json()["suspended"] is False and r.json()["reason"] == f"lifted by {approver_name}"
        assert check(a, kind="shell", text="ls")["decision"] == "allow"
        again = b.post(f"/v1/principals/{name}/lift-suspension")
        assert again.status_code == 409 and "not suspended" in again.json()["detail"]
        own = b.post(f"/v1/principals/{approver_name}/lift-suspension")
        assert own.status_code == 403 and "own suspension" in own.json()["detail"]
    live.governor.audit.flush()  # type: ignore[union-attr]
    with live.client(live.key("admin")) as c:
        lifted = c.get("/v1/audit", params={"type": "suspension", "principal": name}).json()
        (record,) = lifted["records"]
        assert (record["resolved_by"], record["note"]) == (approver_name, "rotated creds")


# ---------------------------------------------------------------------- audit, status, metrics
def test_audit_filters_paging_and_verify(live: Live) -> None:
    name = f"agent:{uuid.uuid4().hex[:6]}"
    with live.client(live.key("agent", name)) as a:
        for text in ("ls", "pwd", "rm -rf /", "whoami"):
            check(a, kind="shell", text=text)
    live.governor.audit.flush()  # type: ignore[union-attr]
    with live.client(live.key("admin")) as c:
        mine = c.get("/v1/audit", params={"principal": name}).json()
        assert [r["text"] for r in mine["records"]] == ["ls", "pwd", "rm -rf /", "whoami"]
        denied = c.get("/v1/audit", params={"principal": name, "decision": "deny"}).json()
        # denying a CRITICAL action suspends the principal: what follows is denied too
        assert [r["text"] for r in denied["records"]] == ["rm -rf /", "whoami"]
        page = c.get("/v1/audit", params={"principal": name, "limit": 2}).json()
        assert len(page["records"]) == 2 and page["next_after_id"] is not None
        rest = c.get("/v1/audit", params={"principal": name, "after_id": page["next_after_id"]})
        assert [r["text"] for r in rest.json()["records"]] == ["rm -rf /", "whoami"]
        newest = c.get("/v1/audit", params={"principal": name, "order": "desc", "limit": 1})
        assert newest.json()["records"][0]["text"] == "whoami"
        recent = c.get("/v1/audit", params={"principal": name, "since": "10m"}).json()
        assert len(recent["records"]) == 4
        bad = c.get("/v1/audit", params={"since": "yesterday-ish"})
        assert bad.status_code == 422 and bad.json()["field"] == "since"
        assert c.get("/v1/audit", params={"risk": "HUGE"}).status_code == 422
        verified = c.get("/v1/audit/verify").json()
        assert verified["ok"] and verified["chains"][0]["records"] > 0


def test_status_and_metrics(live: Live) -> None:
    with live.client(live.key("agent")) as a:
        check(a, kind="shell", text="ls")
        check(a, kind="shell", text="rm -rf /")
    with live.client(live.key("approver")) as c:
        status = c.get("/v1/status").json()
        assert status["constitution"]["name"] == "Magistrate default constitution"
        stats = status["stats"]
        assert stats["by_decision"]["allow"] >= 1 and stats["by_decision"]["deny"] >= 1
        assert stats["by_risk"]["CRITICAL"] >= 1
        latency = stats["latency_ms"]["check_request"]
        assert latency["count"] >= 2 and 0 < latency["p50"] <= latency["p99"]
        assert status["server"]["worker"] in stats["workers"]
        who = c.get("/v1/whoami").json()
        assert who["role"] == "approver" and "hash" not in who
        assert "reads" in status["sofia"]  # approvers see what System 2 reads
    with live.client(live.key("agent")) as a:
        # An agent must not learn which wording avoids a model's reading.
        assert a.get("/v1/status").json()["sofia"] == {"system2": False}
    with live.client() as c:
        text = c.get("/metrics").text
        assert "magistrate_decisions" in text
        http = 'magistrate_http_request_duration_seconds_count{method="POST",route="/v1/check"'
        assert http in text


def test_decision_stream(live: Live) -> None:
    name = f"agent:{uuid.uuid4().hex[:6]}"
    agent = live.key("agent", name)
    seen: list[dict[str, Any]] = []

    def read() -> None:
        with live.client(live.key("approver")) as c, c.stream("GET", "/v1/events") as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            event = ""
            for line in r.iter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                if line.startswith("data: "):
                    data = json.loads(line[6:])
                    if data["principal"] == name:
                        seen.append({"event": event, **data})
                        return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    time.sleep(0.5)
    with live.client(agent) as a:
        check(a, kind="sql", text="DELETE FROM sessions")
    reader.join(timeout=10)
    assert seen, "the decision did not reach the stream"
    assert seen[0]["event"] == "verdict" and seen[0]["text"] == "DELETE FROM sessions"
    assert seen[0]["decision"] in ("allow", "escalate", "deny") and seen[0]["risk"]


def test_dashboard_is_served_from_the_package_with_a_strict_csp(live: Live) -> None:
    with live.client() as c:
        page = c.get("/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert "script-src 'self'" in page.headers["content-security-policy"]
        for asset in ("/dashboard/app.js", "/dashboard/style.css"):
            r = c.get(asset)
            assert r.status_code == 200
            assert "http://" not in r.text and "https://" not in r.text  # nothing from a CDN
        assert "http://" not in page.text and "https://" not in page.text


# ---------------------------------------------------------------------- failing closed
def test_a_governance_failure_is_a_deny_and_not_ready(
    detector: RiskDetector, tmp_path: Path
) -> None:
    """Trust in a Redis that is not there: every check fails closed, /readyz says why."""
    db = open_database(f"sqlite:///{tmp_path}/m.db")
    audit = AuditLog(db, spool_dir=tmp_path / "spool")
    governor = Governor(
        detector=detector,
        audit=audit,
        approvals=Approvals(db, audit=audit),
        trust=RedisTrustLedger(connect("redis://127.0.0.1:1/0", timeout_s=0.2)),
    )
    settings = Settings(database_url=f"sqlite:///{tmp_path}/m.db", spool_dir=tmp_path / "spool")
    _, token = Keys(db).create("agent", "agent:a")
    with (
        ThreadServer(create_app(settings, governor=governor)) as server,
        httpx2.Client(base_url=server.url, headers=bearer(token), timeout=10) as c,
    ):
        v = c.post("/v1/check", json={"kind": "shell", "text": "ls"})
        assert v.status_code == 200
        assert v.json()["decision"] == "deny" and "governance error" in v.json()["error"]
        batch = c.post("/v1/check/batch", json={"actions": [{"text": "ls"}] * 3}).json()
        assert {x["decision"] for x in batch["verdicts"]} == {"deny"}
        ready = c.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["database"] == "ok"
        assert "Connection" in ready.json()["checks"]["redis"]
    governor.close()
