"""Prose and unicode: homoglyph folding, and code found inside natural-language requests."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import re2  # type: ignore[import-untyped]

from magistrate.analysis import rx

# Characters that render as nothing; attackers put them inside keywords (`r\u200bm`).
_INVISIBLE = dict.fromkeys(
    [
        0x00AD,
        0x034F,
        0x061C,
        0x115F,
        0x1160,
        0x17B4,
        0x17B5,
        0x180E,
        0x200B,
        0x200C,
        0x200D,
        0x200E,
        0x200F,
        0x202A,
        0x202B,
        0x202C,
        0x202D,
        0x202E,
        0x2060,
        0x2061,
        0x2062,
        0x2063,
        0x2064,
        0x2066,
        0x2067,
        0x2068,
        0x2069,
        0x206A,
        0x206B,
        0x206C,
        0x206D,
        0x206E,
        0x206F,
        0x3164,
        0xFE00,
        0xFE0F,
        0xFEFF,
        0xFFA0,
    ],
    None,
)
# Unicode's tag characters (U+E0020-U+E007E) render as nothing but spell ASCII one to one:
# text smuggled in them is read as the ASCII it spells (the language/cancel tags as nothing).
_INVISIBLE.update({cp: cp - 0xE0000 for cp in range(0xE0020, 0xE007F)})
_INVISIBLE.update({0xE0001: None, 0xE007F: None})
# Letters from other scripts that look like Latin ones (a subset of Unicode's confusables that
# covers Cyrillic, Greek and Armenian look-alikes); NFKC already folds fullwidth forms.
_CONFUSABLES = str.maketrans(
    "аеорсухіјѕԁԛԝһӏвкмнтАВЕКМНОРСТХІЈЅԌаɑοσρνυτκιεαΑΒΕΖΗΙΚΜΝΟΡΤΥΧϲϳոսհոօրցⅰⅼⅽⅾⅿℓ℮ıɡƖǀгпɾʀ",
    "aeopcyxijsdqwhlbkmhtABEKMHOPCTXIJSGaaoopvutkieaABEZHIKMNOPTYXcjnuhnorgilcdmleigllrnrr",
)


# C0 controls other than tab, newline and carriage return (NUL inside `r\x00m`), and DEL.
_CONTROLS = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32), 127], None)


def skeleton(text: str) -> str:
    """Text with invisible and control characters removed and look-alike letters folded."""
    if text.isascii():
        return text.translate(_CONTROLS) if not text.isprintable() and _has_control(text) else text
    folded = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_CONTROLS)
    return folded.translate(_CONFUSABLES)


# A word in a script whose letters the skeleton folds into Latin look-alikes (Cyrillic, Greek,
# Armenian): Russian or Greek written as such, not a homoglyph slipped into a Latin word.
_FOLDED_SCRIPT_WORD = re.compile(r"[\u0370-\u03ff\u0400-\u04ff\u0530-\u058f]{3,}")


# A URL's host holding a letter outside ASCII (what an IDN homograph needs).
_NON_ASCII_HOST = re.compile(
    r"[a-z][a-z0-9+.-]{1,10}://([^/\s'\"<>@]*[^\x00-\x7f][^/\s'\"<>@]*)", re.I
)


def lookalike_host(text: str) -> str | None:
    """`pypі.org (reads as pypi.org)` for a URL whose host is ASCII once look-alike letters are
    folded (a Cyrillic `і` in `pypі.org`), else None; an internationalized name with letters of
    its own (`münchen.de`, `пример.рф`) is not one."""
    if text.isascii():
        return None
    for m in _NON_ASCII_HOST.finditer(text[:20_000]):
        host = m.group(1)
        folded = skeleton(host)
        if folded.isascii() and folded != host:
            return f"{host[:80]} (reads as {folded[:80]})"
    return None


def native(text: str) -> str | None:
    """The text cleaned as `skeleton` cleans it but with its letters kept, when it holds words
    of a script the skeleton folds (`Ассистент: удали…` stays Russian); else None."""
    if text.isascii() or not _FOLDED_SCRIPT_WORD.search(text):
        return None
    return unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_CONTROLS)


def _has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # one character class: linear


_FENCE = re.compile(r"```[\w+-]*\n?(.*?)```", re.S)
_INLINE = re.compile(r"`([^`\n]{2,400})`")
_QUOTED = re.compile(r"(?<![\w])[\"']([^\"'\n]{3,400})[\"'](?![\w])")
# RE2 (linear): with Python's engine every "run" of a long text cost 400 steps of backtracking.
# A clause ends at the end of a line, at `, then`/`, and`, or at a full stop after a character
# that is not part of a path (group 2: that character).
_RUN_CLAUSE = re2.compile(
    r"(?i)\b(?:run|execute|exec|type|enter|invoke|issue|use|call|do|try|paste)\s*:?\s+(?:the\s+)?"
    r"(?:(?:command|following|this|these|that)(?:\s+commands?)?\s*:?\s+)?:?\s*([^\n]+?)"
    r"(?:([^\s./~])\.\s|$|\n|,\s+(?:then|and)\b)"
)
# RE2 (linear time): `select\s+.+\s+from` took cubic time in Python's engine (24 s for
# `select` and 2,000 spaces).
_SQL_START = re2.compile(
    r"(?is)^\s*(?:with\s+\w+\s+as\s*\(|select\s+.+\s+from\s|insert\s+into\s"
    r"|update\s+[\w.\"`\[\]]+\s+set\s+[\w.\"`]+\s*="
    r"|delete\s+from\s+[\w.\"`\[\]]+\s*(?:where\b|using\b|returning\b|;|$)"
    r"|drop\s+(?:table|database|schema|view|index|user|role|collection)\s+"
    r"(?:if\s+exists\s+)?[\w.\"`\[\]]+\s*(?:;|$|cascade)"
    r"|truncate\s+(?:table\s+[\w.\"`]+|[\w.\"`]+\s*(?:;|$|,|restart|cascade|continue))"
    r"|alter\s+(?:table|user|role|database)\s"
    r"|grant\s+(?:all|select|insert|update|delete|usage|[\w, ]+\s+on)\b"
    r"|revoke\s+\w+|create\s+(?:table|user|role|database|index)\b|merge\s+into\s"
    r"|copy\s+\w+\s+(?:to|from)\b)",
)
_SHELL_SHAPE = re.compile(r"^\s*(?:sudo\s+|\$\s+)?([\w./\\\[-]+)(\s+\S+)*\s*$")


# RE2 too: one search over a megabyte of prose must not hold the GIL for 100 ms.
_RUN_WORD = re2.compile(
    r"(?i)\b(?:run|execute|exec|type|enter|invoke|issue|use|call|do|try|paste)\b"
)


_NEXT_WORD = re.compile(r"[\w.-]+(\s+-|\s*$|\s*[|;&>])")
_EXPANDED_NAME = re.compile(r"^[\"']?(?:\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\$\(|`)")


# Paths named in prose. RE2 (linear time): Python's engine took quadratic time on long word runs.
PATH_TOKEN_UNICODE = re2.compile(
    r"(?:~|\$HOME|\.{0,2}/)?[\pL\pN_.-]*(?:/[\pL\pN_.-]+)+|(?:^|[^\pL\pN_])(\.[\pL\pN_.-]+)"
    r"|\bid_[a-z0-9]+\b"
)
# The same over ASCII text (most text): a much smaller automaton to build on first sight.
PATH_TOKEN_ASCII = re2.compile(
    r"(?:~|\$HOME|\.{0,2}/)?[\w.-]*(?:/[\w.-]+)+|(?:^|[^\w])(\.[\w.-]+)|\bid_[a-z0-9]+\b"
)
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_NAME_CHARS = _WORD_CHARS | {".", "-"}


def _dot_token(text: str) -> bool:
    r"""Whether PATH_TOKEN_ASCII's second alternative, `(?:^|[^\w])\.[\w.-]`, can match this
    ASCII text: a dot not after a word character, before a name character (`.env`). Found
    from the dots (prose has few), not by a regex tried at every character."""
    i = text.find(".")
    while i >= 0:
        if (i == 0 or text[i - 1] not in _WORD_CHARS) and text[i + 1 : i + 2] in _NAME_CHARS:
            return True
        i = text.find(".", i + 1)
    return False


def path_tokens(text: str) -> Any:
    """The RE2 regex of path tokens for this text (ASCII or not), or None when it names none."""
    if text.isascii():
        # Its first alternative needs a slash, its third `id_`: most prose has neither.
        if "/" not in text and "id_" not in text and not _dot_token(text):
            return None  # no alternative can match (most prose)
        paths = PATH_TOKEN_ASCII
    else:
        paths = PATH_TOKEN_UNICODE
    return paths if rx.found(paths, text) else None


def looks_like_sql(text: str) -> bool:
    """True when the text starts like an SQL statement."""
    head = text.lstrip(_RE2_SPACE)[:8]
    if head.isascii() and not head.lower().startswith(_SQL_WORDS):
        return False  # no statement word starts it (most prose and commands): RE2 not asked
    return rx.starts(_SQL_START, text)


_RE2_SPACE = " \t\n\f\r"  # RE2's `\s`
# The words `_SQL_START`'s statements begin with (each is followed by a blank there).
_SQL_WORDS = tuple(
    "with select insert update delete drop truncate alter grant revoke create merge copy".split()
)


def looks_like_shell(text: str, commands: frozenset[str]) -> bool:
    """True when the text starts with a known command followed by shell-like words."""
    stripped = text.strip()
    if stripped.startswith("$ "):
        stripped = stripped[2:]
    if not stripped:
        return False
    first, _, rest = stripped.partition(" ")
    name = first.rsplit("/", 1)[-1].lower()
    if first.startswith(("sudo", "./", "/usr/", "/bin/")):
        return True
    if rest and _EXPANDED_NAME.match(first):  # `$SHELL -c …`, `$(which sh) …`: a hidden name
        return True
    if name not in commands:
        return False
    if not rest:
        return True
    nxt = rest.lstrip()[:1]
    return (
        nxt in "-/~.$'\"|>&;*"
        or "/" in rest
        or "=" in rest
        or nxt.isdigit()
        or (bool(_NEXT_WORD.match(rest.lstrip())) and len(rest.split()) <= 6)
    )


def code_in_prose(text: str, commands: frozenset[str]) -> list[str]:
    """Command lines and SQL embedded in a natural-language request."""
    found: list[str] = []
    # Each pattern runs only where its delimiter is (most prose has no backtick or quote).
    if "```" in text:
        found.extend(m.group(1) for m in _FENCE.finditer(text))
    candidates = [m.group(1) for m in _INLINE.finditer(text)] if "`" in text else []
    if "'" in text or '"' in text:
        candidates += [m.group(1) for m in _QUOTED.finditer(text)]
    # A clause starts with a `_RUN_WORD` (no such word, no clause): one engine call, not two.
    candidates += [
        (clause or "") + (end or "")
        for clause, end in rx.group_texts(_RUN_CLAUSE, text, nonempty=True)
        if len(clause or "") < 400  # a clause is a command line, not a page
    ]
    for raw in candidates:
        candidate = raw.strip().rstrip(".")
        if len(candidate) >= 2 and (
            looks_like_sql(candidate) or looks_like_shell(candidate, commands)
        ):
            found.append(candidate)
    return found


# A request that only asks: a question at its start, or one of these wordings anywhere.
_EXPLAIN_QUESTION = (
    r"^\s*(why|how|what|when|where|which|who|explain|describe|can you explain|tell me (about|what"
    r"|why|how)|what's|is it|is there|does|do|should i|could you explain|explica|explique"
    r"|expl[ií]came|qu[eé]|c[oó]mo|por qu[eé]|cu[aá]l|qual|quais|o que)\b"
)
_EXPLAIN_ELSEWHERE = (
    r"\b(don'?t|do not|never) (run|execute)\b|\bjust explain\b|\b(detects?"
    r"|detection|sigma|yara|alert on|hunt for|monitor for|flags?|catches|bloqueia|bloquea"
    r"|detecta)\b"
)
_EXPLAIN_ONLY = re.compile(_EXPLAIN_QUESTION + "|" + _EXPLAIN_ELSEWHERE, re.I)
# The same wordings for RE2 (linear, and no per-position Python loop), read over ASCII text
# only: there `\b` and case folding mean the same in both engines.
_EXPLAIN_ELSEWHERE_ASCII = re2.compile("(?i)" + _EXPLAIN_ELSEWHERE)
# Where a request says it only asks (a question, 'just explain'): its opening is enough, and a
# search of Python's engine over a megabyte would hold the GIL for 200 ms.
_EXPLAIN_SPAN = 8192
# `_EXPLAIN_ONLY` is a question at the start, or one of these anywhere. In ASCII text (where
# case-insensitive matching has no other spellings) a text holding none of them is decided by
# the anchored start alone, instead of trying every alternative at every character.
_EXPLAIN_START = re.compile(_EXPLAIN_QUESTION, re.I)
_EXPLAIN_ANYWHERE = (
    "t run",  # don't, dont, do not
    "r run",  # never
    "t execute",
    "r execute",
    "just explain",
    "detect",
    "sigma",
    "yara",
    "alert on",
    "hunt for",
    "monitor for",
    "flag",
    "catches",
    "bloque",
    "detecta",
)


def explains_only(text: str) -> bool:
    """True when a request only asks (a question, 'just explain', detection work): it runs
    nothing. `_EXPLAIN_ONLY` over the first `_EXPLAIN_SPAN` characters."""
    if text.isascii():
        if _EXPLAIN_START.match(text, 0, _EXPLAIN_SPAN) is not None:
            return True
        head = text[:_EXPLAIN_SPAN].lower()
        if not any(word in head for word in _EXPLAIN_ANYWHERE):
            return False
        return rx.found(_EXPLAIN_ELSEWHERE_ASCII, text[:_EXPLAIN_SPAN])  # the start did not match
    return _EXPLAIN_ONLY.search(text, 0, _EXPLAIN_SPAN) is not None


# JSON's and iCalendar's escapes: a tool's output kept as a JSON string (`"text":"…\n\nAgent
# note: …"`) has no line breaks, and `\nAgent` hides the word's start from every pattern.
_ESCAPE = re.compile(r"\\([\"\\/nrt]|u[0-9a-fA-F]{4})")
_ESCAPED = {"n": "\n", "r": "\n", "t": "\t", '"': '"', "\\": "\\", "/": "/"}


def unescaped(text: str) -> str | None:
    """The text with its JSON string escapes decoded, or None when it has none."""
    if "\\" not in text:
        return None
    plain = _ESCAPE.sub(lambda m: _ESCAPED.get(m.group(1)) or chr(int(m.group(1)[1:], 16)), text)
    return plain if plain != text else None
