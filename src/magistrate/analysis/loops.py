"""Loops of cmd and PowerShell, read as the POSIX loops the shell analysis follows.

`for /d %i in (C:\\Users\\*) do rd /s /q "%i"` deletes every profile, as
`for d in /home/*; do rm -rf "$d"; done` does; `foreach ($u in Get-ChildItem C:\\Users) {…}`
and `Get-ChildItem C:\\Users | ForEach-Object { Remove-Item $_ … }` too. The loop headers are
rewritten as `for VAR in ITEMS; do`, the loop variable's uses as `${VAR}`, so the deleter's
target is the set the loop walks; a pipeline block's `$_` is the item the pipeline feeds it.
"""

from __future__ import annotations

import re
from typing import Any

from magistrate.analysis.feeds import LISTERS, find_target
from magistrate.analysis.invocation import Invocation
from magistrate.analysis.shell_state import SimpleCommand

# cmd: `for [/d] [/r [ROOT]] [/l] [/f ["OPTIONS"]] %X in (SET) do COMMAND` (`%%X` in scripts).
_CMD_FOR = re.compile(
    r"\bfor\s+(?P<switches>(?:/[dlrf]\s+)*)"
    r'(?:"[^"]{0,200}"\s+)?'  # /f "tokens=… delims=…"
    r'(?:(?P<root>[^\s"()%]{1,260}|"[^"]{1,260}")\s+)?'  # /r ROOT
    r"%%?(?P<var>[A-Za-z])\s+in\s*\((?P<set>[^)]{0,2000})\)\s*do\b\s*",
    re.I,
)
# PowerShell: `foreach ($X in EXPR) {` (EXPR may hold one level of parentheses).
_PS_FOREACH = re.compile(
    r"\bforeach\s*\(\s*\$(?P<var>\w{1,64})\s+in\s+"
    r"(?P<expr>[^()]{0,400}(?:\([^()]{0,400}\)[^()]{0,400}){0,4})\)\s*\{",
    re.I,
)
# Properties of a file item that name the item itself (`$f.FullName`, `$_.Name`).
_ITEM_PROPERTY = re.compile(
    r"\$(\w+)\.(?:FullName|Name|Path|PSPath|BaseName|DirectoryName|FullPath)\b", re.I
)
_CMD_SET_ITEM = re.compile(r'"[^"]*"|[^\s,;"]+')
_HINT = re.compile(r"\bfor(?:each)?\b", re.I)
# A command's first word, for `foreach` sets (a lister's are its folder's entries).
_FIRST_WORD = re.compile(r"^\s*\(?\s*([\w-]+)")

# Pipeline stages that pass on (some of) the items they are fed: filters, sorts, selections.
PASS_THROUGH = frozenset(
    "where-object ? where sort-object sort select-object select tee-object".split()
)
# Commands that run a script block once for each item fed to them (`$_` is the item).
PER_ITEM_BLOCKS = frozenset({"foreach-object", "%", "foreach"})
_ITEM_VARIABLE = re.compile(r"\$(?:\{_\}|_(?!\w)|PSItem\b)", re.I)


def rewrite_loops(src: str, classify: Any) -> str:
    """`src` with cmd and PowerShell loop headers as POSIX `for` loops (unchanged when it
    holds none: the common case costs one search); `classify` is the path classifier's."""
    if "for" not in src.lower() or not _HINT.search(src):  # the first test is the cheap one
        return src
    out = _cmd_loops(src, classify) if "%" in src else src
    if "$" in out:
        out = _PS_FOREACH.sub(_ps_header, out)
        out = _ITEM_PROPERTY.sub(r"${\1}", out)
    return out


def _cmd_loops(src: str, classify: Any) -> str:
    out, pos = src, 0
    for _ in range(8):  # loops nest a few deep at most; more are left as written
        m = _CMD_FOR.search(out, pos)
        if m is None:
            break
        header, var = _cmd_header(m, classify)
        # The body's uses of %X (with modifiers: %~nxX, %%~fX) are the loop variable.
        use = re.compile(r"%%?(?:~[A-Za-z$:]{0,12}?)?" + var + r"(?![A-Za-z])")
        out = out[: m.start()] + header + use.sub("${" + var + "}", out[m.end() :])
        pos = m.start() + len(header)
    return out


def _cmd_header(m: re.Match[str], classify: Any) -> tuple[str, str]:
    switches = m.group("switches").lower()
    var, root = m.group("var"), (m.group("root") or "").strip('"')
    raw = m.group("set").strip()
    if "/f" in switches and raw[:1] in ("'", "`"):
        # ('dir /b X'): the lines a command prints, as `for a in $(ls X)`
        return f"for {var} in $({raw.strip(chr(39) + '`')}); do ", var
    items = [i.strip('"') for i in _CMD_SET_ITEM.findall(raw)][:16]
    if "/r" in switches:  # the names matched in every folder under ROOT: `find ROOT -name`
        base = root or "."
        items = [base if i == "." else find_target(base, i, classify) for i in items]
    listed = " ".join(_quoted(i) for i in items) or "''"
    return f"for {var} in {listed}; do ", var


def _ps_header(m: re.Match[str]) -> str:
    var, expr = m.group("var"), m.group("expr").strip()
    first = _FIRST_WORD.match(expr)
    if first and first.group(1).lower() in LISTERS:
        items = f"$({expr.strip('()').strip()})"  # `for f in $(ls X)`: the entries of X
    elif expr.startswith("$") and re.fullmatch(r"\$\w+", expr):
        items = expr
    else:
        items = _quoted(expr)
    return f"for {var} in {items}; do {{"


def _quoted(item: str) -> str:
    if re.fullmatch(r"[\w./:*?~$@%+=-]+", item):
        return item
    return "'" + item.replace("'", "'\\''") + "'"


def bind_item(args: list[str], item: str | None) -> list[str]:
    """A per-item block's words with `$_` / `$PSItem` as the item fed to it (left as they
    are when what is fed is unknown)."""
    if item is None:
        return args
    return [_ITEM_VARIABLE.sub(lambda _m: item, a) for a in args]


def block_words(inv: Invocation) -> list[str] | None:
    """The words inside a command's `{ … }` block (to its closing brace, or the end when the
    line ends it elsewhere); None without a block."""
    argv = inv.argv
    if "{" not in argv:
        return None
    start = argv.index("{") + 1
    end = len(argv) - argv[::-1].index("}") - 1 if "}" in argv[start:] else len(argv)
    return argv[start:end]


def feeder(prev: SimpleCommand | None) -> Invocation | None:
    """The command whose items reach a pipeline stage: past filters, sorts and selections
    (`gci X | ? { … } | Remove-Item` deletes among X's items)."""
    while (
        prev is not None
        and prev.prev is not None
        and prev.invocation is not None
        and prev.invocation.name in PASS_THROUGH
    ):
        prev = prev.prev
    return prev.invocation if prev is not None else None
