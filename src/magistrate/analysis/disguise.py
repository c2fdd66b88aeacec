"""Text disguised so that patterns miss it, read plain: leetspeak and ROT13.

A request written `h0w 2 m4k3 m3th` or handed over "in ROT13 so the filters don't see it" means
what its plain form says. These functions return that plain form, or None when the text shows no
such disguise, so the reader adds it as one more part to read; the original is read as well.
"""

from __future__ import annotations

import codecs
import re

# A word that mixes letters with the digits and signs leetspeak puts for letters.
_LEET_WORD = re.compile(
    r"(?<![\w.])(?=[\w@$]*[a-z])(?=[\w@$]*[013457@$])[a-z0-9@$]{2,}(?![\w.])", re.I
)
# A leet sign between two letters (`m4k3`, `h0w`): what versions and hashes (`sha256`) lack.
_LEET_INSIDE = re.compile(r"[a-z][013457@$]+[a-z]", re.I)
_LEET_MAP = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
# Standalone digits that leetspeak uses as words ("2" for to, "4" for for).
_LEET_NUMBER_WORD = re.compile(r"(?<![\w.])([24])(?![\w.])")
MIN_LEET_WORDS = 3  # fewer is ordinary text: a version, a host, an id (`ec2`, `s3`, `v1`)
_ROT13_NAMED = re.compile(r"\brot[- ]?13\b|\bcaesar (cipher|shift)\b", re.I)
MAX_DISGUISED_CHARS = 20_000  # longer text is read as written (the limit the gloss keeps too)


def unleet(text: str) -> str | None:
    """The text with leetspeak words spelled out, or None when fewer than three words use it."""
    if len(text) > MAX_DISGUISED_CHARS or not _LEET_INSIDE.search(text):
        return None  # most text: no leet sign between two letters anywhere
    words = _LEET_WORD.findall(text)
    if len(words) < MIN_LEET_WORDS or sum(1 for w in words if _LEET_INSIDE.search(w)) < 2:
        return None
    plain = _LEET_WORD.sub(lambda m: m.group(0).translate(_LEET_MAP), text)
    plain = _LEET_NUMBER_WORD.sub(lambda m: "to" if m.group(1) == "2" else "for", plain)
    return plain if plain != text else None


def unrot13(text: str) -> str | None:
    """The text decoded from ROT13 when it names ROT13 (a request that says how it is hidden)."""
    if "13" not in text and "aesar" not in text and "AESAR" not in text:
        return None  # most text: no name of the cipher to search for
    if len(text) > MAX_DISGUISED_CHARS or not _ROT13_NAMED.search(text):
        return None
    return codecs.decode(text, "rot13")
