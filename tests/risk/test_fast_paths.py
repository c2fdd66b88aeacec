"""Fast paths give exactly what the general code gives: the plain-words lexer, the literal
prefilter of field patterns that run in Python's engine."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from magistrate.analysis import rx, values
from magistrate.analysis import text as text_mod
from magistrate.analysis.fieldscan import PatternSet, required_strings
from magistrate.analysis.shell_lex import _lex, _lex_loop

# Plain characters, blanks, and every character that sends a line down the general lexer.
_SHELLISH = st.text(
    alphabet=st.sampled_from(list("ab1-_/.=# \t\r\n;&|()<>'\"\\$`~*é")), max_size=40
)


@settings(max_examples=400, deadline=None)
@given(_SHELLISH)
def test_plain_word_fast_path_lexes_as_the_loop(src: str) -> None:
    assert _lex(src) == _lex_loop(src)
    assert _lex(src, 3) == _lex_loop(src, 3)


def test_plain_word_fast_path_is_taken_for_plain_lines_only() -> None:
    words = _lex("pytest -q\ttests/test_x.py  -k retry_3")
    assert [(w.text, w.start, w.end) for w in words] == [  # type: ignore[union-attr]
        ("pytest", 0, 6),
        ("-q", 7, 9),
        ("tests/test_x.py", 10, 25),
        ("-k", 27, 29),
        ("retry_3", 30, 37),
    ]
    assert _lex("echo a # note") == _lex_loop("echo a # note")  # a comment: the loop reads it


_PATTERNS = [
    r"\b(install|add|i)\b.*(\s|^)(git\+|https?://|git@|ftp://)",
    r"(?<=x)ab(?!c)",
    r"(ab|cd)+e?f",
    r"x(?i:ab)y",
    r"(?i)abc",
    r"a{2,}b",
    r"([ab])c\1",
]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abcdefgixy:/+@ tnsplhK")), max_size=30))
def test_required_strings_never_skip_a_match(text: str) -> None:
    for pattern in _PATTERNS:
        rx = re.compile(pattern)
        needs = required_strings(rx)
        if rx.search(text):
            assert needs is None or any(n in text for n in needs), (pattern, text)


def test_required_strings_read_the_pattern() -> None:
    assert required_strings(re.compile(_PATTERNS[0])) == {"git+", "http", "git@", "ftp://"}
    assert required_strings(re.compile(r"(?i)abc")) is None  # other cases match too
    assert required_strings(re.compile(r"\d+")) is None


def test_pattern_set_with_a_fallback_matches_as_pythons_engine() -> None:
    patterns = [r"\.py(\s|$)", _PATTERNS[0], r"(?<=-)rf\b"]  # the last two run in Python's engine
    ps = PatternSet(patterns)
    assert set(ps.fallback) == {1, 2}
    for text in ["pip install git+https://x/y", "pip install requests", "rm -rf x", "a.py b"]:
        expected = {i for i, p in enumerate(patterns) if re.search(p, text)}
        assert ps.matches(text) == expected, text


_VALUE_TEXT = st.text(
    alphabet=st.sampled_from(list("abcdeimnorstuKſıİ.-@/_:019 IDUSER\n")), max_size=40
)


@settings(max_examples=400, deadline=None)
@given(_VALUE_TEXT)
def test_value_prefilters_never_skip_a_match(text: str) -> None:
    if values._DOMAIN.search(text):
        assert values._DOMAIN_END.search(text)
    if values._ID_WORDS.search(text):
        assert values._may_name_id(text)


def test_phrase_grams_are_the_one_two_and_three_word_runs() -> None:
    assert values.phrase_grams("Book Le Marais, then pay") == {
        "w:book",
        "w:le",
        "w:marais",
        "w:then",
        "w:pay",
        "w:book le",
        "w:le marais",
        "w:marais then",
        "w:then pay",
        "w:book le marais",
        "w:le marais then",
        "w:marais then pay",
    }


_PROSE = st.text(alphabet=st.sampled_from(list("run ls -la /tmp, then and.: Xé\nselect * from t")))


@settings(max_examples=400, deadline=None)
@given(_PROSE)
def test_direct_re2_calls_answer_as_the_wrapper(text: str) -> None:
    clause, run_word, sql_start = text_mod._RUN_CLAUSE, text_mod._RUN_WORD, text_mod._SQL_START
    assert rx.found(run_word, text) == (run_word.search(text) is not None)
    assert rx.starts(sql_start, text) == (sql_start.match(text) is not None)
    assert rx.group_texts(clause, text) == [m.groups() for m in clause.finditer(text)]
    # Every clause holds its run word: stopping at a match that ends the text loses none.
    assert rx.group_texts(clause, text, nonempty=True) == rx.group_texts(clause, text)


_REQUESTS = st.lists(
    st.sampled_from(["why ", "do not", " run", "never", "just explain", "flags", "é", "x", "R"])
    | st.sampled_from(list(" \tabcdeflrtuwyDNU'.")),
    max_size=12,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(_REQUESTS)
def test_explain_only_answers_as_its_regex(text: str) -> None:
    expected = text_mod._EXPLAIN_ONLY.search(text, 0, text_mod._EXPLAIN_SPAN) is not None
    assert text_mod.explains_only(text) == expected
