"""Analyzers that turn action text into facts: shell, SQL, paths, tools, secrets, prose."""

from __future__ import annotations

from magistrate.analysis.facts import Fact

# Facts the analyzers derive, which constitution rules may require with `facts:`.
# Facts the analyzers derive, which constitution rules may require with `facts:` (analysis/facts).
KNOWN_FACTS = frozenset(f.value for f in Fact)
# Targets that are not paths but stand for sources of secrets or data; and marks on path effects:
# `download` (a file written with what a network tool fetched: analysis/families/downloads),
# `recursive` and `world-writable` (a permission change on everything below, or opened to all;
# `broad`: either; `enables`: a mode that makes a file runnable and takes nothing away).
PSEUDO_TARGET_CLASSES = frozenset(
    {
        "environment",
        "database-dump",
        "personal-data",
        "download",
        "recursive",
        "world-writable",
        "broad",
        "enables",
    }
)

__all__ = ["KNOWN_FACTS", "PSEUDO_TARGET_CLASSES", "Fact"]
