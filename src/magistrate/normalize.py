"""Canonical forms of an action's parts, and the fingerprint made of them.

The fingerprint is stable across whitespace, JSON key order, shell flag order (`-rf` = `-fr` =
`-r -f`) and SQL literal values: it groups the same call and binds approvals to it. Apart from
`action.py` (which validates hostile input and stays interpreted) so that the compiled build
(setup.py) can compile it: every first sight of an action runs it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from magistrate.analysis.shell_lex import Op, Redir, Word, lex

_SQL_STRING = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\$\$.*?\$\$", re.S)
_SQL_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w.])", re.I)
_SQL_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_SHORT_FLAGS = re.compile(r"^-[A-Za-z]+$")
_SPACE = re.compile(r"\s")  # exactly str.isspace, character by character (all of Unicode)


def canonical_json(value: Mapping[str, Any]) -> str:
    """JSON with sorted keys, no spaces, Unicode as is: the same text for the same value."""
    return _CANONICAL.encode(value)


# What `json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))` builds on
# every call (an encoder with options is not cached by `json`), built once: it keeps no state
# between calls.
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


# ---------------------------------------------------------------------- normalization


def normalize_shell(text: str) -> str:
    """Canonical shell: words unquoted and single-spaced; each run of short flags merged,
    deduplicated and sorted (`-rf`, `-fr` and `-r -f` all become `-fr`)."""
    if len(text) > 20_000:  # long text is keyed as written: lexing it all costs too much time
        return text
    out: list[str] = []
    run: set[str] = set()
    for tok in lex(text):
        if isinstance(tok, Word):  # most tokens: one type test each
            word = tok.text
            if word[:1] == "-" and not tok.quoted and _SHORT_FLAGS.match(word):
                run.update(word[1:])
                continue
            if run:  # a run of short flags ends: merged, deduplicated, sorted
                out.append("-" + "".join(sorted(run)))
                run.clear()
            out.append(word if word and not _SPACE.search(word) else json.dumps(word))
            continue
        if run:
            out.append("-" + "".join(sorted(run)))
            run.clear()
        if isinstance(tok, Op):
            out.append(";" if tok.op == "\n" else tok.op)
        elif isinstance(tok, Redir):
            target = tok.target.text if tok.target else ""
            out.append(f"{tok.fd}{tok.op}{target}")
            if tok.body is not None:
                out.append(json.dumps(tok.body))
    if run:
        out.append("-" + "".join(sorted(run)))
    while out and out[-1] == ";":
        out.pop()
    return " ".join(out)


def normalize_sql(text: str) -> str:
    """Canonical SQL: comments removed, literals replaced by `?`, lower case, single spaces."""
    t = _SQL_COMMENT.sub(" ", text) if "--" in text or "/*" in text else text
    if "'" in t or '"' in t or "$$" in t:  # the only starts of a literal string
        t = _SQL_STRING.sub("?", t)
    t = _SQL_NUMBER.sub("?", t)
    return " ".join(t.split()).rstrip(";").strip().lower()  # split: the whitespace `\s` is


def normalize_text(kind: str, text: str) -> str:
    """The canonical form of an action's text for its kind."""
    if kind == "shell":
        return normalize_shell(text)
    if kind == "sql":
        return normalize_sql(text)
    return " ".join(text.split())  # runs of whitespace as one space, none at the ends


def fingerprint(kind: str, tool: str | None, text: str, args_json: str, target: str | None) -> str:
    """Hash of kind, tool, normalized text, canonical args and target (32 hex characters)."""
    parts = [kind, tool or "", normalize_text(kind, text), args_json, target or ""]
    return hashlib.blake2b(
        "\x1f".join(parts).encode("utf-8", "surrogatepass"), digest_size=16
    ).hexdigest()
