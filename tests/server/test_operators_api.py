"""The operator routes over HTTP: /docs from the package, the principals view and the audit
browser (filters, rule, detail with chain position and approval), and who may use them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from magistrate import Governor, RiskDetector
from magistrate.approvals import Approvals
from magistrate.audit import AuditLog
from magistrate.config import Settings
from magistrate.db import open_database
from magistrate.keys import Keys
from magistrate.server import create_app
from tests.servers import ThreadServer, bearer


@pytest.fixture
def site(detector: RiskDetector, tmp_path: Path) -> Iterator[tuple[str, Keys]]:
    db = open_database(f"sqlite:///{tmp_path}/m.db")
    audit = AuditLog(db, spool_dir=tmp_path / "spool")
    governor = Governor(detector=detector, audit=audit, approvals=Approvals(db, audit=audit))
    settings = Settings(database_url=f"sqlite:///{tmp_path}/m.db", spool_dir=tmp_path / "spool")
    with ThreadServer(create_app(settings, governor=governor)) as server:
        yield server.url, Keys(db)
    governor.close()


def test_docs_page_and_its_assets_come_from_the_server(site: tuple[str, Keys]) -> None:
    url, _ = site
    page = httpx2.get(url + "/docs")
    assert page.status_code == 200 and "/docs/assets/swagger-ui-bundle.js" in page.text
    assert "://" not in page.text  # no absolute URL: nothing loads from elsewhere
    bundle = httpx2.get(url + "/docs/assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 100_000
    assert httpx2.get(url + "/docs/assets/swagger-ui.css").status_code == 200


def test_principals_and_audit_browser(site: tuple[str, Keys]) -> None:
    url, keys = site
    _, etl = keys.create("agent", "agent:etl-7")
    _, ops = keys.create("agent", "agent:ops-bot")
    _, alice = keys.create("approver", "alice")
    with httpx2.Client(base_url=url, timeout=30) as c:
        drop = c.post(
            "/v1/check", json={"kind": "sql", "text": "DROP TABLE customers"}, headers=bearer(etl)
        ).json()
        c.post("/v1/check", json={"kind": "shell", "text": "ls"}, headers=bearer(ops))
        c.post("/v1/check", json={"kind": "shell", "text": "rm -rf /"}, headers=bearer(ops))
        c.post("/v1/check", json={"kind": "shell", "text": "ls"}, headers=bearer(ops))
        assert c.get("/v1/principals", headers=bearer(ops)).status_code == 403
        listed = c.get("/v1/principals", headers=bearer(alice)).json()
        by = {p["principal"]: p for p in listed["principals"]}
        assert by["agent:ops-bot"]["suspended"] is True
        assert by["agent:ops-bot"]["decisions"] == {"allow": 1, "deny": 2}
        assert by["agent:etl-7"]["suspended"] is False
        assert by["agent:etl-7"]["decisions"] == {"escalate": 1}
        lift = c.post("/v1/principals/agent:ops-bot/lift-suspension", headers=bearer(alice))
        assert lift.status_code == 200
        listed = c.get("/v1/principals", headers=bearer(alice)).json()
        assert not {p["principal"]: p for p in listed["principals"]}["agent:ops-bot"]["suspended"]

        def browse(**params: str) -> list[dict]:
            r = c.get("/v1/audit/browse", params=params, headers=bearer(alice))
            assert r.status_code == 200, r.text
            return r.json()["records"]

        assert [r["text"] for r in browse(principal="agent:ops-bot", type="verdict")] == [
            "ls",
            "rm -rf /",
            "ls",
        ]
        assert [r["text"] for r in browse(decision="deny", risk="CRITICAL")] == ["rm -rf /"]
        assert [r["text"] for r in browse(rule="sql-drop")] == ["DROP TABLE customers"]
        assert browse(rule="no-such-rule") == []
        assert len(browse(since="1h", type="verdict")) == 4
        assert browse(until="2000-01-01") == []
        bad = c.get("/v1/audit/browse", params={"since": "yesterday"}, headers=bearer(alice))
        assert bad.status_code == 422
        (row,) = browse(rule="sql-drop")
        detail = c.get(f"/v1/audit/records/{row['row_id']}", headers=bearer(alice)).json()
        assert detail["body"]["citations"][0]["rule_id"] == "sql-drop"
        assert "total" in detail["body"]["timings_ns"]
        position = detail["chain_position"]
        assert position["hash_matches"] is True and 1 <= position["seq"] <= position["chain_length"]
        assert detail["approval"]["id"] == drop["approval_id"]
        assert detail["approval"]["status"] == "pending"
        missing = c.get("/v1/audit/records/999999", headers=bearer(alice))
        assert missing.status_code == 404
        assert c.get("/v1/audit/browse", headers=bearer(etl)).status_code == 403
