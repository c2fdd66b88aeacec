"""Actions: what an agent wants to do, validated, normalized and fingerprinted.

`Action` validates on construction and raises `InvalidAction` naming the field and the limit,
so bad input never reaches the pipeline. The fingerprint is stable across whitespace, JSON key
order, shell flag order (`-rf` = `-fr` = `-r -f`) and SQL literal values: it groups the same
call and binds approvals to it.
"""

from __future__ import annotations

import hashlib
import json
import math
import unicodedata
from collections.abc import Mapping
from typing import Any

from magistrate.errors import InvalidAction
from magistrate.normalize import canonical_json, fingerprint

KINDS = frozenset(
    {"shell", "sql", "tool", "prompt", "tool_output", "http", "file", "deploy", "other"}
)
# Common other names for the kinds, accepted from JSON input.
KIND_ALIASES = {
    "bash": "shell",
    "sh": "shell",
    "command": "shell",
    "terminal": "shell",
    "cli": "shell",
    "cmd": "shell",
    "query": "sql",
    "database": "sql",
    "db": "sql",
    "tool_call": "tool",
    "function": "tool",
    "function_call": "tool",
    "mcp": "tool",
    "message": "prompt",
    "chat": "prompt",
    "instruction": "prompt",
    "request": "prompt",
    "observation": "tool_output",
    "tool_result": "tool_output",
    "output": "tool_output",
    "result": "tool_output",
    "api": "http",
    "web": "http",
    "url": "http",
    "fs": "file",
    "filesystem": "file",
    "deployment": "deploy",
    "release": "deploy",
}
MAX_TEXT_CHARS = 100_000
MAX_ARGS_BYTES = 1_000_000
MAX_CONTEXT_BYTES = 1_000_000
MAX_DEPTH = 32
MAX_NAME_CHARS = 256  # tool, principal, role, session
MAX_TARGET_CHARS = 4_096
MAX_ID_CHARS = 256
FIELDS = ("id", "kind", "text", "tool", "args", "principal", "role", "session", "target", "context")
DEFAULT_PRINCIPAL = "anonymous"


