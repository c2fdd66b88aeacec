"""The approvals dashboard in a real browser (Playwright driving Debian's Chromium, headless):
an approver signs in, sees the pending escalation with its risk, cited article, requester and
age, approves it, and the agent waiting on the long-poll gets `allow`. No console errors, and
the page fits a laptop screen."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
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
from magistrate.server import create_app
from magistrate.telemetry import Telemetry
from tests.servers import ThreadServer, bearer

CHROMIUM = Path("/usr/bin/chromium")
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"  # the screenshots the docs show


def shot(tmp_path: Path, name: str) -> str:
    """Where a view's screenshot goes: docs/img only when MAGISTRATE_SCREENSHOTS=1 asks to
    refresh the docs (a test run must not rewrite tracked files), else the test's folder."""
    folder = DOCS_IMG if os.environ.get("MAGISTRATE_SCREENSHOTS") == "1" else tmp_path
    return str(folder / name)


pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed here (.ci/run installs it: apt-get install "
    "chromium)",
)


@pytest.fixture
def site(detector: RiskDetector, tmp_path: Path) -> Iterator[tuple[str, Keys]]:
    db = open_database(f"sqlite:///{tmp_path}/m.db")
    audit = AuditLog(db, spool_dir=tmp_path / "spool")
    governor = Governor(
        detector=detector, audit=audit, approvals=Approvals(db, audit=audit), telemetry=Telemetry()
    )
    settings = Settings(database_url=f"sqlite:///{tmp_path}/m.db", spool_dir=tmp_path / "spool")
    with ThreadServer(create_app(settings, governor=governor)) as server:
        yield server.url, Keys(db)
    governor.close()


def test_approver_approves_and_the_waiting_agent_is_allowed(
    site: tuple[str, Keys], tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, keys = site
    _, agent_key = keys.create("agent", "agent:deploy-bot")
    _, approver_key = keys.create("approver", "alice")
    agent = httpx2.Client(base_url=url, headers=bearer(agent_key), timeout=70)
    action = {"kind": "sql", "text": "DROP TABLE customers"}
    verdict = agent.post("/v1/check", json=action).json()
    assert verdict["decision"] == "escalate"
    approval_id = verdict["approval_id"]
    waited: dict[str, Any] = {}

    def wait_for_human() -> None:  # the agent, blocked on the long-poll
        with httpx2.Client(base_url=url, headers=bearer(agent_key), timeout=70) as c:
            waited["reply"] = c.get(f"/v1/approvals/{approval_id}", params={"wait": 60}).json()
            waited["at"] = time.monotonic()

    waiter = threading.Thread(target=wait_for_human, daemon=True)
    waiter.start()

    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(url + "/")

        # An agent key cannot sign in to approve; a wrong key is named as such.
        page.fill("#key", agent_key)
        page.click("#signin-button")
        expect(page.locator("#signin-error")).to_contain_text("agents cannot approve")
        page.fill("#key", "mgk_0000000000000000_" + "a" * 43)
        page.click("#signin-button")
        expect(page.locator("#signin-error")).to_contain_text("not valid")

        page.fill("#key", approver_key)
        page.click("#signin-button")
        expect(page.locator("#who-name")).to_have_text("alice (approver)")
        row = page.locator(f'tr[data-id="{approval_id}"]')
        expect(row).to_be_visible(timeout=10_000)
        expect(row.locator("td.action")).to_contain_text("[sql] DROP TABLE customers")
        expect(row.locator(".badge")).to_have_text("CRITICAL")
        expect(row.locator("td.cites")).to_contain_text("art. 2 No irreversible harm")
        expect(row.locator("td.requester")).to_have_text("agent:deploy-bot")
        expect(row.locator("td.age")).to_have_text(re.compile(r"^\d+s$"))
        expect(page.locator("#constitution")).to_contain_text("Magistrate default constitution")
        expect(page.locator("#constitution")).to_contain_text("version")
        expect(page.locator('#by-decision [data-name="escalate"] .value')).to_have_text("1")
        expect(page.locator('#by-risk [data-name="CRITICAL"] .value')).to_have_text("1")
        expect(page.locator('tr[data-latency="check_request"] .p99')).not_to_have_text("–")
        expect(page.locator("#stream li").first).to_contain_text("DROP TABLE customers")
        expect(page.locator("#stream-state")).to_have_text("live")

        assert waiter.is_alive()  # the agent is still waiting for a human
        page.screenshot(path=str(tmp_path / "dashboard-pending.png"))
        row.locator("input.note").fill("restored from last night's backup first")
        clicked_at = time.monotonic()
        row.locator("button.approve").click()
        expect(row).to_have_count(0)
        expect(page.locator("#pending-empty")).to_be_visible()
        waiter.join(timeout=10)
        assert waited["reply"]["status"] == "approved"
        assert waited["reply"]["decision"] == "allow"
        assert waited["reply"]["resolved_by"] == "alice"
        assert waited["at"] - clicked_at < 3
        # The live stream shows the resolution, from the audit log.
        expect(page.locator("#stream li").first).to_contain_text("approved by alice")

        fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert fits, "the dashboard overflows a 1366 px laptop screen"
        page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
        page.click("#sign-out")
        expect(page.locator("#signin")).to_be_visible()
        browser.close()

    assert problems == [], problems
    again = agent.post("/v1/check", json=action).json()  # the agent retries: allowed, once
    assert again["decision"] == "allow" and again["approval_id"] == approval_id
    agent.close()


def _offline(page: Any, url: str, outside: list[str]) -> None:
    """Refuse every request that leaves the server (as on a machine with no network)."""

    def route(r: Any) -> None:
        if r.request.url.startswith(url) or r.request.url.startswith("data:"):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)


