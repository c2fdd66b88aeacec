"""Per-family command analyzers: command knowledge as data, one module per family of programs.

Each module defines one `FAMILY` (`families.base.Family`): the program names it knows, a
function from a resolved invocation to typed effects, and examples that its tests run through
the real shell analyzer. To add knowledge of a program, add it to the family that does the same
kind of thing (or add a module and list it in `FAMILIES`), with examples; a rule in the
constitution then matches the effect, whatever program had it.
"""

from __future__ import annotations

from dataclasses import replace

from magistrate.analysis.effects import Effect
from magistrate.analysis.families import (
    accounts,
    backups,
    cloud,
    cmdlets,
    containers,
    databases,
    downloads,
    files,
    history,
    infrastructure,
    kubernetes,
    packages,
    processes,
    publishing,
    secrets,
    security,
    services,
    vcs,
)
from magistrate.analysis.families.base import Classify, Example, Family
from magistrate.analysis.invocation import Invocation

FAMILIES: tuple[Family, ...] = (
    processes.FAMILY,
    files.FAMILY,
    packages.FAMILY,
    services.FAMILY,
    accounts.FAMILY,
    security.FAMILY,
    history.FAMILY,
    downloads.FAMILY,
    vcs.FAMILY,
    containers.FAMILY,
    kubernetes.FAMILY,
    cloud.FAMILY,
    infrastructure.FAMILY,
    databases.FAMILY,
    publishing.FAMILY,
    secrets.FAMILY,
    backups.FAMILY,
    cmdlets.FAMILY,
)

# Programs the families know, as words that start a shell command in prose (`run \`ufw
# disable\``); names that are also common English words (at, log, port…) are left out.
_ENGLISH = frozenset(
    (
        "at batch log defaults pkg port installer sdk fetch http https sv snap sp mas mix init"
        " pass security migrate op fly render kind task ic mc eb exo atlas goose chamber gem"
        " cargo helm python python3 py ruby php node bundle rake rails"
        " history export set local declare unset typeset"
    ).split()
)
KNOWN_COMMANDS = frozenset(n for f in FAMILIES for n in f.commands) - _ENGLISH

__all__ = [
    "FAMILIES",
    "KNOWN_COMMANDS",
    "Example",
    "Family",
    "effects_of",
    "families_of",
]


def _index(families: tuple[Family, ...]) -> dict[str, tuple[Family, ...]]:
    """Program name → the families that know it. A program may be known to several (npm
    installs and publishes; heroku deploys apps and resets databases); one family may not list
    a program twice."""
    by_name: dict[str, tuple[Family, ...]] = {}
    for family in families:
        for name in family.commands:
            if family in by_name.get(name, ()):
                raise ValueError(f"{name!r} is listed twice by {family.name}")
            by_name[name] = (*by_name.get(name, ()), family)
    return by_name


_BY_NAME = _index(FAMILIES)
_PREFIXES = tuple((p, f) for f in FAMILIES for p in f.prefixes)


def families_of(name: str) -> tuple[Family, ...]:
    """Every family that knows a program (by its lower-cased base name)."""
    found = _FAMILIES_OF.get(name)
    if found is None:  # program names recur: remembered (bounded)
        found = _BY_NAME.get(name, ())
        if _PREFIXES:
            found = (*found, *(f for p, f in _PREFIXES if name.startswith(p) and f not in found))
        if len(name) <= 256:
            if len(_FAMILIES_OF) >= 8192:
                _FAMILIES_OF.clear()
            _FAMILIES_OF[name] = found
    return found


_FAMILIES_OF: dict[str, tuple[Family, ...]] = {}


def effects_of(inv: Invocation, classify: Classify) -> list[Effect]:
    """What an invocation does, according to every family that knows its program."""
    found = [e for family in families_of(inv.name) for e in family.effects(inv, classify)]
    if inv.privileged:
        found = [e if e.privileged else replace(e, privileged=True) for e in found]
    return found