class Action:
    """An action an agent wants to take. Validated on construction."""

    __slots__ = (
        "_args_json",
        "_fingerprint",
        "args",
        "context",
        "id",
        "kind",
        "principal",
        "role",
        "session",
        "target",
        "text",
        "tool",
    )

    def __init__(
        self,
        kind: str = "other",
        text: str = "",
        *,
        id: str | int | None = None,
        tool: str | None = None,
        args: Mapping[str, Any] | None = None,
        principal: str | None = None,
        role: str | None = None,
        session: str | None = None,
        target: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(kind, str) or kind not in KINDS:
            raise InvalidAction("kind", f"must be one of {', '.join(sorted(KINDS))}; got {kind!r}")
        if not isinstance(text, str):
            raise InvalidAction("text", f"must be a string; got {type(text).__name__}")
        if len(text) > MAX_TEXT_CHARS:
            raise InvalidAction(
                "text", f"is {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,}"
            )
        _unicode("text", text)
        if (id is not None and not isinstance(id, (str, int))) or isinstance(id, bool):
            raise InvalidAction("id", f"must be a string or an integer; got {type(id).__name__}")
        if isinstance(id, str):
            if len(id) > MAX_ID_CHARS:
                raise InvalidAction("id", f"is longer than {MAX_ID_CHARS} characters")
            _unicode("id", id)
        self.kind = kind
        self.text = text
        self.id = id
        self.tool = _name("tool", tool)
        self.principal = principal_name(principal) or DEFAULT_PRINCIPAL
        self.role = principal_name(role, "role")
        self.session = _name("session", session)
        if target is not None:
            if not isinstance(target, str):
                raise InvalidAction("target", f"must be a string; got {type(target).__name__}")
            if len(target) > MAX_TARGET_CHARS:
                raise InvalidAction("target", f"is longer than {MAX_TARGET_CHARS:,} characters")
            _unicode("target", target)
        self.target = target
        self.args = _json_object("args", args, MAX_ARGS_BYTES)
        self.context = _json_object("context", context, MAX_CONTEXT_BYTES)
        if not text and not self.tool and not self.args:
            raise InvalidAction("text", "an action needs text, a tool or args; all are empty")
        self._fingerprint: str | None = None
        self._args_json: str | None = None

    @classmethod
    def from_dict(cls, data: Any, *, strict: bool = False) -> Action:
        """Build from a JSON object. Fields other than the action's own (labels, metadata)
        are ignored, or rejected with `strict=True`."""
        if not isinstance(data, Mapping):
            raise InvalidAction("action", f"must be a JSON object; got {type(data).__name__}")
        if strict:
            unknown = set(data) - set(FIELDS)
            if unknown:
                raise InvalidAction(
                    sorted(unknown)[0], f"unknown field; expected some of {', '.join(FIELDS)}"
                )
        fields = {k: data[k] for k in FIELDS if k in data and data[k] is not None}
        kind = fields.get("kind")
        if isinstance(kind, str):
            fields["kind"] = KIND_ALIASES.get(kind.lower(), kind)
        return cls(**fields)

    def to_dict(self) -> dict[str, Any]:
        """The fields that are set, as a JSON-ready mapping."""
        out: dict[str, Any] = {"kind": self.kind, "text": self.text}
        for name in ("id", "tool", "principal", "role", "session", "target"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.args:
            out["args"] = self.args
        if self.context:
            out["context"] = self.context
        return out

    @property
    def content_key(self) -> tuple[Any, ...]:
        """Everything risk detection reads, exactly: the key of the assessment cache."""
        return (
            self.kind,
            self.text,
            self.tool,
            self.args_json or None,
            self.target,
            canonical_json(self.context) if self.context else None,
        )

    @property
    def content_hash(self) -> str:
        """Hash of the exact content (no normalization): binds approvals to the exact call."""
        data = json.dumps(self.content_key, ensure_ascii=False, default=str)
        return hashlib.blake2b(data.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()

    @property
    def args_json(self) -> str:
        """The args as canonical JSON ("" without args); the cache key and the fingerprint
        both read it, so it is made once (an action is not changed after construction)."""
        text = self._args_json
        if text is None:
            text = canonical_json(self.args) if self.args else ""
            self._args_json = text
        return text

    @property
    def fingerprint(self) -> str:
        """Stable hash of the normalized action (32 hex characters)."""
        fp = self._fingerprint
        if fp is None:
            fp = fingerprint(self.kind, self.tool, self.text, self.args_json, self.target)
            self._fingerprint = fp
        return fp

    def __repr__(self) -> str:
        text = self.text if len(self.text) <= 60 else self.text[:57] + "..."
        tool = f", tool={self.tool!r}" if self.tool else ""
        return f"Action(kind={self.kind!r}, text={text!r}{tool}, principal={self.principal!r})"


def _name(field: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidAction(field, f"must be a string; got {type(value).__name__}")
    if len(value) > MAX_NAME_CHARS:
        raise InvalidAction(field, f"is longer than {MAX_NAME_CHARS} characters")
    _unicode(field, value)
    return value or None


def principal_name(value: object, field: str = "principal") -> str | None:
    """A name that is looked up (principal, role) in its one canonical form: Unicode
    NFKC (full-width and compatibility forms folded), and refused with InvalidAction when it
    holds an invisible (zero-width, format), control or separator character, or starts or
    ends with space; so `agent:x` followed by a zero-width or no-break space is not a second
    principal. None or empty gives None."""
    if (  # the common case, decided at C speed: short visible ASCII, no outer space
        type(value) is str
        and 0 < len(value) <= MAX_NAME_CHARS
        and value.isascii()
        and value.isprintable()
        and value[0] != " "
        and value[-1] != " "
    ):
        return value
    name = _name(field, value)
    if name is None:
        return None
    if not name.isascii():
        name = unicodedata.normalize("NFKC", name)
        if len(name) > MAX_NAME_CHARS:
            raise InvalidAction(field, f"is longer than {MAX_NAME_CHARS} characters")
    if not name.isprintable():  # Cc, Cf (zero-width, bidi), Zl, Zp, Zs but space, unassigned
        bad = next(c for c in name if not c.isprintable())
        what = unicodedata.name(bad, "a control character")
        raise InvalidAction(
            field,
            f"holds an invisible or control character U+{ord(bad):04X} ({what}) at position "
            f"{name.index(bad)}; names must be visible text",
        )
    if name != name.strip():
        raise InvalidAction(field, "starts or ends with space (a no-break space counts)")
    return name


def _unicode(field: str, value: str) -> None:
    """Reject text that is not valid Unicode (unpaired surrogates cannot be stored or sent)."""
    if value.isascii():
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidAction(
            field, f"is not valid Unicode text: an unpaired surrogate at position {exc.start}"
        ) from None


def _json_object(field: str, value: object, limit: int) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidAction(field, f"must be a JSON object; got {type(value).__name__}")
    if not value:
        return {}
    _check_depth(field, value)
    try:
        encoded = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise InvalidAction(field, f"must be JSON-serializable: {exc}") from None
    try:
        size = len(encoded.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidAction(
            field, "is not valid Unicode text: a string holds an unpaired surrogate"
        ) from None
    if size > limit:
        raise InvalidAction(field, f"is {size:,} bytes serialized; the limit is {limit:,}")
    return dict(value)


def _check_depth(field: str, value: object) -> None:
    """Reject nesting deeper than MAX_DEPTH (iteratively: no recursion limit to hit)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InvalidAction(field, f"is nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, Mapping):
            for k, v in node.items():
                if not isinstance(k, str):
                    raise InvalidAction(field, f"keys must be strings; got {type(k).__name__}")
                if isinstance(v, (Mapping, list, tuple)):
                    stack.append((v, depth + 1))
                elif isinstance(v, float) and not math.isfinite(v):
                    raise InvalidAction(field, "NaN and infinite numbers are not JSON")
        elif isinstance(node, (list, tuple)):
            for v in node:
                if isinstance(v, (Mapping, list, tuple)):
                    stack.append((v, depth + 1))
