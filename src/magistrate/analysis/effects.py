"""Effects: what an action does to which kind of place — the common language of every analyzer.

A shell command `rm -rf /etc`, a tool call `delete_file(path="/etc")` and a file action
`{"operation": "delete", "path": "/etc"}` all become `Effect("delete", "/etc", {"system"})`, so
one constitution rule covers every way of saying it.
"""

from __future__ import annotations

from dataclasses import dataclass

# The operations an effect can have.
OPS = frozenset({"read", "write", "append", "delete", "truncate", "perm", "exec", "send", "fetch"})


@dataclass(frozen=True, slots=True)
class Effect:
    """One thing an action does: an operation on a target of some classes, by some command."""

    op: str
    target: str
    classes: frozenset[str]
    command: str = ""

    def describe(self) -> str:
        """A short human description, used as evidence in citations."""
        by = f"{self.command}: " if self.command else ""
        return f"{by}{self.op} {self.target}"[:200]