def test_api_docs_are_served_without_a_cdn_and_linked_from_the_dashboard(
    site: tuple[str, Keys], tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, keys = site
    _, approver_key = keys.create("approver", "alice")
    problems: list[str] = []
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        _offline(page, url, outside)
        page.goto(url + "/")
        page.fill("#key", approver_key)
        page.click("#signin-button")
        page.click("#api-docs-link")
        expect(page).to_have_url(url + "/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("Magistrate")
        check = page.locator('.opblock-summary-path[data-path="/v1/check"]').first
        expect(check).to_be_visible(timeout=15_000)
        check.click()  # expands the operation: its description and responses render
        expect(page.locator(".opblock-body").first).to_contain_text("422")
        page.screenshot(path=shot(tmp_path, "api_docs.png"))
        browser.close()
    assert outside == [], outside
    assert problems == [], problems


def test_feed_reasons_principals_view_and_audit_browser(
    site: tuple[str, Keys], tmp_path: Path
) -> None:
    """The live feed says why (rule and article; a suspension); an approver finds the suspended
    agent in the principals view and lifts the suspension there; the audit browser filters by
    principal, decision, tier, rule and time and shows a record's citations, timings, approval
    and chain position."""
    from playwright.sync_api import expect, sync_playwright

    url, keys = site
    _, etl = keys.create("agent", "agent:etl-7")
    _, ops = keys.create("agent", "agent:ops-bot")
    _, approver_key = keys.create("approver", "alice")
    with httpx2.Client(base_url=url, timeout=30) as c:

        def check(key: str, kind: str, text: str) -> dict[str, Any]:
            return c.post(
                "/v1/check", json={"kind": kind, "text": text}, headers=bearer(key)
            ).json()

        drop = check(etl, "sql", "DROP TABLE customers")
        check(etl, "shell", "pytest -q")
        check(ops, "shell", "ls")
        assert check(ops, "shell", "rm -rf /")["decision"] == "deny"  # suspends agent:ops-bot
        assert check(ops, "shell", "ls")["decision"] == "deny"  # "deny LOW": but why?

    problems: list[str] = []
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = browser.new_page(viewport={"width": 1366, "height": 800})
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        _offline(page, url, outside)
        page.goto(url + "/")
        page.fill("#key", approver_key)
        page.click("#signin-button")

        # 1. the live feed gives reasons
        newest = page.locator("#stream li").first
        expect(newest).to_contain_text("[shell] ls", timeout=10_000)
        expect(newest.locator(".why")).to_contain_text("suspended: denied a CRITICAL action")
        rm = page.locator("#stream li", has_text="rm -rf /")
        expect(rm.locator(".why")).to_contain_text("(delete-root-or-home)")
        expect(rm.locator(".why")).to_contain_text("art. 2")
        dropped = page.locator("#stream li", has_text="DROP TABLE customers")
        expect(dropped.locator(".why")).to_contain_text("(sql-drop)")
        page.screenshot(path=shot(tmp_path, "dashboard_feed.png"))

        # 2. principals: trust, standing, decisions; lift the suspension
        page.click('#tabs .tab[data-view="principals"]')
        ops_row = page.locator('#principals-rows tr[data-principal="agent:ops-bot"]')
        expect(ops_row).to_be_visible(timeout=10_000)
        expect(ops_row.locator(".standing")).to_contain_text("suspended")
        expect(ops_row.locator(".standing")).to_contain_text("denied a CRITICAL action")
        expect(ops_row.locator(".counts")).to_contain_text("allow 1")
        expect(ops_row.locator(".counts")).to_contain_text("deny 2")
        etl_row = page.locator('#principals-rows tr[data-principal="agent:etl-7"]')
        expect(etl_row.locator(".standing")).to_have_text("active")
        expect(etl_row.locator(".lift-button")).to_have_count(0)
        ops_row.locator("button.link").click()
        expect(page.locator("#principal-detail-title")).to_have_text("agent:ops-bot")
        expect(page.locator("#principal-recent li")).to_have_count(3)
        page.check("#principals-suspended-only")
        expect(page.locator("#principals-rows tr")).to_have_count(1)
        page.uncheck("#principals-suspended-only")
        page.screenshot(path=shot(tmp_path, "dashboard_principals.png"))
        ops_row.locator("input.note").fill("rm was a test run")
        ops_row.locator(".lift-button").click()
        expect(ops_row.locator(".standing")).to_have_text("active")
        expect(ops_row.locator(".lift-button")).to_have_count(0)

        # 3. the audit browser: filters, then a record in full
        page.click('#tabs .tab[data-view="audit"]')
        rows = page.locator("#audit-rows tr")
        expect(rows).to_have_count(6)  # five verdicts and the lift
        form = page.locator("#audit-filters")
        form.locator('input[name="principal"]').fill("agent:ops-bot")
        form.locator('select[name="decision"]').select_option("deny")
        page.click("#audit-search")
        expect(rows).to_have_count(2)
        form.locator('select[name="risk"]').select_option("CRITICAL")
        page.click("#audit-search")
        expect(rows).to_have_count(1)
        expect(rows.first.locator(".what")).to_have_text("[shell] rm -rf /")
        form.locator('input[name="principal"]').fill("")
        form.locator('select[name="decision"]').select_option("")
        form.locator('select[name="risk"]').select_option("")
        form.locator('input[name="rule"]').fill("sql-drop")
        form.locator('input[name="since"]').fill("1h")
        page.click("#audit-search")
        expect(rows).to_have_count(1)
        form.locator('input[name="until"]').fill("2000-01-01")
        page.click("#audit-search")
        expect(page.locator("#audit-empty")).to_be_visible()
        form.locator('input[name="until"]').fill("")
        page.click("#audit-search")
        expect(rows).to_have_count(1)
        rows.first.click()
        detail = page.locator("#audit-detail")
        expect(detail.locator("#detail-citations")).to_contain_text(
            "art. 2 No irreversible harm without consent (sql-drop)"
        )
        expect(detail.locator("#detail-timings")).to_contain_text("total")
        expect(detail.locator("#detail-approval")).to_contain_text(drop["approval_id"])
        expect(detail.locator("#detail-approval")).to_contain_text("pending")
        expect(detail.locator("#detail-chain")).to_contain_text("record 1 of")
        expect(detail.locator("#detail-chain")).to_contain_text("matches its content")
        page.screenshot(path=shot(tmp_path, "dashboard_audit.png"))
        before = len(problems)
        form.locator('input[name="since"]').fill("yesterday")
        page.click("#audit-search")
        expect(page.locator("#audit-error")).to_contain_text("since")
        # the browser logs the refused request itself; nothing else may be logged
        refused = [m for m in problems[before:] if "status of 422" in m]
        assert len(refused) == 1
        problems[before:] = [m for m in problems[before:] if "status of 422" not in m]

        fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert fits, "the audit view overflows a 1366 px laptop screen"
        browser.close()
    assert outside == [], outside
    assert problems == [], problems


def test_hostile_action_text_is_shown_as_text_everywhere(site: tuple[str, Keys]) -> None:
    """An agent controls what it submits: markup in an action, a principal name or a rule
    filter is displayed, never interpreted (feed, principals, audit list and detail)."""
    from playwright.sync_api import expect, sync_playwright

    url, keys = site
    _, gateway = keys.create("agent", "gateway", "agent:*")
    _, approver_key = keys.create("approver", "alice")
    hostile = (
        '<img src=x onerror="document.title=\'owned\'"><script>document.title="owned"</script>'
    )
    who = 'agent:<b id="bold">x</b>'
    with httpx2.Client(base_url=url, timeout=30) as c:
        r = c.post(
            "/v1/check",
            json={"kind": "shell", "text": f"echo '{hostile}'", "principal": who},
            headers=bearer(gateway),
        )
        assert r.status_code == 200, r.text
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(url + "/")
        page.fill("#key", approver_key)
        page.click("#signin-button")
        expect(page.locator("#stream li").first).to_contain_text("<img src=x", timeout=10_000)
        page.click('#tabs .tab[data-view="principals"]')
        expect(page.locator("#principals-rows")).to_contain_text('<b id="bold">x</b>')
        page.click('#tabs .tab[data-view="audit"]')
        page.locator("#audit-rows tr").first.click()
        expect(page.locator("#audit-detail")).to_contain_text("<script>")
        assert page.locator("#bold").count() == 0
        assert page.locator("img").count() == 0 and page.locator("main script").count() == 0
        assert page.title() != "owned"
        browser.close()
