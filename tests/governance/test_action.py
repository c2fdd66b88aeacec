"""Action validation, normalization and fingerprints."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from magistrate import Action, InvalidAction
from magistrate.action import MAX_DEPTH, MAX_TEXT_CHARS
from magistrate.normalize import normalize_shell, normalize_sql


def test_minimal_action_defaults() -> None:
    a = Action(kind="shell", text="ls")
    assert a.principal == "anonymous"
    assert a.args == {} and a.context == {}
    assert len(a.fingerprint) == 32


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"kind": "bash2", "text": "x"}, "kind", "must be one of"),
        ({"kind": "shell", "text": 5}, "text", "must be a string"),
        ({"kind": "shell", "text": "x" * (MAX_TEXT_CHARS + 1)}, "text", "100,000"),
        ({"kind": "tool", "tool": "t", "args": [1, 2]}, "args", "JSON object"),
        ({"kind": "tool", "tool": "t", "args": {"x": float("nan")}}, "args", "NaN"),
        ({"kind": "tool", "tool": "t", "args": {"x": object()}}, "args", "JSON-serializable"),
        ({"kind": "tool", "tool": "t", "args": {"x": "y" * 1_000_001}}, "args", "1,000,000"),
        ({"kind": "tool", "tool": "t", "args": {1: "y"}}, "args", "keys must be strings"),
        ({"kind": "shell", "text": "ls", "principal": 7}, "principal", "must be a string"),
        ({"kind": "shell", "text": "ls", "tool": "t" * 300}, "tool", "256"),
        ({"kind": "shell", "text": "ls", "id": 1.5}, "id", "string or an integer"),
        ({"kind": "shell", "text": ""}, "text", "needs text, a tool or args"),
        ({"kind": "shell", "text": "ls", "context": "prod"}, "context", "JSON object"),
    ],
)
def test_invalid_actions_name_field_and_limit(kwargs: dict, field: str, fragment: str) -> None:
    with pytest.raises(InvalidAction) as info:
        Action(**kwargs)
    assert info.value.field == field
    assert fragment in str(info.value)


def test_depth_limit_is_enforced_without_recursion_error() -> None:
    deep: dict = {}
    node = deep
    for _ in range(5000):
        node["a"] = {}
        node = node["a"]
    with pytest.raises(InvalidAction) as info:
        Action(kind="tool", tool="t", args=deep)
    assert str(MAX_DEPTH) in str(info.value)
    ok: dict = {}
    node = ok
    for _ in range(MAX_DEPTH - 1):
        node["a"] = {}
        node = node["a"]
    Action(kind="tool", tool="t", args=ok)


def test_from_dict_ignores_labels_but_strict_rejects_them() -> None:
    data = {"id": "x1", "kind": "sql", "text": "SELECT 1", "expected": "allow"}
    assert Action.from_dict(data).id == "x1"
    with pytest.raises(InvalidAction) as info:
        Action.from_dict(data, strict=True)
    assert info.value.field == "expected"
    with pytest.raises(InvalidAction):
        Action.from_dict(["not", "an", "object"])


def test_kind_aliases_are_accepted_from_json() -> None:
    assert Action.from_dict({"kind": "bash", "text": "ls"}).kind == "shell"
    assert Action.from_dict({"kind": "observation", "text": "x"}).kind == "tool_output"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("rm -rf /tmp/x", "rm -fr /tmp/x"),
        ("rm -rf /tmp/x", "rm -r -f /tmp/x"),
        ("rm  -rf   /tmp/x", "rm -rf /tmp/x\n"),
        ("ls -la | grep x", "ls -al|grep x"),
        ("echo 'a b'", 'echo "a b"'),
    ],
)
def test_shell_fingerprint_ignores_flag_order_and_spacing(a: str, b: str) -> None:
    assert Action(kind="shell", text=a).fingerprint == Action(kind="shell", text=b).fingerprint


def test_shell_fingerprint_keeps_meaning() -> None:
    base = Action(kind="shell", text="rm -rf /tmp/x").fingerprint
    assert Action(kind="shell", text="rm -rf /tmp/y").fingerprint != base
    assert Action(kind="shell", text="rm -r /tmp/x").fingerprint != base
    assert Action(kind="shell", text="echo 'rm -rf /tmp/x'").fingerprint != base


def test_sql_fingerprint_ignores_literals_case_and_comments() -> None:
    a = Action(kind="sql", text="SELECT * FROM users WHERE id = 42 AND name = 'bob'")
    b = Action(kind="sql", text="select *  from users -- who\n where id = 7 and name = 'alice';")
    assert a.fingerprint == b.fingerprint
    c = Action(kind="sql", text="SELECT * FROM orders WHERE id = 42")
    assert c.fingerprint != a.fingerprint
    assert normalize_sql("DELETE FROM t WHERE x = 'it''s'") == "delete from t where x = ?"


def test_args_fingerprint_ignores_key_order() -> None:
    a = Action(kind="tool", tool="t", args={"a": 1, "b": {"c": [1, 2], "d": "x"}})
    b = Action(kind="tool", tool="t", args={"b": {"d": "x", "c": [1, 2]}, "a": 1})
    assert a.fingerprint == b.fingerprint
    assert Action(kind="tool", tool="t", args={"a": 2}).fingerprint != a.fingerprint


def test_normalize_shell_merges_flag_runs() -> None:
    assert normalize_shell("rm -r -f -v  x") == "rm -frv x"
    assert normalize_shell("tar -xzf a.tgz") == "tar -fxz a.tgz"


words = st.text(alphabet="abcdefghij./_", min_size=1, max_size=8)
flag_letters = st.sets(st.sampled_from("abcdefrvxz"), min_size=1, max_size=5)


@given(
    cmd=words,
    letters=flag_letters,
    operands=st.lists(words, max_size=4),
    spaces=st.lists(st.sampled_from([" ", "  ", "\t"]), min_size=8, max_size=8),
)
@settings(max_examples=200, deadline=None)
def test_fingerprint_stable_under_flag_permutation_and_whitespace(
    cmd: str, letters: set[str], operands: list[str], spaces: list[str]
) -> None:
    ordered = sorted(letters)
    one = f"{cmd} -{''.join(ordered)} {' '.join(operands)}"
    separate = spaces[0].join([cmd, *[f"-{x}" for x in reversed(ordered)], *operands])
    assert (
        Action(kind="shell", text=one).fingerprint
        == Action(kind="shell", text=separate).fingerprint
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)


@given(args=st.dictionaries(st.text(max_size=6), json_values, max_size=5))
@settings(max_examples=200, deadline=None)
def test_fingerprint_stable_under_key_order(args: dict) -> None:
    reordered = json.loads(json.dumps(dict(reversed(list(args.items())))))
    a = Action(kind="tool", tool="t", args=args)
    b = Action(kind="tool", tool="t", args=reordered)
    assert a.fingerprint == b.fingerprint
