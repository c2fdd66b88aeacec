"""What a command feeds the next one: the paths a listing prints for `xargs` or a PowerShell
pipeline (`find ROOT -name P`, `ls X`, `Get-ChildItem X -Filter P`, `redis-cli --scan`), and
option values read the way programs read them.

A deleter fed by a listing deletes what it lists: `ls / | xargs rm -rf` deletes `/`'s contents,
`Get-ChildItem C:\\Windows | Remove-Item` the Windows folder's; a name filter narrows it
(`find . -name '*.rej'` lists `*.rej`, not the project).
"""

from __future__ import annotations

import re
from typing import Any

from magistrate.analysis import commands as C
from magistrate.analysis.invocation import Invocation, basename


def option_value(argv: list[str], options: frozenset[str]) -> str | None:
    """The value of the first of `options` present (`-c CODE`, `--command=CODE`, `-cCODE`)."""
    for k, a in enumerate(argv):
        if a in options and k + 1 < len(argv):
            return argv[k + 1]
        if "=" in a and a.split("=", 1)[0] in options:
            return a.split("=", 1)[1]
        # Combined short options ending in the code option (`python3 -Ic CODE`, `perl -ne CODE`).
        if (
            len(a) > 2
            and a[0] == "-"
            and a[1] != "-"
            and a[1:].isalpha()
            and f"-{a[-1]}" in options
            and k + 1 < len(argv)
        ):
            return argv[k + 1]
    return None


# A root whose every file a name filter may reach: `find / -name '*.log'` is all of `/`.
_BROAD = frozenset({"root", "home", "system", "data", "device", "logs", "secret"})


def find_target(root: str, name: str | None, classify: Any) -> str:
    """What `find ROOT -name PATTERN` reaches: all of a broad root, else ROOT/PATTERN."""
    if name is None or classify(root) & _BROAD:
        return root
    if root in (".", "./"):
        return name
    return root.rstrip("/") + "/" + name


# Programs that list a folder's entries (POSIX, cmd and PowerShell).
LISTERS = frozenset({"get-childitem", "gci", "dir", "ls"})
_PS_PATH = frozenset({"-path", "-literalpath"})
_PS_FILTERS = frozenset({"-include", "-filter"})
# `find`'s options whose value narrows what it lists to matching names
FIND_NAME_OPTIONS = frozenset({"-name", "-iname", "-path", "-ipath", "-regex"})


def find_name(argv: list[str]) -> str | None:
    """The first name pattern that narrows what `find` reaches; one after `-not` or `!` widens
    it (`find . -type f -not -path './node_modules/*' -delete` reaches every other file)."""
    for k, a in enumerate(argv[:-1]):
        if a in FIND_NAME_OPTIONS and not (k and argv[k - 1] in ("-not", "!")):
            return argv[k + 1]
    return None


# `git ls-files` options that list fewer than the tracked files (untracked, deleted, modified…).
_NARROW_LISTS = frozenset(
    "o others d deleted m modified u unmerged k killed i ignored s stage".split()
)


def listed_paths(inv: Invocation, classify: Any) -> list[str]:
    """Paths a command prints for `xargs` or a pipeline to use: `find ROOT -name P` (ROOT/P,
    or all of a broad ROOT), `ls X`, `Get-ChildItem X` (the contents of X: X), `echo X`."""
    if inv.name == "find":
        roots = [a for a in inv.argv if not a.startswith(("-", "(", "!"))][:4]
        root, name = roots[0] if roots else ".", find_name(inv.argv)
        target = find_target(root, name, classify)
        if name and "/" not in name and target == root:
            # A broad root is all it may reach, and each match is a file of that name
            # (`find / -name id_rsa | xargs cat` reads keys wherever they lie).
            return [target, f"{root.rstrip('/')}/{name}", f"{root.rstrip('/')}/**/{name}"]
        return [target]
    if inv.name in LISTERS:
        argv = inv.argv
        named = [argv[k + 1] for k, a in enumerate(argv[:-1]) if a.lower() in _PS_PATH]
        switch = re.compile(r"^/[a-z]{1,2}$", re.I)  # `dir /s /b`: switches, not folders
        listed = (named or [o for o in inv.operands if not switch.match(o)])[:8] or ["."]
        # `-Include bin,obj`, `-Filter *.log`: only what matches, as `find -name` narrows.
        kept = [argv[k + 1] for k, a in enumerate(argv[:-1]) if a.lower() in _PS_FILTERS]
        patterns = [p for v in kept for p in v.split(",") if p][:8]
        if patterns:
            return [find_target(r, p, classify) for r in listed for p in patterns][:8]
        return listed
    if inv.name in ("echo", "printf", "cat", "locate"):
        return inv.operands[:8]
    if inv.name == "git" and inv.operands[:1] == ["ls-files"] and not inv.flags & _NARROW_LISTS:
        return inv.operands[1:9] or ["."]  # every tracked file under the pathspecs
    if inv.name in C.KEY_VALUE_CLIS:  # `redis-cli --scan --pattern P`, `redis-cli KEYS P`
        argv = inv.argv
        words = [a.lower() for a in argv]
        if "--scan" in words:
            return [f"keys:{option_value(argv, frozenset({'--pattern'})) or '*'}"]
        if "keys" in words and words.index("keys") + 1 < len(argv):
            return [f"keys:{argv[words.index('keys') + 1]}"]
    return []


def piped_paths(argv: list[str], prev: Invocation | None, classify: Any) -> list[str]:
    """`Get-ChildItem X | Remove-Item`: PowerShell pipes the listed items to a deleter that
    names no path itself."""
    if prev is None or not argv or basename(argv[0]) not in C.WINDOWS_DELETERS:
        return []
    args = argv[1:]
    valued = {k + 1 for k, a in enumerate(args) if a.lower().lstrip("-") in _PS_VALUED_COMMON}
    if [a for k, a in enumerate(args) if a[:1] not in "-/" and k not in valued]:
        return []
    return listed_paths(prev, classify)


# PowerShell's common parameters that take a value (`-ErrorAction SilentlyContinue`): the
# value is not a path the deleter names.
_PS_VALUED_COMMON = frozenset(
    "erroraction ea warningaction wa informationaction infa errorvariable ev warningvariable wv"
    " outvariable ov outbuffer ob pipelinevariable pv progressaction proga".split()
)
