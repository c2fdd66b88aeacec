"""Credentials in text: detection (a fact for the judge) and masking (for the audit log).

Each pattern names the credential and, where only part of the match is the secret (a password
in a URL, the value of `password=`), a group called `secret` marks what to mask.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# (name, pattern). Patterns avoid lookaround so that Hyperscan can run them too.
# Formats that are credentials beyond doubt (not a `password: x` that may be a local default).
CREDENTIAL_FORMATS = frozenset(
    {
        "private-key",
        "encoded-private-key",
        "aws-access-key-id",
        "aws-secret-access-key",
        "github-token",
        "gitlab-token",
        "slack-token",
        "openai-key",
        "google-api-key",
        "stripe-key",
        "jwt",
        "azure-connection",
        "pypi-token",
        "npm-token",
        "huggingface-token",
        "sendgrid-key",
        "digitalocean-token",
        "chat-webhook",
        "docker-token",
    }
)
SECRET_PATTERNS: tuple[tuple[str, str], ...] = (
    ("private-key", r"-----BEGIN [A-Z ]*PRIVATE KEY( BLOCK)?-----"),
    # A PEM private key in base64 (`-----BEGIN … PRIVATE KEY` encoded, at its three alignments):
    # how a key is carried in a URL, a header or a JSON field.
    (
        "encoded-private-key",
        r"LS0tLS1CRUdJTi[A-Za-z0-9+/]{0,60}?(FBSSVZBVEUgS0VZ|QUklWQVRFIEtFWS|UFJJVkFURSBLRVk)"
        r"[A-Za-z0-9+/=%]*",
    ),
    ("aws-access-key-id", r"\b(AKIA|ASIA|AIDA|AROA)[0-9A-Z]{16}\b"),
    (
        "aws-secret-access-key",
        r"(?i)aws_secret_access_key[\"']?\s*[=:]\s*[\"']?(?P<secret>[A-Za-z0-9/+=]{40})",
    ),
    ("github-token", r"\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})"),
    ("gitlab-token", r"\bglpat-[A-Za-z0-9_-]{20,}"),
    # Package registries' and platforms' tokens, by their fixed prefixes.
    ("pypi-token", r"\bpypi-AgE[A-Za-z0-9_-]{50,}"),
    ("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    ("huggingface-token", r"\bhf_[A-Za-z0-9]{34,}"),
    ("sendgrid-key", r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}"),
    ("digitalocean-token", r"\bdo[opr]_v1_[a-f0-9]{64}"),
    ("slack-token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    # An incoming webhook's URL is its credential: whoever has it posts as the integration.
    (
        "chat-webhook",
        r"https://(hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{0,30}[0-9]"
        r"[A-Za-z0-9]{0,30}"
        r"|(discord|discordapp)\.com/api/webhooks/\d+/[A-Za-z0-9_-]{30,})",
    ),
    ("docker-token", r"\bdckr_pat_[A-Za-z0-9_-]{20,}"),
    # A registry login as docker's config.json keeps it: `"auth": base64(user:password)`.
    (
        "registry-auth",
        r"\"auths?\"\s*:\s*\{[^{}]{0,300}\{\s*\"auth\"\s*:\s*\"(?P<secret>[A-Za-z0-9+/]{16,}=*)\"",
    ),
    ("openai-key", r"\bsk-(proj-|ant-(api\d+-)?)?[A-Za-z0-9_-]{20,}"),
    ("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}"),
    ("stripe-key", r"\b[rs]k_(live|test)_[0-9a-zA-Z]{16,}"),
    ("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    ("bearer-token", r"\b[Bb]earer\s+(?P<secret>[A-Za-z0-9._~+/-]{16,}=*)"),
    ("basic-auth", r"\b[Bb]asic\s+(?P<secret>[A-Za-z0-9+/]{16,}=*)"),
    ("url-password", r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+:(?P<secret>[^@\s/]+)@"),
    (
        "assigned-secret",
        r"(?i)\b[A-Za-z0-9_]*(password|passwd|pwd|secret|api[_-]?key|apikey|access[_-]?token"
        r"|access[_-]?key|secret[_-]?key|auth[_-]?token|client[_-]?secret|private[_-]?key|token)"
        r"[A-Za-z0-9_]*[\"']?\s*[=:]\s*"
        # A value that names a variable (`${NPM_TOKEN}`, `$TOKEN`) is a reference, not a secret.
        r"(?P<secret>\"[^\"\s$]{4,}\"|'[^'\s$]{4,}'|[^\s\"',;&|$]{4,})",
    ),
    (
        "secret-option",
        r"(?i)(--?(password|passwd|pass|token|secret|api-key|apikey|access-token)[= ])"
        r"(?P<secret>\"[^\"]+\"|'[^']+'|\S+)",
    ),
    ("mysql-password", r"\bmysql(dump)?\b[^\n|;&]*\s-p(?P<secret>[^\s-][^\s]*)"),
    ("azure-connection", r"(?i)AccountKey=(?P<secret>[A-Za-z0-9+/=]{20,})"),
)

_COMPILED = [(name, re.compile(p)) for name, p in SECRET_PATTERNS]
_PRIVATE_KEY_BLOCK = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY( BLOCK)?-----.*?(-----END [A-Z ]*PRIVATE KEY( BLOCK)?-----|$)",
    re.S,
)
MASK = "***"
# Values that look like assignments but are not secrets (placeholders, variables).
_PLACEHOLDER = re.compile(
    r"^[\"']?(\$\{?\w+\}?|<[^>]+>|\*+|x+|\.\.\.|null|none|true|false|https?://\S*|"
    r"changeme|your[_-]?\w*|example\w*|redacted|\{\{.*\}\})[\"']?$",
    re.I,
)


def find_secrets(text: str) -> list[tuple[int, int, str]]:
    """(start, end, name) of every credential in the text; the span covers what to mask."""
    found: list[tuple[int, int, str]] = []
    for m in _PRIVATE_KEY_BLOCK.finditer(text):
        found.append((m.start(), m.end(), "private-key"))
    for name, pattern in _COMPILED:
        if name == "private-key":
            continue
        for m in pattern.finditer(text):
            if "secret" in pattern.groupindex and m.group("secret") is not None:
                value = m.group("secret")
                if _PLACEHOLDER.match(value):
                    continue
                found.append((m.start("secret"), m.end("secret"), name))
            else:
                found.append((m.start(), m.end(), name))
    return found


def strong_literal(value: str) -> bool:
    """A password or key written out that no one would pick as a local default: ten characters
    or more of three kinds (lower, upper, digits, symbols), and no placeholder word in it."""
    value = value.strip("\"'")
    if len(value) < 10 or _PLACEHOLDER.match(value) or _WEAK_WORD.search(value):
        return False
    if _CODE_LIKE.search(value) or _DOTTED_NAME.match(value) or "/" in value:
        return False  # an expression, a setting's name, a path or a model's id
    kinds = (
        any(c.islower() for c in value),
        any(c.isupper() for c in value),
        any(c.isdigit() for c in value),
    )
    # a symbol beyond a name's own (`X-Api-Key-V2`, `snake_case.v2` are names), or a long
    # random-looking token of letters of both cases and digits
    symbol = any(not c.isalnum() and c not in "-_." for c in value)
    return (sum(kinds) >= 2 and symbol) or (
        sum(kinds) == 3 and value.isalnum() and len(value) >= 20
    )


_CODE_LIKE = re.compile(r"[=(){}\[\]<>]")
_DOTTED_NAME = re.compile(r"^[A-Za-z_][\w-]*(\.[\w-]+)+$")
_WEAK_WORD = re.compile(
    r"example|changeme|change_me|password|passw0rd|secret|sample|dummy|test|local|dev|fake|"
    r"placeholder|redacted|todo|fixme|xxxx|your|insecure|123456|abcdef",
    re.I,
)


def has_secret(text: str) -> bool:
    """True when the text holds at least one credential."""
    return bool(find_secrets(text))


def mask_secrets(text: str) -> str:
    """The text with every credential replaced by `***`."""
    spans = sorted(find_secrets(text))
    if not spans:
        return text
    out: list[str] = []
    pos = 0
    for start, end, _ in spans:
        if end <= pos:
            continue
        start = max(start, pos)
        out.append(text[pos:start])
        out.append(MASK)
        pos = end
    out.append(text[pos:])
    return "".join(out)


_SECRET_KEY = re.compile(
    r"(password|passwd|pwd|secret|token|api[_-]?key|apikey|private[_-]?key|credential|"
    r"auth(orization)?|cookie|session[_-]?id|access[_-]?key)",
    re.I,
)


def mask_value(value: Any, key: str = "") -> Any:
    """Mask credentials in a JSON value; values of secret-named keys are masked whole."""
    if isinstance(value, str):
        if key and _SECRET_KEY.search(key) and value:
            return MASK
        return mask_secrets(value)
    if isinstance(value, Mapping):
        return {k: mask_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_value(v, key) for v in value]
    return value
