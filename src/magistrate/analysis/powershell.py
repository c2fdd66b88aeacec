"""PowerShell's ways of writing what a command line does: its paths with backslashes, its
assignments of a command's output (`$r = Remove-Item …`), the strings it pieces a command's
name from (`& ('Remo'+'ve-Item')`), and `-WhatIf`, which makes a cmdlet only say what it would
do. The shell analyzer reads a line through these as well as through the shell's own rules.
"""

from __future__ import annotations

import re

MAX_DISGUISED_CHARS = 20_000  # longer text is read as written

# A line written for cmd or PowerShell: its backslashes separate paths.
WINDOWS = re.compile(
    # a UNC path `\\server\share`, not printf's escapes in double quotes (`"\\162\\155"`)
    r"\b[A-Za-z]:\\|(?<![\\\w])\\\\[\w$.-]+\\(?!\\)|\.(exe|ps1|bat|cmd)\b|\$env:"
    r"|\b(HKLM|HKCU|HKEY_)\w*\\|%\w+%\\"
    r"|\$(?:HOME|PWD|PSScriptRoot|env:\w+)\\[\w.$-]"  # `$HOME\source`: PowerShell's paths
    r"|^\s*(?:(?:cmd|powershell|pwsh|reg|sc|schtasks|icacls|wmic|net|rd|del)(?:\.exe)?\b(?!=)"
    r"|Get-|Set-|Remove-|New-)",
    re.I,
)

_VARIABLE = re.compile(r"^\$[A-Za-z_][\w:]*$")  # `$r`, `$global:r`
_ASSIGNED = re.compile(r"^\$[A-Za-z_][\w:]*=([A-Za-z][\w.-]*)$")  # `$r=Remove-Item`


def assigned_command(argv: list[str], i: int) -> int:
    """Where the command starts in `$r = Cmd …` (or `$r=Cmd …`, rewritten in place as `Cmd`)
    from word `i`; `i` itself when the words there assign nothing."""
    if i >= len(argv) or argv[i][:1] != "$":
        return i
    if i + 2 < len(argv) and argv[i + 1] == "=" and _VARIABLE.match(argv[i]):
        return i + 2
    if glued := _ASSIGNED.match(argv[i]):
        argv[i] = glued.group(1)  # the word now names the command
    return i


# Cmdlets of the verbs that take `-WhatIf` (ShouldProcess): asked it, they only say what they
# would do. A script or a program with such a switch is not one of them (`wipe-all.ps1 -WhatIf`).
_SHOULD_PROCESS = re.compile(
    r"^(remove|clear|format|set|stop|restart|new|move|copy|rename|uninstall|install|disable"
    r"|enable|reset|update|add|start|suspend|unregister|register|dismount|mount|initialize"
    r"|publish|unpublish|revoke|grant)-[a-z][a-z0-9]*$"
)


def what_if(name: str, args: list[str]) -> bool:
    """PowerShell's `-WhatIf` (not `-WhatIf:$false`) given to a cmdlet that takes it."""
    return bool(_SHOULD_PROCESS.match(name)) and any(
        a[:7].lower() == "-whatif" and not a.lower().endswith("$false") for a in args
    )


# PowerShell builds a command's name out of pieces so that no pattern sees it whole:
# `& ('Remo'+'ve-Item')`, `('{1}{0}' -f 'X','IE')`, `[scriptblock]::Create('…')`.
_PS_CONCAT = re.compile(r"""(['"])([^'"\n]{0,200})\1\s*\+\s*(['"])([^'"\n]{0,200})\3""")
_PS_FORMAT = re.compile(
    r"""\(\s*(['"])((?:[^'"\n]){0,200})\1\s*-f\s*((?:(['"])[^'"\n]{0,100}\4\s*,?\s*){1,16})\)""",
    re.I,
)
_PS_ITEM = re.compile(r"""(['"])([^'"\n]{0,100})\1""")
_PS_CALLED = re.compile(
    r"""(?:[&.]|\[scriptblock\]::create)\s*\(\s*(['"])([^'"\n]{1,2000})\1\s*\)""", re.I
)
MAX_PS_FOLDS = 64


def ps_plain(script: str) -> str | None:
    """A PowerShell script with its pieced-together strings joined and the strings it calls
    written as commands, or None when nothing was pieced together."""
    if len(script) > MAX_DISGUISED_CHARS or ("+" not in script and "-f" not in script.lower()):
        return None
    plain = script
    for _ in range(MAX_PS_FOLDS):
        folded = _PS_FORMAT.sub(_format, plain)
        folded = _PS_CONCAT.sub(lambda m: f"'{m.group(2)}{m.group(4)}'", folded, count=1)
        if folded == plain:
            break
        plain = folded
    if plain == script:
        return None
    return _PS_CALLED.sub(lambda m: f" {m.group(2)} ", plain)


def _format(m: re.Match[str]) -> str:
    items = [i.group(2) for i in _PS_ITEM.finditer(m.group(3))]
    try:
        return "'" + re.sub(r"\{(\d+)\}", lambda k: items[int(k.group(1))], m.group(2)) + "'"
    except IndexError:  # a placeholder with no item: left as written
        return m.group(0)
