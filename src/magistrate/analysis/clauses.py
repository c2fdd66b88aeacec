"""Whether words in a text are asked for, or ruled out by their clause.

Text written for agents states rules with the very words an injected order uses: "Never run
`rm -rf` outside ./build", "Ask the user before deleting a file", "Do not ask for card details".
A word of harm counts as asked for only when the clause it stands in (from the last sentence
or list boundary before it) does not forbid it or make it wait on someone's consent. An order
cannot be written that way without saying the opposite of what it wants, so this reading
cannot be used to slip one past. Double negatives that ask ("don't forget to", "never fail
to") stay asks.
"""

from __future__ import annotations

import re

# Where a clause starts: a sentence end, a semicolon, a comma, a line, a list bullet, a colon
# ("If a customer can't log in, the assistant must read out the password": the "can't" is
# another clause's).
_BOUNDARY = re.compile(r"[.!?;,\n•]|\s[-*]\s|:\s")
_CLAUSE_CHARS = 200  # a clause longer than this is read from its last 200 characters

# Words that forbid what follows, or make it wait on consent (English, Spanish, Portuguese,
# French, German, Italian, Dutch, Polish).
_RULED_OUT = re.compile(
    r"\b(never|not|no|avoid|don'?t|doesn'?t|won'?t|mustn'?t|shouldn'?t|can'?t|cannot|refuse"
    r"|(ask|check|confirm|verify)\b[^.;\n]{0,40}\bbefore|(ask|get|wait for)\s+(the\s+)?"
    r"(user|owner|human|approval|permission|consent|confirmation)|only\s+(after|if|when|with)"
    r"|only\s+(maintainers|admins|administrators|humans|a human|people|owners|the owner|staff"
    r"|release managers|the release workflow|ci)"  # "only maintainers publish": not the agent
    r"|unless|except|prohibited|forbidden|nunca|jam[aá]is|ne|pas|nicht|nie"
    r"|niemals|kein\w*|non|mai|niet|nooit|zakaz\w*|prohib\w+|verboten|vietat\w+)\b",
    re.I,
)
# Negatives that ask all the same: "don't forget to send", "never fail to include".
_STILL_ASKED = re.compile(
    r"\b(don'?t|do not|never|no)\s+(forget|fail|hesitate|miss|delay|wait)\b"
    r"|\bnot optional\b|\bno (need|reason) to (ask|wait|confirm|check)\b",
    re.I,
)


def ruled_out(text: str, start: int) -> bool:
    """Whether the clause that leads to `text[start:]` forbids it or makes it wait on consent."""
    window = text[max(0, start - _CLAUSE_CHARS) : start]
    cut = 0
    for m in _BOUNDARY.finditer(window):
        cut = m.end()
    clause = window[cut:]
    return _RULED_OUT.search(clause) is not None and _STILL_ASKED.search(clause) is None
