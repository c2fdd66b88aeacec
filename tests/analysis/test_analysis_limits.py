"""Fail closed at every limit (issue 10 item 3): what analysis did not look at is never LOW allow;
the verdict escalates with the reason `analysis limit: …`."""

from __future__ import annotations

import shlex

import pytest

from magistrate import Action, Governor
from magistrate.analysis.code import MAX_CODE


@pytest.fixture(scope="module")
def gov() -> Governor:
    return Governor()


def _check(gov: Governor, **fields: object):  # type: ignore[no-untyped-def]
    gov.trust.clear()
    return gov.check(Action(**fields))  # type: ignore[arg-type]


def _limited(verdict) -> bool:  # type: ignore[no-untyped-def]
    return not verdict.allowed and any(c.rule_id == "analysis-limit" for c in verdict.citations)


def test_nine_nested_shells_are_analysed_to_the_end(gov: Governor) -> None:
    command = "rm -rf /"
    for _ in range(9):
        command = f"bash -c {shlex.quote(command)}"
    verdict = _check(gov, kind="shell", text=command)
    assert not verdict.allowed
    assert "delete-root-or-home" in [c.rule_id for c in verdict.citations]


@pytest.mark.parametrize(
    "text",
    [
        "ssh host " * 40 + "rm -rf /",
        "ssh host " * 40 + "uptime",  # even when the innermost command is harmless
        "echo $(" * 20 + "date" + ")" * 20,
        "eval " * 30 + "ls",
        "ls;" * 3000,
    ],
)
def test_limits_escalate_with_the_reason(gov: Governor, text: str) -> None:
    verdict = _check(gov, kind="shell", text=text)
    assert _limited(verdict), [c.rule_id for c in verdict.citations]
    assert verdict.decision.value == "escalate"
    assert any("analysis limit:" in c.evidence for c in verdict.citations)


def test_code_longer_than_the_analyzer_reads(gov: Governor) -> None:
    code = "x = 1\n" * (MAX_CODE // 6 + 10) + "import shutil; shutil.rmtree('/')"
    verdict = _check(gov, kind="tool", tool="run_python", args={"code": code})
    assert not verdict.allowed


def test_ordinary_commands_are_not_limited(gov: Governor) -> None:
    for text in ("ssh host uptime", "bash -c 'make test'", "ls; pwd; git status"):
        assert _check(gov, kind="shell", text=text).allowed, text


def test_padding_does_not_push_arguments_out_of_view(gov: Governor) -> None:
    # The joined-arguments view was cut at 20,000 characters: padding hid what followed.
    args = {"pad": "x " * 15_000, "note": "patient dob 1990-01-01", "to": "bob@gmail.com"}
    verdict = _check(gov, kind="tool", tool="send_document", args=args)
    assert not verdict.allowed


def test_a_script_file_with_more_commands_than_read_escalates(gov: Governor) -> None:
    content = "all:\n" + "\techo hi\n" * 600 + "\trm -rf /\n"
    verdict = _check(
        gov, kind="file", text="write Makefile", args={"path": "Makefile", "content": content}
    )
    assert _limited(verdict)


def test_the_time_budget_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    import magistrate.risk.detector as risk

    args = {f"k{i}": "ls -la /tmp" for i in range(100)}
    detector = risk.RiskDetector()
    assert detector.assess(Action(kind="tool", tool="t", args=args)).level.value == "LOW"
    monkeypatch.setattr(risk, "MAX_ANALYSIS_SECONDS", 0.0)
    limited = detector.assess(Action(kind="tool", tool="t", args=args))
    assert limited.facts["analysis-limit"] == "analysis limit: time budget spent"
    assert limited.level.value == "HIGH"
