"""PowerShell's ways of writing what a command line does: its paths with backslashes, its
assignments of a command's output (`$r = Remove-Item …`), the strings it pieces a command's
name from (`& ('Remo'+'ve-Item')`), and `-WhatIf`, which makes a cmdlet only say what it would
do. The shell analyzer reads a line through these as well as through the shell's own rules.
"""

from __future__ import annotations

import re

from magistrate.analysis.disguise import MAX_DISGUISED_CHARS
from magistrate.analysis.sql import fold_concatenation

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
_PS_FORMAT = re.compile(
    r"""\(\s*(['"])((?:[^'"\n]){0,200})\1\s*-f\s*((?:(['"])[^'"\n]{0,100}\4\s*,?\s*){1,16})\)""",
    re.I,
)
_PS_ITEM = re.compile(r"""(['"])([^'"\n]{0,100})\1""")
_PS_CALLED = re.compile(
    r"""(?:[&.]|\[scriptblock\]::create)\s*\(\s*(['"])([^'"\n]{1,2000})\1\s*\)""", re.I
)
MAX_PS_FOLDS = 64


def ps_hint(script: str) -> bool:
    """Whether a line may piece a command together (cheap: most lines hold none of these).
    Joins, formats and string variables need a quoted piece: `rm -rf build`, `tail -f log` and
    `date +%F` are not read again."""
    low = script.lower()
    return (
        (("'" in script or '"' in script) and ("+" in script or "-f" in low or "& $" in script))
        or "[char" in low
        or "alias" in low
        or "sal " in low
        or "nal " in low
        or "::delete(" in low
    )


def ps_plain(script: str) -> str | None:
    """A PowerShell script with its pieced-together strings joined (concatenation, `-f`, char
    codes), the strings it calls written as commands, its aliases and string variables put
    where they are called, and .NET deletes as the cmdlet; None when nothing was rewritten."""
    if len(script) > MAX_DISGUISED_CHARS:
        return None
    plain = _CHAR_CODES.sub(_chars, script)
    plain = _JOIN.sub(lambda m: m.group(1), plain)
    for _ in range(MAX_PS_FOLDS):  # a format's result may be joined, and a join formatted
        folded = fold_concatenation(_PS_FORMAT.sub(_format, plain))
        if folded == plain:
            break
        plain = folded
    plain = _DOTNET_DELETE.sub(
        lambda m: f" Remove-Item{' -Recurse -Force' if m.group(2) else ''} {m.group(3)} ", plain
    )
    plain = _named_calls(plain)
    if plain == script:
        return None
    return _PS_CALLED.sub(lambda m: f" {m.group(2)} ", plain)


# `[char[]](114,109)` and `[char]114`: letters by their codes.
_CHAR_CODES = re.compile(
    r"\[char\[\]\]\s*\(\s*(\d{1,5}(?:\s*,\s*\d{1,5}){0,400})\s*\)|\[char\]\s*(\d{1,5})", re.I
)
_JOIN = re.compile(
    r"\[string\]::join\(\s*''\s*,\s*('[^'\n]{0,2000}')\s*\)|-join\s*('[^'\n]{0,2000}')", re.I
)
_DOTNET_DELETE = re.compile(
    r"\[(system\.)?io\.(directory|file)\]::delete\(\s*([^,)]{1,300}?)\s*(,\s*\$true\s*)?\)", re.I
)
_STRING_VARIABLE = re.compile(r"\$(\w+)\s*=\s*'([\w.-]{1,80})'")
_ALIAS = re.compile(
    r"\b(?:set-alias|new-alias|sal|nal)\s+(?:-name\s+)?([\w-]{1,40})\s+(?:-value\s+)?([\w.-]{1,80})",
    re.I,
)


def _chars(m: re.Match[str]) -> str:
    codes = (m.group(1) or m.group(2)).split(",")
    try:
        text = "".join(chr(int(c)) for c in codes).replace("'", "")
        return "'" + text.replace("\\", "/") + "'"  # a path's backslashes, as `analyze` reads
    except (ValueError, OverflowError):
        return m.group(0)


def _named_calls(plain: str) -> str:
    """`$c = 'Remove-Item'; & $c …` and `Set-Alias nuke Remove-Item; nuke …`: the name called
    written as the command it stands for."""
    for m in list(_STRING_VARIABLE.finditer(plain))[:16]:
        # (the value is a name: `[\w.-]`, nothing a replacement template would read)
        plain = re.sub(rf"([&.]\s*)\${m.group(1)}\b", f"& '{m.group(2)}'", plain)
    for m in list(_ALIAS.finditer(plain))[:16]:
        name, value = m.group(1), m.group(2)
        plain = re.sub(
            rf"(^|[;{{|(]\s*){re.escape(name)}(?=\s)", rf"\g<1>{value}", plain, flags=re.I
        )
    return plain


def _format(m: re.Match[str]) -> str:
    items = [i.group(2) for i in _PS_ITEM.finditer(m.group(3))]
    try:
        return "'" + re.sub(r"\{(\d+)\}", lambda k: items[int(k.group(1))], m.group(2)) + "'"
    except IndexError:  # a placeholder with no item: left as written
        return m.group(0)
