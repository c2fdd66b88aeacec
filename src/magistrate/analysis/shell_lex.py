"""A shell lexer built for security analysis.

Why not `shlex` or `bashlex`: `shlex` drops whether a word was quoted and does not see
`$(…)`, backticks or heredocs; `bashlex` raises on common bash (`[[ … ]]`, `case`) and costs
100–400 µs a command. Governance needs a lexer that never fails on any input, keeps the
quoting (quoted text is data), and returns every piece of code that will run (command and
process substitutions, heredoc bodies) — in a few microseconds.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass

# Characters that end an unquoted word.
_METACHARS = frozenset(" \t\r\n;&|()<>")
# A run of ordinary word characters: everything but metacharacters, quotes, escapes, `$`, `` ` ``.
_PLAIN = re.compile(r"[^ \t\r\n;&|()<>'\"\\$`]+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-]")
_REDIR = re.compile(r"&>>|&>|<<<|<<-|<<|>>|>\||<>|>&|<&|>|<")
_ANSI_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "a": "\a",
    "b": "\b",
    "e": "\x1b",
    "E": "\x1b",
    "f": "\f",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "?": "?",
}


@dataclass(slots=True, init=False)
class Word:
    """One shell word: its value with quotes removed, and what runs inside it."""

    text: str
    start: int
    end: int
    quoted: bool
    dynamic: bool  # holds an expansion ($VAR, ${…}, $(…), `…`) whose value is unknown
    subs: list[str]  # code of command/process substitutions
    process_sub: bool  # the whole word is <(…) or >(…)

    # Written out, not generated: mypyc compiles this one (a generated `__init__` stays
    # interpreted), and every first sight builds dozens of words.
    def __init__(
        self,
        text: str,
        start: int,
        end: int,
        quoted: bool = False,
        dynamic: bool = False,
        subs: list[str] | None = None,
        process_sub: bool = False,
    ) -> None:
        self.text = text
        self.start = start
        self.end = end
        self.quoted = quoted
        self.dynamic = dynamic
        self.subs = [] if subs is None else subs
        self.process_sub = process_sub


@dataclass(slots=True)
class Op:
    """A control operator: ; & && || | |& ;; ( ) or a newline."""

    op: str
    start: int


@dataclass(slots=True)
class Redir:
    """A redirection, with its target word and, for heredocs, the body."""

    op: str
    fd: str
    target: Word | None
    start: int
    body: str | None = None
    body_expands: bool = False


Token = Word | Op | Redir


# `"$("$("…` nested deeper than this is not a command anyone writes: the rest of the source is
# taken as one unterminated substitution (the analyzer's own depth limit then flags it), instead
# of recursing until the interpreter's stack runs out.
MAX_QUOTED_NESTING = 128


def _match_paren(src: str, i: int, nest: int = 0) -> int:
    """Index of the `)` closing the `(` at i, skipping quotes; len(src) if unterminated."""
    depth = 0
    n = len(src)
    while i < n:
        c = src[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        elif c == "'":
            j = src.find("'", i + 1)
            i = n if j < 0 else j
        elif c == '"':
            i = _end_of_double(src, i + 1, nest + 1)
        elif c == "\\":
            i += 1
        elif c == "`":
            j = _end_of_backtick(src, i + 1)
            i = j
        i += 1
    return n


def _end_of_double(src: str, i: int, nest: int = 0) -> int:
    """Index of the `"` closing a double-quoted string whose body starts at i."""
    n = len(src)
    if nest > MAX_QUOTED_NESTING:
        return n
    while i < n:
        c = src[i]
        if c == '"':
            return i
        if c == "\\":
            i += 2
            continue
        if c == "$" and i + 1 < n and src[i + 1] == "(":
            i = _match_paren(src, i + 1, nest) + 1
            continue
        if c == "`":
            i = _end_of_backtick(src, i + 1) + 1
            continue
        i += 1
    return n


def _end_of_backtick(src: str, i: int) -> int:
    n = len(src)
    while i < n:
        c = src[i]
        if c == "`":
            return i
        if c == "\\":
            i += 1
        i += 1
    return n


def _decode_ansi_c(body: str) -> str:
    """Decode the escapes of a $'…' string (\\n, \\x41, \\101, \\u0041)."""
    out: list[str] = []
    i, n = 0, len(body)
    while i < n:
        c = body[i]
        if c != "\\" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        e = body[i + 1]
        if e in _ANSI_ESCAPES:
            out.append(_ANSI_ESCAPES[e])
            i += 2
        elif e in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[e]
            m = re.match(f"[0-9A-Fa-f]{{1,{width}}}", body[i + 2 :])
            if m:
                out.append(chr(int(m.group(), 16)))
                i += 2 + m.end()
            else:
                out.append("\\" + e)
                i += 2
        elif e in "01234567":
            m = re.match(r"[0-7]{1,3}", body[i + 1 :])
            assert m is not None
            out.append(chr(int(m.group(), 8) & 0xFF))
            i += 1 + m.end()
        else:
            out.append("\\" + e)
            i += 2
    return "".join(out)


def _scan_double(src: str, i: int, w: _WordBuilder) -> int:
    """Scan the body of "…" starting at i; returns the index after the closing quote."""
    n = len(src)
    buf: list[str] = []
    while i < n:
        c = src[i]
        if c == '"':
            i += 1
            break
        if c == "\\" and i + 1 < n:
            nxt = src[i + 1]
            if nxt in '$`"\\\n':
                if nxt != "\n":
                    buf.append(nxt)
                i += 2
            else:
                buf.append(c)
                i += 1
            continue
        if c == "$":
            j = _scan_dollar(src, i, w, buf)
            i = j
            continue
        if c == "`":
            j = _end_of_backtick(src, i + 1)
            w.subs.append(src[i + 1 : j])
            w.dynamic = True
            buf.append(src[i : j + 1])
            i = j + 1
            continue
        plain = _DOUBLE_PLAIN.match(src, i)  # a run of ordinary characters at once
        if plain is None:  # a backslash ending the source
            buf.append(c)
            i += 1
        else:
            buf.append(plain.group())
            i = plain.end()
    w.parts.append("".join(buf))
    return i


_DOUBLE_PLAIN = re.compile(r'[^"\\$`]+')  # what "…" holds with no special meaning


def _scan_dollar(src: str, i: int, w: _WordBuilder, buf: list[str]) -> int:
    """Scan an expansion starting with `$` at i into buf; returns the index after it."""
    n = len(src)
    if src.startswith("$((", i):
        j = _match_paren(src, i + 1)
        buf.append(src[i : j + 1])
        w.dynamic = True
        return j + 1
    if src.startswith("$(", i):
        j = _match_paren(src, i + 1)
        w.subs.append(src[i + 2 : j])
        buf.append(src[i : j + 1])
        w.dynamic = True
        return j + 1
    if src.startswith("${", i):
        j = src.find("}", i + 2)
        j = n - 1 if j < 0 else j
        buf.append(src[i : j + 1])
        w.dynamic = True
        return j + 1
    m = _NAME.match(src, i + 1)
    if m:
        buf.append(src[i : m.end()])
        w.dynamic = True
        return m.end()
    buf.append("$")
    return i + 1


class _WordBuilder:
    __slots__ = ("dynamic", "parts", "quoted", "subs")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.subs: list[str] = []
        self.quoted = False
        self.dynamic = False


def _scan_word(src: str, i: int) -> tuple[Word, int]:
    """Scan one word starting at i (not at a metacharacter)."""
    n = len(src)
    start = i
    w = _WordBuilder()
    while i < n:
        c = src[i]
        if c in _METACHARS:
            break
        if c == "'":
            j = src.find("'", i + 1)
            j = n if j < 0 else j
            w.parts.append(src[i + 1 : j])
            w.quoted = True
            i = j + 1
        elif c == '"':
            w.quoted = True
            i = _scan_double(src, i + 1, w)
        elif c == "\\":
            if i + 1 < n:
                if src[i + 1] != "\n":
                    w.parts.append(src[i + 1])
                i += 2
            else:
                i += 1
        elif c == "$":
            if src.startswith("$'", i):
                j = i + 2
                while j < n and src[j] != "'":
                    j += 2 if src[j] == "\\" else 1
                w.parts.append(_decode_ansi_c(src[i + 2 : min(j, n)]))
                w.quoted = True
                i = j + 1
            else:
                i = _scan_dollar(src, i, w, w.parts)
        elif c == "`":
            j = _end_of_backtick(src, i + 1)
            w.subs.append(src[i + 1 : j])
            w.parts.append(src[i : j + 1])
            w.dynamic = True
            i = j + 1
        else:
            m = _PLAIN.match(src, i)
            assert m is not None
            w.parts.append(m.group())
            i = m.end()
    end = min(i, n)
    return Word("".join(w.parts), start, end, w.quoted, w.dynamic, w.subs), end


def lex(src: str, max_tokens: int | None = None) -> list[Token]:
    """Split shell source into words, operators and redirections. Never raises.

    The tokens of recent inputs are cached: the fingerprint and the analyzer both lex the same
    command line. Callers must not modify the tokens. With `max_tokens`, lexing of a long source
    stops after that many tokens (the caller learns it from the length of the result)."""
    return _lex_cached(src) if len(src) <= 4096 else _lex(src, max_tokens)


@functools.lru_cache(maxsize=512)
def _lex_cached(src: str) -> list[Token]:
    return _lex(src)


# A command line of plain words only (no quote, escape, expansion, operator, redirection,
# comment or newline): most commands agents run. Its words are its runs of non-blanks.
_ALL_PLAIN = re.compile(r"[^\n;&|()<>'\"\\$`#]*")
_BLANKS_APART = re.compile(r"[^ \t\r]+")


def _lex(src: str, max_tokens: int | None = None) -> list[Token]:
    if _ALL_PLAIN.fullmatch(src):  # what `_lex_loop` makes of such a line, at a third the cost
        if "\t" not in src and "\r" not in src:
            return _space_apart(src, max_tokens)
        found = _BLANKS_APART.finditer(src)
        return [
            Word(m.group(), m.start(), m.end())
            for m in (found if max_tokens is None else itertools.islice(found, max_tokens))
        ]
    return _lex_loop(src, max_tokens)


_COMPILED = not __file__.endswith(".py")  # built by mypyc (setup.py)


def _space_apart(src: str, max_tokens: int | None) -> list[Token]:
    """The words of a plain line whose only blanks are spaces (half the cost of a regex)."""
    tokens: list[Token] = []
    limit = len(src) + 1 if max_tokens is None else max_tokens
    pos = 0
    compiled = _COMPILED  # Word is then a native class: its constructor is fast, and the only way
    new = object.__new__
    for part in src.split(" "):
        if part:
            if len(tokens) >= limit:
                break
            if compiled:
                tokens.append(Word(part, pos, pos + len(part)))
            else:  # `Word(part, pos, end)`, its fields set here: no `__init__` frame per word
                w: Word = new(Word)
                w.text, w.start, w.end, w.subs = part, pos, pos + len(part), []
                w.quoted = w.dynamic = w.process_sub = False
                tokens.append(w)
        pos += len(part) + 1
    return tokens


# A field added to Word and not set in `_space_apart` fails here, at import (an unset slot
# cannot be compared), not later as a missing attribute.
if _space_apart("a", None) != [Word("a", 0, 1)]:
    raise RuntimeError("_space_apart does not build what Word() builds")


# Words a `(` follows as a condition or a parameter list (PowerShell's `if (…)`, `foreach (…)`,
# `function Name ($x)`), not a substitution.
_BEFORE_PARENS = frozenset(
    "if elif elseif while until for foreach switch function filter catch param trap".split()
)


def _fish_substitution(src: str, i: int, tokens: list[Token]) -> bool:
    """Whether the `(` at i opens a fish command substitution: after a word and a blank, not a
    function's `name ()`, an array's `a=(…)`, or a keyword's condition or parameters."""
    if not tokens or not isinstance(tokens[-1], Word):
        return False
    last = tokens[-1]
    before = tokens[-2] if len(tokens) > 1 else None
    return (
        last.end < i
        and last.text.lower() not in _BEFORE_PARENS
        and not (isinstance(before, Word) and before.text.lower() in ("function", "filter"))
        and src[i + 1 : i + 40].lstrip()[:1] != ")"
    )


