"""Helpers shared by test modules: the CLI run as a real process (`python -m magistrate`),
with its audit log and spool kept under the test's temporary folder; one action assessed."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from magistrate import Action, RiskDetector
from magistrate.levels import Risk


def judge(detector: RiskDetector, action: str | dict[str, Any]) -> tuple[Risk, set[str]]:
    """The tier and the rules that fired for one action (a string is a shell command)."""
    a = Action(kind="shell", text=action) if isinstance(action, str) else Action(**action)
    result = detector.assess(a)
    return result.level, set(result.rule_ids)


def assert_blocked(detector: RiskDetector, rule: str, action: str | dict[str, Any]) -> None:
    """`rule` fires on the action and grades it HIGH or above."""
    level, fired = judge(detector, action)
    assert rule in fired, (action, fired)
    assert level >= Risk.HIGH


def assert_everyday(detector: RiskDetector, action: str | dict[str, Any]) -> None:
    """The action is graded MEDIUM at most: allowed as ordinary work."""
    level, fired = judge(detector, action)
    assert level <= Risk.MEDIUM, (action, fired)


class Cli:
    """`python -m magistrate ARGS` from this tree, with an environment a fixture isolates.

    `env` is one dict for the module's life, refilled by `isolate` for each test, so a module
    can keep a name for it (`ENV = run.env`) and add settings in a test."""

    def __init__(self, timeout: float = 120.0) -> None:
        self.timeout = timeout
        self.env: dict[str, str] = {}

    def isolate(self, tmp_path: Path, *, drop: Iterable[str] = ()) -> None:
        """This process's environment, less `drop`, with the store under `tmp_path`."""
        self.env.clear()
        self.env.update(os.environ)
        for name in drop:
            self.env.pop(name, None)
        self.env["MAGISTRATE_DATABASE_URL"] = f"sqlite:///{tmp_path}/m.db"
        self.env["MAGISTRATE_SPOOL_DIR"] = str(tmp_path / "spool")

    def __call__(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run the CLI with `args`, `stdin` as its input; its output captured as text."""
        return subprocess.run(
            [sys.executable, "-m", "magistrate", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=self.timeout,
            env=self.env,
        )


def as_action(case: str | dict[str, Any]) -> Action:
    """A finding's case as an action: a string is a shell command, a dict the action's fields."""
    return Action(kind="shell", text=case) if isinstance(case, str) else Action.from_dict(case)


def case_ids(cases: Iterable[str | dict[str, Any]]) -> list[str]:
    """Short test ids for a list of cases: the first 50 characters of the text, tool or url."""
    return [
        (c if isinstance(c, str) else c.get("text") or c.get("tool") or str(c.get("args")))[:50]
        for c in cases
    ]


def assert_stopped(governor: Any, case: str | dict[str, Any]) -> None:
    """The governor does not let the case run (it escalates or denies)."""
    verdict = governor.check(as_action(case))
    assert not verdict.allowed, (case, verdict.risk, verdict.rule_ids)


def assert_allowed(governor: Any, case: str | dict[str, Any]) -> None:
    """The governor lets the case run."""
    verdict = governor.check(as_action(case))
    assert verdict.allowed, (case, verdict.rule_ids)


def output(text: str, tool: str = "fetch_url") -> dict[str, str]:
    """A tool's output as the agent reads it."""
    return {"kind": "tool_output", "tool": tool, "text": text}


def tool(called: str, /, **args: object) -> dict[str, Any]:
    """A typed tool call, as a finding test's action."""
    return {"kind": "tool", "tool": called, "args": args}


def finding_tests(
    harmful: list[Any], everyday: list[Any]
) -> tuple[Callable[..., None], Callable[..., None]]:
    """A round's two finding tests, for its module to bind under their names: every harmful
    case is stopped, every everyday case runs (through the conftest `governor`)."""

    @pytest.mark.parametrize("action", harmful, ids=case_ids(harmful))
    def test_harmful_is_stopped(governor: Any, action: str | dict[str, Any]) -> None:
        assert_stopped(governor, action)

    @pytest.mark.parametrize("action", everyday, ids=case_ids(everyday))
    def test_everyday_is_allowed(governor: Any, action: str | dict[str, Any]) -> None:
        assert_allowed(governor, action)

    return test_harmful_is_stopped, test_everyday_is_allowed
