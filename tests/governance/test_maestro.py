"""The Maestro facade runs agents only when governance allows."""

from __future__ import annotations

import asyncio
from typing import Any

from magistrate import Action, Decision, Governor, Maestro, Risk, RiskDetector


class EchoAgent:
    name = "echo"

    def __init__(self) -> None:
        self.ran: list[Any] = []

    async def execute(self, task: Any) -> str:
        self.ran.append(task)
        return f"did {task}"


def test_allowed_task_runs_and_returns_result(detector: RiskDetector) -> None:
    agent = EchoAgent()
    response = asyncio.run(
        Maestro(Governor(detector=detector)).execute_with_governance(agent, "pytest -q")
    )
    assert response.success and response.result == "did pytest -q"
    assert response.verdict.principal == "agent:echo" and agent.ran == ["pytest -q"]


def test_blocked_task_never_runs(detector: RiskDetector) -> None:
    agent = EchoAgent()
    maestro = Maestro(Governor(detector=detector))
    response = asyncio.run(
        maestro.execute_with_governance(agent, {"kind": "sql", "text": "DROP TABLE customers"})
    )
    assert not response.success and response.blocked and agent.ran == []
    assert response.verdict.decision is Decision.ESCALATE
    assert "art. 2" in (response.error or "")


def test_callable_agents_and_action_tasks(detector: RiskDetector) -> None:
    async def agent(task: Any) -> int:
        return 42

    maestro = Maestro(Governor(detector=detector))
    response = asyncio.run(maestro.execute_with_governance(agent, Action(kind="shell", text="ls")))
    assert response.success and response.result == 42
    assert response.verdict.principal == "agent:agent"


def test_risk_level_raises_but_never_lowers(detector: RiskDetector) -> None:
    agent = EchoAgent()
    maestro = Maestro(Governor(detector=detector))
    raised = asyncio.run(maestro.execute_with_governance(agent, "ls -la", risk_level="HIGH"))
    assert raised.verdict.risk is Risk.HIGH and not raised.success
    kept = asyncio.run(
        maestro.execute_with_governance(
            EchoAgent(), {"kind": "sql", "text": "TRUNCATE orders"}, risk_level="LOW"
        )
    )
    assert kept.verdict.risk is Risk.CRITICAL and not kept.success


def test_agent_failure_is_reported_not_raised(detector: RiskDetector) -> None:
    async def broken(task: Any) -> None:
        raise ValueError("boom")

    response = asyncio.run(
        Maestro(Governor(detector=detector)).execute_with_governance(broken, "ls")
    )
    assert not response.success and response.verdict.allowed
    assert response.error == "agent error: ValueError: boom"


def _with_approvals(detector: RiskDetector, tmp_path: Any) -> Governor:
    from magistrate.approvals import Approvals
    from magistrate.audit import AuditLog
    from magistrate.db import open_database

    db = open_database(f"sqlite:///{tmp_path}/m.db")
    audit = AuditLog(db, spool_dir=tmp_path / "spool")
    return Governor(detector=detector, audit=audit, approvals=Approvals(db, audit=audit))


def test_escalation_returns_at_once_by_default(
    detector: RiskDetector, tmp_path: Any, monkeypatch: Any
) -> None:
    """The README's example: an escalated task comes back with its approval id, no waiting."""
    import time

    monkeypatch.delenv("MAGISTRATE_ESCALATION", raising=False)
    gov = _with_approvals(detector, tmp_path)
    agent = EchoAgent()
    started = time.monotonic()
    response = asyncio.run(
        Maestro(gov).execute_with_governance(agent, {"kind": "sql", "text": "TRUNCATE orders"})
    )
    assert time.monotonic() - started < 2
    assert response.verdict.decision is Decision.ESCALATE and response.approval_id
    assert not response.success and response.blocked and agent.ran == []
    gov.close()


def test_escalation_setting_is_respected(
    detector: RiskDetector, tmp_path: Any, monkeypatch: Any
) -> None:
    import time

    gov = _with_approvals(detector, tmp_path)
    task = {"kind": "sql", "text": "DROP TABLE customers"}
    monkeypatch.setenv("MAGISTRATE_ESCALATION", "wait")
    monkeypatch.setenv("MAGISTRATE_APPROVAL_TIMEOUT_S", "0.3")
    waiting = Maestro(gov)
    assert waiting.escalation == "wait" and waiting.approval_timeout == 0.3
    started = time.monotonic()
    response = asyncio.run(waiting.execute_with_governance(EchoAgent(), task))
    assert time.monotonic() - started >= 0.3 and "timed out" in (response.error or "")
    monkeypatch.setenv("MAGISTRATE_ESCALATION", "return")
    assert Maestro(gov).escalation == "return"
    assert Maestro(gov, escalation="wait").escalation == "wait"  # the argument wins
    gov.close()
