"""The strings program code builds and hands on: a call's arguments folded to text.

`os.system('rm -rf ' + os.environ['HOME'])`, Perl's `system("r"."m -rf /")`, awk's
`system("rm -rf " ENVIRON["HOME"])`, Ruby's `system("systemctl", "stop", "auditd")` and
`os.system(''.join(map(chr, [114, 109])))` all run one command line; a pattern that reads only
the first string literal of the call sees `rm -rf `, `r` or `systemctl`. Folding a call's
arguments (string literals, concatenation in any of the usual spellings, the environment read
by name, character codes, and names the code assigned a literal) gives the line itself. What does
not fold (a value computed at run time) is not guessed: the call is then left to the literal
patterns.
"""

from __future__ import annotations

import re

MAX_ARGS_CHARS = 600
_MAX_NAMES = 64

# One token of a folded expression. Alternatives are tried in order at each position.
_TOKEN = re.compile(
    # character codes: ''.join(map(chr, [114, 109])), String.fromCharCode(114, 109), chr(114),
    # Lua's string.char(114, 109)
    r"""\s+|(?P<chars>['"]{2}\.join\(\s*(?:map\(\s*chr\s*,\s*|chr\(\s*\w+\s*\)\s*for\s+\w+\s+in\s+)"""
    r"""[\[(](?P<codes>[\d,\s]{1,2000})[\])]\s*\)?\s*\)"""
    r"""|(?:String\.fromCharCode|string\.char)\(\s*(?P<codes2>[\d,\s]{1,2000})\))"""
    r"""|(?P<str>[rbfu]{0,2}(?P<q>['"])(?P<body>(?:(?!(?P=q))[^\\\n]|\\.){0,400})(?P=q))"""
    # the environment read by name
    r"""|(?P<env>(?:os\.)?environ(?:\.get)?\s*[\[(]\s*['"](?P<e1>\w+)['"]\s*[\])]"""
    r"""|(?:os\.)?getenv\s*\(\s*['"](?P<e2>\w+)['"]\s*\)|ENVIRON\s*\[\s*['"](?P<e3>\w+)['"]\s*\]"""
    r"""|\$ENV\s*\{\s*['"]?(?P<e4>\w+)['"]?\s*\}|ENV\s*\[\s*['"](?P<e5>\w+)['"]\s*\]"""
    r"""|process\.env\.(?P<e6>\w+)|\$_ENV\s*\[\s*['"](?P<e7>\w+)['"]\s*\])"""
    # the home directory by function
    r"""|(?P<home>(?:pathlib\.)?Path\.home\(\s*\)|(?:os\.path\.)?expanduser\(\s*['"]~['"]\s*\)"""
    r"""|(?:(?:os|require\(\s*['"]os['"]\s*\))\.)?homedir\(\s*\)|Dir\.home)"""
    r"""|(?P<chr>chr\s*\(\s*(?P<code>\d{1,7})\s*\))"""
    r"""|(?P<op>\+|\.\.|\.|~|&)|(?P<name>[A-Za-z_$][\w$]{0,40})""",
)
_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{2}|.)", re.S)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}
# `cmd = "…"`, `$cmd = '…';`, `my $c = "…" . $x`, awk's `c = "rm " ENVIRON["HOME"]`: a name
# given an expression that starts with a literal (folded with the names before it).
_ASSIGNED = re.compile(
    r"""(?:^|[;\n{(]|\bBEGIN\s*\{)\s*(?:(?:my|local|our|var|let|const)\s+)?\$?([A-Za-z_]\w{0,40})"""
    r"""\s*=\s*([rbfu]{0,2}['"][^;\n]{0,400}?)\s*(?=[;\n)}]|$)"""
)


def _unescape(body: str) -> str:
    if "\\" not in body:
        return body
    return _ESCAPE.sub(
        lambda m: (
            chr(int(m.group(1)[1:], 16))
            if m.group(1)[0] == "x" and len(m.group(1)) == 3
            else _ESCAPES.get(m.group(1), m.group(1))
        ),
        body,
    )


def _codes(text: str) -> str | None:
    try:
        return "".join(chr(int(c)) for c in text.replace(" ", "").split(",") if c)
    except (ValueError, OverflowError):
        return None


def assigned_literals(code: str) -> dict[str, str]:
    """Names the code gives a string literal (the first 64), for calls that pass the name."""
    names: dict[str, str] = {}
    if "=" not in code:
        return names
    for m in _ASSIGNED.finditer(code[:20_000]):
        folded = fold(m.group(2), names)
        if folded is not None:
            names.setdefault(m.group(1), folded)
        if len(names) >= _MAX_NAMES:
            break
    return names


def fold(expr: str, names: dict[str, str]) -> str | None:
    """The text an expression of literals builds, or None when any part is not known."""
    out: list[str] = []
    pos, n = 0, len(expr)
    while pos < n:
        m = _TOKEN.match(expr, pos)
        if m is None or m.end() == pos:
            return None
        pos = m.end()
        kind = m.lastgroup
        if m.group("str") is not None:
            out.append(_unescape(m.group("body")))
        elif m.group("env") is not None:
            name = next(g for g in m.group("e1", "e2", "e3", "e4", "e5", "e6", "e7") if g)
            out.append(f"${name}")
        elif m.group("home") is not None:
            out.append("$HOME")
        elif m.group("chr") is not None:
            code = int(m.group("code"))
            if code > 0x10FFFF:
                return None
            out.append(chr(code))
        elif m.group("chars") is not None:
            text = _codes(m.group("codes") or m.group("codes2"))
            if text is None:
                return None
            out.append(text)
        elif m.group("name") is not None:
            value = names.get(m.group("name").lstrip("$"))
            if value is None:
                return None
            out.append(value)
        elif kind is None or kind == "op":
            continue  # whitespace and concatenation operators
    return "".join(out) if out else None


def call_arguments(code: str, start: int) -> list[str] | None:
    """The top-level arguments of the call whose `(` is at `start` (None when unbalanced or
    longer than MAX_ARGS_CHARS)."""
    depth, quote, i = 0, "", start
    args: list[str] = []
    begin = start + 1
    end = min(len(code), start + MAX_ARGS_CHARS)
    while i < end:
        c = code[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append(code[begin:i])
                return [a.strip() for a in args if a.strip()]
        elif c == "," and depth == 1:
            args.append(code[begin:i])
            begin = i + 1
        i += 1
    return None


def command_line(args: list[str], names: dict[str, str]) -> str | None:
    """The command line a shell-out call's arguments make: one string, or an argument vector
    (`["rm", "-rf", x]`, or several string arguments) joined by spaces; keyword arguments are
    options of the call, not of the command."""
    if len(args) == 1 and args[0][:1] == "[" and args[0][-1:] == "]":
        inner = call_arguments("(" + args[0][1:-1] + ")", 0) or []
        args = inner
    parts: list[str] = []
    for arg in args:
        if re.match(r"^\w+\s*=[^=]", arg) or arg[:1] == ":" or arg.startswith(("{", "%")):
            continue  # `check=True`, `shell: true`, `{stdio: 'inherit'}`
        folded = fold(arg, names)
        if folded is None:
            return None
        parts.append(folded)
    return " ".join(parts) if parts else None
