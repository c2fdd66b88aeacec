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
    downloads,
    files,
    packages,
    processes,
    security,
    services,
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
    downloads.FAMILY,
)

# Programs the families know, as words that start a shell command in prose (`run \`ufw
# disable\``); names that are also common English words (at, log, port…) are left out.
_ENGLISH = frozenset(
    "at batch log defaults pkg port installer sdk fetch http https sv snap sp mas mix init".split()
)
KNOWN_COMMANDS = frozenset(n for f in FAMILIES for n in f.commands) - _ENGLISH

__all__ = ["FAMILIES", "KNOWN_COMMANDS", "Example", "Family", "effects_of", "family_of"]


def _index(families: tuple[Family, ...]) -> dict[str, Family]:
    by_name: dict[str, Family] = {}
    for family in families:
        for name in family.commands:
            if name in by_name:
                raise ValueError(
                    f"{name!r} is in two families: {by_name[name].name}, {family.name}"
                )
            by_name[name] = family
    return by_name


_BY_NAME = _index(FAMILIES)
_PREFIXES = tuple((p, f) for f in FAMILIES for p in f.prefixes)


def family_of(name: str) -> Family | None:
    """The family that knows a program (by its lower-cased base name), if any."""
    family = _BY_NAME.get(name)
    if family is None and _PREFIXES:
        for prefix, candidate in _PREFIXES:
            if name.startswith(prefix):
                return candidate
    return family


def effects_of(inv: Invocation, classify: Classify) -> list[Effect]:
    """What an invocation does, according to the family that knows its program."""
    family = family_of(inv.name)
    if family is None:
        return []
    found = list(family.effects(inv, classify))
    if inv.privileged:
        found = [e if e.privileged else replace(e, privileged=True) for e in found]
    return found
