"""Rule examples: every built-in rule carries examples that the real engine confirms, and
`magistrate constitution test` reports each failing example with its rule id."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from magistrate import ConstitutionError, RiskDetector
from magistrate.constitution import load_constitution, parse_constitution
from magistrate.constitution.examples import example_action, natural_kind, run_examples
from magistrate.constitution.extends import BUILTINS
from magistrate.rulecheck import check_examples

CUSTOM = """
name: test
articles:
  - {id: a1, number: 1, title: First, text: The first article.}
rules:
  - id: no-curl
    article: a1
    risk: HIGH
    match:
      shell: {command: [curl]}
    examples:
      match: ['curl https://example.com']
      no_match: ['wget https://example.com', {kind: prompt, text: 'summarize the curling results'}]
"""


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_every_builtin_rule_has_examples_that_pass(name: str) -> None:
    loaded = load_constitution(name)
    report = check_examples(loaded)
    assert not report.failures, "\n".join(map(str, report.failures))
    assert not report.without, f"rules without both kinds of example: {report.without}"
    m = loaded.model
    assert report.with_examples == report.rules == len(m.rules) + len(m.sequences)
    assert report.passed >= 2 * report.rules


def test_a_wrong_example_fails_with_its_rule_id() -> None:
    loaded = parse_constitution(CUSTOM)
    good = run_examples(loaded.model, RiskDetector(loaded))
    assert (good.rules, good.with_examples, good.passed, good.failed) == (1, 1, 3, 0)
    broken = parse_constitution(
        CUSTOM.replace("match: ['curl https://example.com']", "match: ['ls -la']")
    )
    report = run_examples(broken.model, RiskDetector(broken))
    assert report.failed == 1 and report.passed == 2
    assert str(report.failures[0]).startswith("no-curl: did not fire on 'ls -la'")
    swapped = parse_constitution(CUSTOM.replace("no_match: ['wget", "no_match: ['curl"))
    report = run_examples(swapped.model, RiskDetector(swapped))
    assert report.failed == 1 and "fired on no_match" in str(report.failures[0])


def test_examples_that_are_not_actions_are_load_errors() -> None:
    bad = CUSTOM.replace(
        "no_match: ['wget https://example.com'", "no_match: [{kind: spaceship, text: x}"
    )
    with pytest.raises(ConstitutionError) as info:
        parse_constitution(bad)
    [problem] = info.value.problems
    assert problem.rule_id == "no-curl" and "examples.no_match[0]" in problem.reason
    with pytest.raises(ConstitutionError):
        parse_constitution(CUSTOM.replace("match: ['curl", "match: [{kind: shell, bogus: 1, x: '"))


def test_string_examples_take_the_rules_natural_kind() -> None:
    model = load_constitution("default").model
    by_id = {r.id: r for r in model.rules}
    assert natural_kind(by_id["sql-drop"]) == "sql"
    assert natural_kind(by_id["delete-root-or-home"]) == "shell"
    assert natural_kind(by_id["nl-destroy-data"]) == "prompt"
    action = example_action(by_id["sql-drop"], {"kind": "tool", "tool": "db.query"})
    assert action.kind == "tool" and action.tool == "db.query"


def test_examples_do_not_change_the_version() -> None:
    plain = parse_constitution(CUSTOM.split("    examples:")[0])
    assert plain.version == parse_constitution(CUSTOM).version


def _cli(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MAGISTRATE_DATABASE_URL": f"sqlite:///{tmp_path}/m.db"}
    env.pop("MAGISTRATE_CONSTITUTION", None)
    return subprocess.run(
        [sys.executable, "-m", "magistrate", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_cli_constitution_test_json_and_exit_codes(tmp_path: Path) -> None:
    r = _cli("constitution", "test", "--json", tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    figures = json.loads(r.stdout)
    assert figures["failed"] == 0 and figures["rules"] == figures["with_examples"] > 150
    broken = tmp_path / "broken.yaml"
    broken.write_text(textwrap.dedent(CUSTOM).replace("match: ['curl https", "match: ['ls https"))
    r = _cli("constitution", "test", str(broken), tmp_path=tmp_path)
    assert r.returncode == 1
    assert "FAIL no-curl: did not fire on 'ls https://example.com'" in r.stderr
    r = _cli("constitution", "test", str(broken), "--json", tmp_path=tmp_path)
    assert r.returncode == 1
    assert json.loads(r.stdout) == {"rules": 1, "with_examples": 1, "passed": 2, "failed": 1}
    r = _cli("constitution", "validate", str(broken), tmp_path=tmp_path)
    assert r.returncode == 3 and "no-curl" in r.stderr


SEQUENCE = """
name: test
articles:
  - {id: a1, number: 1, title: First, text: The first article.}
path_classes:
  secret: ['(^|/)\\.ssh/']
sequences:
  - id: read-then-send
    article: a1
    risk: CRITICAL
    decision: deny
    first: [read:secret]
    then: [send]
    examples:
      match:
        - ["cat ~/.ssh/id_rsa", "curl -F f=@notes.txt https://uploads.example.net/"]
      no_match:
        - ["curl -F f=@notes.txt https://uploads.example.net/"]
"""


def test_sequence_examples_are_sessions_judged_in_order() -> None:
    report = check_examples(parse_constitution(SEQUENCE))
    assert (report.rules, report.with_examples, report.passed, report.failed) == (1, 1, 2, 0)
    swapped = SEQUENCE.replace(
        '- ["curl -F f=@notes.txt https://uploads.example.net/"]',
        '- ["cat ~/.ssh/id_rsa", "curl -F f=@n.txt https://uploads.example.net/"]',
    )
    report = check_examples(parse_constitution(swapped))
    assert report.failed == 1
    assert str(report.failures[0]).startswith(
        "read-then-send: fired on no_match ['cat ~/.ssh/id_rsa'"
    )
    with pytest.raises(ConstitutionError) as info:
        parse_constitution(SEQUENCE.replace('["cat ~/.ssh/id_rsa",', "[{kind: nope},"))
    assert "examples.match[0][0]: not an action" in str(info.value)
