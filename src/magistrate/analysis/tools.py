"""Tool calls: reading a tool's name as words and its arguments by role."""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")
MAX_ARG_VALUES = 512


_BY_KEY = re.compile(r"\bby \w+")
# Messaging services that name a tool's namespace (`slack.users_lookup`), not what it does.
_SERVICES = frozenset(
    "slack gmail email mail sms twitter discord teams telegram whatsapp webhook sendgrid mailgun "
    "twilio outlook".split()
)


def tool_words(name: str) -> str:
    """`github.deleteRepo` → `github delete repo`; `run_shell_command` → `run shell command`."""
    if len(name) <= 256:  # tool names recur: remembered
        return _short_tool_words(name)
    spaced = _CAMEL.sub(" ", name)
    return " ".join(_SEPARATORS.sub(" ", spaced).lower().split())


@functools.lru_cache(maxsize=4096)
def _short_tool_words(name: str) -> str:
    spaced = _CAMEL.sub(" ", name)
    return " ".join(_SEPARATORS.sub(" ", spaced).lower().split())


# What an image or video must NOT show (`negative_prompt`): exclusions, not something asked for.
_EXCLUSIONS = frozenset({"negative_prompt", "negativeprompt", "negative", "negative-prompt"})


def flatten_args(args: Mapping[str, Any], limit: int = MAX_ARG_VALUES) -> list[tuple[str, str]]:
    """(key, value) for every scalar in the arguments; nested keys keep their innermost name
    (a generator's negative prompt left out: it lists what must not be made)."""
    if len(args) <= limit and set(map(type, args.values())) <= _ONLY_STR:
        # flat text arguments (most tool calls)
        return [(str(k), v) for k, v in args.items() if str(k).lower() not in _EXCLUSIONS]
    out: list[tuple[str, str]] = []

    def walk(key: str, value: Any) -> None:
        if len(out) >= limit or key.lower() in _EXCLUSIONS:
            return
        if isinstance(value, Mapping):
            if not value:
                out.append((key, "{}"))  # an empty filter matches everything
            for k, v in value.items():
                walk(str(k), v)
        elif isinstance(value, (list, tuple)):
            if not value:
                out.append((key, "[]"))
            for v in value:
                walk(key, v)
        elif isinstance(value, str):
            out.append((key, value))
        elif isinstance(value, bool):
            out.append((key, "true" if value else "false"))
        elif value is not None:
            out.append((key, str(value)))

    for k, v in args.items():
        walk(str(k), v)
    return out


_ONLY_STR = frozenset({str})


class ArgumentRoles:
    """Maps argument names to roles (shell, sql, path, url, recipient, content…)."""

    __slots__ = ("_cache", "_roles")

    def __init__(self, roles: Mapping[str, Sequence[str]]) -> None:
        self._roles = [
            (role, re.compile("|".join(f"(?:{p})" for p in patterns), re.I))
            for role, patterns in roles.items()
            if patterns
        ]
        self._cache: dict[str, str | None] = {}

    def role_of(self, key: str) -> str | None:
        """The role of an argument name (camelCase read as snake_case), or None."""
        if key in self._cache:
            return self._cache[key]
        snake = _CAMEL.sub("_", key).lower()
        role = next((r for r, p in self._roles if p.search(snake)), None)
        if len(self._cache) < 10_000:
            self._cache[key] = role
        return role

    def by_role(self, args: Mapping[str, Any]) -> list[tuple[str | None, str, str]]:
        """(role, key, value) for every scalar argument; a command given as an argument list
        (`"command": ["git", "push", "--force"]`, Codex's shell tool) as the command line."""
        argv = [
            k
            for k, v in args.items()
            if isinstance(v, list)
            and v
            and all(isinstance(w, str) for w in v)
            and self.role_of(str(k)) == "shell"
        ]
        if argv:  # run without a shell: `~` and `*` stay as they are, so quoted (shlex)
            args = {**args, **{k: shlex.join(args[k]) for k in argv}}
        return [(self.role_of(key), key, value) for key, value in flatten_args(args)]


class ToolVerbs:
    """Which operations a tool's name says it performs."""

    __slots__ = ("_verbs",)

    def __init__(self, verbs: Mapping[str, Sequence[str]]) -> None:
        self._verbs = [
            (op, re.compile("|".join(f"(?:{p})" for p in patterns), re.I))
            for op, patterns in verbs.items()
            if patterns
        ]

    def ops(self, words: str) -> list[str]:
        """Operations named by the words of a tool name (`delete file` → ['delete']); words
        after "by" name a key, not an operation (`lookup by email` only reads)."""
        words = _BY_KEY.sub("", words)
        parts = words.split()
        if len(parts) > 1 and parts[0] in _SERVICES:  # `slack users lookup`: the service is no verb
            words = " ".join(parts[1:])
        return [op for op, p in self._verbs if p.search(words)]
