"""Values: the concrete things text names — addresses, hosts, accounts, numbers, paths, ids.

Provenance compares the values an action carries with the values the principal's instructions
and the tool outputs of the session introduced. Both sides are read by the same extractor and
normalised the same way (`DE89 3704 0044…` and `DE8937040044…` are one IBAN; `WWW.Evil.com` and
`https://evil.com/x` are one host), so a value copied from data is recognised however the agent
re-spells it. Each value is `kind:normalised`, e.g. `email:bob@evil.com`, `host:evil.com`,
`iban:DE89370400440532013000`, `num:4111111111111111`, `amt:500`, `path:/etc/passwd`, `id:amy01`.

Every pattern is a flat alternation with bounded repetition (no nested quantifiers), so Python's
engine stays linear on hostile text.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

# Kinds whose values name *who or where* an action goes: a copy of one of them from data is what
# redirects an agent. Amounts are weak: they only count when nothing else identifies the action.
STRONG = frozenset({"email", "host", "iban", "num", "wallet", "path", "id"})
MAX_VALUES = 2_000  # per extraction; the caller treats overflow as a limit reached

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}")
_URL = re.compile(r"\b(?:https?|ftp|wss?)://([A-Za-z0-9.-]{1,253})", re.I)
# Bare domains (no scheme) end in one of these; endings that are also common file extensions
# (.sh, .cc, .pt, .ml, .in, .to, .me) are read as domains only with a scheme or in an address.
_TLDS = (
    "com|net|org|io|co|info|biz|xyz|app|dev|ru|cn|uk|de|br|es|fr|it|nl|site|online|top|"
    "link|click|ly|gg|us|ca|au|jp|eu|ai|tv|store|shop|live|cloud"
)
_DOMAIN = re.compile(
    rf"(?<![@\w.-])((?:[A-Za-z0-9-]{{1,63}}\.){{1,6}}(?:{_TLDS}))(?![\w-]|\.[A-Za-z0-9])", re.I
)
# Where a bare domain can end: its last dot, a known ending, the edge. `_DOMAIN` runs only where
# this finds one (its own tail, so it never skips a match): a domain's pattern tried at every
# letter of a text with none cost more than the rest of `extract`.
_DOMAIN_END = re.compile(rf"\.(?:{_TLDS})(?![\w-]|\.[A-Za-z0-9])", re.I)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b", re.I)
_WALLET = re.compile(
    r"\b(?:0x[a-fA-F0-9]{40}|bc1[a-z0-9]{25,62}|[13][a-km-zA-HJ-NP-Z1-9]{25,34})\b"
)
_NUMBER = re.compile(r"(?<![\w.])\+?\d(?:[ .()-]{0,2}\d){5,22}(?![\w])")
_AMOUNT = re.compile(
    r"(?:[$€£¥]|\b(?:usd|eur|gbp|brl|r\$))\s?(\d{1,3}(?:[,.\s]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)"
    r"|\b(\d{1,3}(?:,\d{3})*(?:\.\d{1,2})?|\d+(?:[.,]\d{1,2})?)\s?"
    r"(?:usd|eur|gbp|brl|dollars?|euros?|pounds?|reais|d[oó]lares|btc|eth|usdt)\b",
    re.I,
)
_PATH = re.compile(r"(?<![\w:/.~])(?:~/|/)(?:[\w.-]{1,255}/){0,30}[\w.-]{1,255}")
_HANDLE = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{2,39})\b")
# An identifier a text names as one: `guest id: amy`, `user "jdoe"`, `account #4471`.
_NAMED_ID = re.compile(
    r"\b(?:id|user ?name|user|guest|account|handle|login|member|invitee)(?: id)?"
    r"\s{0,3}[:=#]?\s{0,3}[\"'`]?([A-Za-z0-9][A-Za-z0-9_.-]{1,63})",
    re.I,
)
_DIGIT_WORD = re.compile(r"(?<!\S)\S*?\d\S*")  # from a word's start only: linear
_CURRENCIES = (
    "$",
    "€",
    "£",
    "¥",
    "usd",
    "eur",
    "gbp",
    "brl",
    "dollar",
    "euro",
    "pound",
    "reais",
    "dólar",
    "dolar",
    "btc",
    "eth",
    "usdt",
)
_NON_DIGITS = re.compile(r"\D")
_ID_WORDS = re.compile(r"(?i)\b(?:id|user|guest|account|handle|login|member|invitee)")
_TOKEN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{2,63}$")
_HAS_DIGIT = re.compile(r"\d")
_HAS_ALPHA = re.compile(r"[A-Za-z]")
_DATE_LIKE = re.compile(r"^\d{1,4}[-/.:]\d{1,2}(?:[-/.:T ]\d{1,4}){0,5}(?:z|[ap]m)?$", re.I)
_ID_KEY = re.compile(
    r"(?:^|_)(?:id|ids|uid|user|username|user_name|guest|guests|account|account_id|handle|member"
    r"|members|owner|assignee|invitee|invitees|participant|participants|recipient|recipients|login"
    r"|contact|friend|customer|payee|beneficiary)$|id$",
    re.I,
)
_OBJECT_KEY = re.compile(
    r"^(?:id|ids|uuid|pk)$|(?:^|_)(?:file|doc|document|event|message|msg|email|mail|thread"
    r"|item|object|record|ticket|invoice|order|post|comment|task|note|folder|page|issue"
    r"|transaction|booking|reservation|product|listing|draft|attachment|row|entry|repo"
    r"|repository|channel|calendar|meeting|appointment|schedule|device|job|run|build)_?(?:ids?"
    r"|numbers?|no)$",
    re.I,
)
_SENTENCE_END = ".,;:!?)]}>\"'"
_NOT_IDS = frozenset("is was the a an and or of to for in on with has have will be".split())


def _host(raw: str) -> str:
    host = raw.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def _amount(raw: str) -> str:
    digits = raw.replace(" ", "")
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", digits):  # 1,000 or 1.000: thousands
        digits = digits.replace(",", "").replace(".", "")
    else:
        digits = (
            digits.replace(",", ".") if digits.count(",") == 1 and "." not in digits else digits
        )
        digits = digits.replace(",", "")
    try:
        value = float(digits)
    except ValueError:
        return digits
    return f"{value:g}"


def extract(text: str, limit: int = MAX_VALUES) -> set[str]:
    """Every value `text` names, normalised as `kind:value` (at most `limit`)."""
    out: set[str] = set()
    if not text:
        return out
    # Each pattern runs only where its anchor can be (cheap substring tests first).
    at = "@" in text
    if at:
        for m in _EMAIL.finditer(text):
            address = m.group(0).lower()
            out.add("email:" + address)
            out.add("host:" + _host(address.rsplit("@", 1)[1]))
        for m in _HANDLE.finditer(text):
            out.add("id:" + m.group(1).lower())
    if "://" in text:
        for m in _URL.finditer(text):
            out.add("host:" + _host(m.group(1)))
    if "." in text and _DOMAIN_END.search(text) is not None:
        for m in _DOMAIN.finditer(text):
            out.add("host:" + _host(m.group(1)))
    if "/" in text:
        for m in _PATH.finditer(text):
            path = m.group(0).rstrip(_SENTENCE_END)
            if "/" in path[1:] or path.startswith("~/"):
                out.add("path:" + path)
    if _HAS_DIGIT.search(text) is not None:
        text = _digits(text, out)
    if _may_name_id(text) and _ID_WORDS.search(text) is not None:
        for m in _NAMED_ID.finditer(text):
            word = m.group(1).rstrip(_SENTENCE_END).lower()
            if word not in _NOT_IDS:
                out.add("id:" + word)
    for word in _DIGIT_WORD.findall(text):  # identifiers mix letters and digits
        if len(out) >= limit:
            break
        word = word.strip(_SENTENCE_END + "(['\"`")
        if _is_id(word):
            out.add("id:" + word.lower())
    return out if len(out) <= limit else set(sorted(out)[:limit])


_ID_WORD_LIST = ("id", "user", "guest", "account", "handle", "login", "member", "invitee")


def _may_name_id(text: str) -> bool:
    """False when `_ID_WORDS` cannot match: ASCII text holding none of its words in any case
    (outside ASCII, case-insensitive matching has more spellings: the regex decides)."""
    if not text.isascii():
        return True
    low = text.lower()
    return any(w in low for w in _ID_WORD_LIST)


def _digits(text: str, out: set[str]) -> str:
    """Accounts, wallets, numbers and amounts: values that need digits. The text comes back
    with accounts and wallets blanked: an account is one value, not also numbers and ids."""
    for m in _IBAN.finditer(text):
        out.add("iban:" + m.group(0).replace(" ", "").upper())
    for m in _WALLET.finditer(text):
        out.add("wallet:" + m.group(0))
    if any(v.startswith(("iban:", "wallet:")) for v in out):
        text = _WALLET.sub(" ", _IBAN.sub(" ", text))
    for m in _NUMBER.finditer(text):
        digits = _NON_DIGITS.sub("", m.group(0))
        if len(digits) >= 6 and not _DATE_LIKE.match(m.group(0).strip()):
            out.add("num:" + digits[-10:])  # the last ten: `+1 415…`, `415…` and `0415…` agree
    low = text.lower()
    if any(c in low for c in _CURRENCIES):
        for m in _AMOUNT.finditer(text):
            out.add("amt:" + _amount(m.group(1) or m.group(2)))
    return text


def _words(text: str) -> Iterable[str]:
    for word in text.split():
        word = word.strip(_SENTENCE_END + "(['\"`")
        if word:
            yield word


def _is_id(word: str) -> bool:
    """An identifier: one token mixing letters and digits that is not a date or a time."""
    return (
        len(word) <= 64
        and _TOKEN_ID.match(word) is not None
        and _HAS_DIGIT.search(word) is not None
        and _HAS_ALPHA.search(word) is not None
        and not _DATE_LIKE.match(word)
        and "@" not in word
    )


def principal_words(text: str, limit: int = 2_000) -> set[str]:
    """The words of a principal's instruction as identifiers (`send Lena a DM` vouches for a
    `recipient: "Lena"`), besides the values `extract` finds."""
    out: set[str] = set()
    for word in _words(text):
        if 2 <= len(word) <= 64 and _TOKEN_ID.match(word) and word.lower() not in _NOT_IDS:
            out.add("id:" + word.lower())
            if len(out) >= limit:
                break
    return out


_GRAM_WORD = re.compile(r"[^\W_]+(?:[-'.][^\W_]+)*")
MAX_PHRASE_WORDS = 8


def phrase_grams(text: str, limit_words: int = 2_000) -> set[str]:
    """The principal's words as `w:` one-, two- and three-word sequences, so that a short
    argument (`hotel: "Le Marais Boutique"`, `file_id: "27"`) can be recognised as given."""
    words = _GRAM_WORD.findall(text.lower())[:limit_words]
    out = {"w:" + w for w in words}
    out.update([f"w:{a} {b}" for a, b in itertools.pairwise(words)])
    out.update([f"w:{a} {b} {c}" for a, b, c in zip(words, words[1:], words[2:], strict=False)])
    return out


def value_grams(value: str) -> set[str] | None:
    """The `w:` sequences that must all be among the principal's for a short argument to be
    theirs (None for text too long to be a name)."""
    words = _GRAM_WORD.findall(value.lower())
    if not words or len(words) > MAX_PHRASE_WORDS:
        return None
    if len(words) <= 3:
        return {"w:" + " ".join(words)}
    return {"w:" + " ".join(words[i : i + 3]) for i in range(len(words) - 2)}


def argument_values(key: str, value: str, *, content: bool) -> set[str]:
    """The values one argument carries. Free text (`content`) counts only its destinations
    (addresses, hosts, accounts, wallets): a summary quoting data is not a redirection. A
    whole-value identifier counts when the key names one (`guest_id`, `recipient`, `user`)."""
    found = extract(value, limit=256)
    if content:
        return {v for v in found if v.startswith(("email:", "host:", "iban:", "wallet:"))}
    word = value.strip()
    if _OBJECT_KEY.search(key):  # the object acted on (a file, an event): not a destination
        return {"obj:" + word.lower()}
    if (
        word
        and not found
        and " " not in word
        and _ID_KEY.search(key)
        and not _DATE_LIKE.match(word)
    ):
        found.add("id:" + word.lower())
    elif not _ID_KEY.search(key):
        found = {v for v in found if not v.startswith("id:")}
    return found


def kind_of(value: str) -> str:
    """The kind of a `kind:value` string."""
    return value.split(":", 1)[0]


__all__ = [
    "MAX_VALUES",
    "STRONG",
    "argument_values",
    "extract",
    "kind_of",
    "phrase_grams",
    "principal_words",
    "value_grams",
]
