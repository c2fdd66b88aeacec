"""The constitution: articles, rules, risk policy and roles, loaded from YAML."""

from __future__ import annotations

from magistrate.constitution.loader import (
    LoadedConstitution,
    default_constitution,
    load_constitution,
    parse_constitution,
)
from magistrate.constitution.model import KINDS, Article, Constitution, Role, Rule

__all__ = [
    "KINDS",
    "Article",
    "Constitution",
    "LoadedConstitution",
    "Role",
    "Rule",
    "default_constitution",
    "load_constitution",
    "parse_constitution",
]
