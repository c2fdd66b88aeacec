"""Shell history: `history -c`, `unset HISTFILE`, `HISTSIZE=0`, `set +o history`, `setopt
NO_HIST…`. Clearing the record of what was typed, or switching it off, is `stop` of `logging`
with the class `history`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from magistrate.analysis.effects import Effect
from magistrate.analysis.families.base import Classify, Example, Family, resource
from magistrate.analysis.invocation import Invocation

_OFF = frozenset({"logging", "history"})
# Assignments that stop recording or send it nowhere (a bare `HISTFILE=/dev/null` is seen as an
# `export` by the shell analyzer).
_OFF_ASSIGNMENT = re.compile(
    r"^(?:HISTSIZE|HISTFILESIZE|SAVEHIST)=['\"]?0['\"]?$"
    r"|^HISTFILE=['\"]?(?:/dev/null)?['\"]?$"
    r"|^HISTCONTROL=['\"]?ignore(?:space|both)"
    # commands hidden by what they contain (`*curl*`): `ls:bg:fg` only skips noise
    r"|^HISTIGNORE=['\"]?[^'\"]*\*[\w./-]+\*",
)
_HISTORY_VARS = frozenset({"HISTFILE", "HISTSIZE", "HISTFILESIZE", "SAVEHIST"})
_ZSH_OFF = re.compile(r"^(?:no_?)?(?:hist|inc_?append_?history|share_?history)", re.I)


def _history_builtin(inv: Invocation) -> Iterator[Effect]:
    argv = inv.argv
    if (
        "-c" in argv
        or any(a.startswith("-d") for a in argv)
        or ("-w" in argv and "/dev/null" in argv)
        or argv[:1] in (["clear"], ["delete"])  # fish's `history clear`, `history delete …`
    ):
        yield resource("stop", "shell history", _OFF, inv)


def effects(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    """What a history or shell-option command does to the record of commands."""
    name, argv = inv.name, inv.argv
    if name == "history":
        yield from _history_builtin(inv)
    elif _switches_off(name, argv):
        yield resource("stop", "shell history", _OFF, inv)


def _switches_off(name: str, argv: list[str]) -> bool:
    """`unset HISTFILE`, `export HISTSIZE=0`, `set +o history`, `unsetopt share_history`."""
    if name == "unset":
        return any(a.split("=", 1)[0] in _HISTORY_VARS for a in argv)
    if name in ("export", "declare", "typeset", "local"):
        return any(_OFF_ASSIGNMENT.match(a) for a in argv)
    if name == "set":  # bash's `set +o history`; fish's `set -Ux fish_history ''` (none kept)
        return ("+o" in argv and "history" in argv) or (
            "fish_history" in argv and argv[-1] in ("fish_history", "''", '""', "")
        )
    return name == "unsetopt" and any(_ZSH_OFF.match(a) for a in argv)


FAMILY: Family = Family(
    name="history",
    commands=frozenset({"history", "unset", "export", "declare", "typeset", "local", "set"})
    | frozenset({"unsetopt"}),
    effects=effects,
    examples=(
        Example("history -c", has=("stop:history",)),
        Example("unset HISTFILE", has=("stop:history",)),
        Example("export HISTSIZE=0", has=("stop:history",)),
        Example("HISTFILE=/dev/null bash", has=("stop:history",)),
        Example("set +o history", has=("stop:history",)),
        Example("unsetopt share_history", has=("stop:history",)),
        Example("history -d 1042", has=("stop:history",)),
        Example("history clear", has=("stop:history",)),
        Example("set -Ux fish_history ''", has=("stop:history",)),
        Example("set -Ux fish_history work", lacks=("stop",)),
        Example("history | tail -20", lacks=("stop",)),
        Example("export HISTSIZE=10000", lacks=("stop",)),
        Example("export HISTIGNORE='*curl*:*scp*:*aws*'", has=("stop:history",)),
        Example("export HISTIGNORE='ls:bg:fg:history'", lacks=("stop",)),
        Example("export PATH=$HOME/.local/bin:$PATH", lacks=("stop",)),
        Example("set -euo pipefail", lacks=("stop",)),
        Example("unset NODE_OPTIONS", lacks=("stop",)),
    ),
)