def _lex_loop(src: str, max_tokens: int | None = None) -> list[Token]:
    tokens: list[Token] = []
    pending: list[Redir] = []  # heredocs whose bodies start after the next newline
    i, n = 0, len(src)
    limit = max_tokens if max_tokens is not None else n + 1
    while i < n and len(tokens) < limit:
        c = src[i]
        if c in " \t\r":
            i += 1
            continue
        if c == "\\" and i + 1 < n and src[i + 1] == "\n":
            i += 2
            continue
        if c == "\n":
            tokens.append(Op("\n", i))
            i += 1
            if pending:
                i = _read_heredocs(src, i, pending)
                pending = []
            continue
        if c == "#":
            j = src.find("\n", i)
            i = n if j < 0 else j
            continue
        if c in "<>" and i + 1 < n and src[i + 1] == "(":
            j = _match_paren(src, i + 1)
            body = src[i + 2 : j]
            tokens.append(Word(src[i : j + 1], i, min(j + 1, n), False, True, [body], True))
            i = j + 1
            continue
        if c in "<>" or (c == "&" and i + 1 < n and src[i + 1] == ">"):
            i = _lex_redirect(src, i, "", tokens, pending)
            continue
        if c == "(" and _fish_substitution(src, i, tokens):
            # fish's `eval (echo … | base64 -d)`: a command substitution (in bash, a word
            # followed by `(` is a syntax error, so nothing bash runs is read otherwise)
            j = _match_paren(src, i)
            body = src[i + 1 : j]
            tokens.append(Word("$(" + body + ")", i, min(j + 1, n), False, True, [body]))
            i = j + 1
            continue
        if c in ";&|()":
            two = src[i : i + 2]
            if two in ("&&", "||", ";;", "|&"):
                tokens.append(Op(two, i))
                i += 2
            else:
                tokens.append(Op(c, i))
                i += 1
            continue
        plain = _PLAIN.match(src, i)
        if plain is not None and (plain.end() >= n or src[plain.end()] in _METACHARS):
            # Fast path: a word of ordinary characters only (most words of most commands).
            j = plain.end()
            text = plain.group()
            if j < n and src[j] in "<>" and text.isdigit():
                i = _lex_redirect(src, j, text, tokens, pending)
                continue
            tokens.append(Word(text, i, j))
            i = j
            continue
        word, j = _scan_word(src, i)
        # `2>file`, `2>&1`: a run of digits glued to a redirection is a file descriptor.
        if j < n and src[j] in "<>" and word.text.isdigit() and not word.quoted:
            i = _lex_redirect(src, j, word.text, tokens, pending)
            continue
        tokens.append(word)
        i = j if j > i else i + 1
    return tokens


def _lex_redirect(src: str, i: int, fd: str, tokens: list[Token], pending: list[Redir]) -> int:
    n = len(src)
    m = _REDIR.match(src, i)
    op = m.group() if m else src[i]
    j = i + len(op)
    while j < n and src[j] in " \t":
        j += 1
    target: Word | None = None
    if j < n and src[j] not in _METACHARS:
        target, j = _scan_word(src, j)
    redir = Redir(op, fd, target, i)
    tokens.append(redir)
    if op in ("<<", "<<-") and target is not None:
        redir.body_expands = not target.quoted
        pending.append(redir)
    return j


def _read_heredocs(src: str, i: int, pending: list[Redir]) -> int:
    """Attach the bodies of pending heredocs, which start at i; returns the index after them."""
    n = len(src)
    for redir in pending:
        assert redir.target is not None
        delim = redir.target.text
        strip_tabs = redir.op == "<<-"
        lines: list[str] = []
        while i < n:
            j = src.find("\n", i)
            line = src[i:] if j < 0 else src[i:j]
            i = n if j < 0 else j + 1
            if (line.lstrip("\t") if strip_tabs else line) == delim:
                break
            lines.append(line)
        redir.body = "\n".join(lines)
    return i
