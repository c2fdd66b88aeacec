"""Loops of cmd and PowerShell: the deleter inside a loop deletes what the loop walks, as it
does in a POSIX `for` loop; a loop over build outputs stays everyday work. Each case runs
through the real detector."""

from __future__ import annotations

import pytest

from magistrate import Action, RiskDetector
from magistrate.analysis.loops import rewrite_loops
from magistrate.analysis.paths import PathClassifier
from magistrate.levels import Risk


@pytest.fixture(scope="module")
def detector() -> RiskDetector:
    return RiskDetector()


def assess(detector: RiskDetector, text: str) -> tuple[Risk, set[str]]:
    a = detector.assess(Action(kind="shell", text=text))
    return a.level, set(a.rule_ids)


HARMFUL = [
    # cmd: the set of a `for /d` loop is every profile folder
    ("delete-root-or-home", r'for /d %i in (C:\Users\*) do rd /s /q "%i"'),
    ("delete-system-or-data", r'for /D %%G in ("D:\data\*") DO rd /s /q "%%G"'),
    # `for /r ROOT`: the name filter in every folder under the drive's root
    ("delete-root-or-home", r'for /r C:\ %f in (*.docx) do del /q "%f"'),
    # `for /f` over what a command prints
    ("delete-user-files", r"for /f %a in ('dir /b C:\Users') do rd /s /q C:\Users\%a"),
    # PowerShell: the foreach statement, and a pipeline's per-item block
    (
        "delete-root-or-home",
        r"foreach ($u in Get-ChildItem C:\Users) { Remove-Item -Recurse -Force $u.FullName }",
    ),
    (
        "delete-root-or-home",
        r"Get-ChildItem C:\Users | ForEach-Object { Remove-Item $_.FullName -Recurse -Force }",
    ),
    ("delete-root-or-home", r"gci C:\Users | % { ri $_ -r -fo }"),
    # a filter between the listing and the deleter passes the listing's items on
    (
        "delete-root-or-home",
        r"Get-ChildItem C:\Users -Recurse | Where-Object { $_.Extension -eq '.docx' }"
        r" | Remove-Item -Force",
    ),
]

EVERYDAY = [
    r'for %f in (*.log) do del "%f"',
    r'for /r . %f in (*.pyc) do del "%f"',
    r"for %%i in (obj bin) do rd /s /q %%i",
    r"Get-ChildItem *.log | ForEach-Object { Remove-Item $_ }",
    r"1..3 | ForEach-Object { Write-Host $_ }",
    r"foreach ($f in Get-ChildItem .\dist) { Remove-Item $f.FullName -Recurse }",
    r"Get-ChildItem -Path .\src -Filter *.cs -Recurse | ForEach-Object {"
    r" (Get-Content $_.FullName) -replace 'foo','bar' | Set-Content $_.FullName }",
]


@pytest.mark.parametrize(("rule", "text"), HARMFUL)
def test_a_deleter_in_a_loop_deletes_the_set(detector: RiskDetector, rule: str, text: str) -> None:
    level, fired = assess(detector, text)
    assert rule in fired, (text, fired)
    assert level >= Risk.HIGH


@pytest.mark.parametrize("text", EVERYDAY)
def test_loops_over_build_outputs_stay_everyday(detector: RiskDetector, text: str) -> None:
    level, fired = assess(detector, text)
    assert level <= Risk.MEDIUM, (text, fired)


def test_the_rewrite_leaves_posix_loops_and_plain_lines_alone() -> None:
    classify = PathClassifier({"home": ["~"]}).classify
    for text in ("for d in /home/*; do rm -rf $d; done", "ls -la", "echo for %i"):
        assert rewrite_loops(text, classify) == text


def test_the_rewrite_binds_the_loop_variable() -> None:
    classify = PathClassifier({"home": ["~"]}).classify
    out = rewrite_loops('for /d %i in (C:/Users/*) do rd /s /q "%~fi"', classify)
    assert out == 'for i in C:/Users/*; do rd /s /q "${i}"'
    out = rewrite_loops("foreach ($u in $list) { Remove-Item $u.FullName }", classify)
    assert out == "for u in $list; do { Remove-Item ${u} }"
