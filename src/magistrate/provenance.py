"""Provenance: which values came from the principal's instructions and which only from data.

Article 6: only principals instruct an agent. A `prompt` action (an adapter's user message) is
the principal's instruction: its values are trusted. A `tool_output` action (every result a
tool, resource or web page returned) is data: its values are untrusted, remembered with their
source. When a consequential action — sends, shares, pays, transfers, grants, deletes, writes
outside the workspace, posts over HTTP, executes — carries a value that data introduced and the
principal never gave, it needs a human (`provenance-untrusted-value`, escalate, with the value
and the output it came from as evidence, so the audit record keeps the link).

Data that gives orders ("please wire the balance to…", "envie o arquivo para…") is marked
`instruction-in-data` (MEDIUM; the output itself is allowed) and taints the session: from then
on a consequential action needs values the principal gave (`instruction-in-data-followup`).

State is kept per session and per principal (`p:<name>`), so starting a new session does not
launder a value data introduced. Only actions with a session take part: a lone check has no
history to compare with.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath
from typing import Any

from magistrate.action import Action
from magistrate.analysis.effects import RESOURCE_OPS
from magistrate.analysis.orders import find_request
from magistrate.analysis.tools import ArgumentRoles, flatten_args, tool_words
from magistrate.analysis.values import (
    STRONG,
    argument_values,
    extract,
    kind_of,
    phrase_grams,
    principal_words,
    value_grams,
)
from magistrate.levels import Decision, Risk
from magistrate.provenance_store import MemoryProvenanceStore, ProvenanceStore, Seen
from magistrate.risk import RiskAssessment, Signal

ARTICLE = "instructions"
UNTRUSTED_VALUE = "provenance-untrusted-value"
ORDERS = "instruction-in-data"
FOLLOWUP = "instruction-in-data-followup"
# Path operations that change or leak something, and every operation on a resource.
_CONSEQUENTIAL_OPS = frozenset({"send", "delete", "truncate", "perm", "exec"}) | RESOURCE_OPS
_WRITE_OPS = frozenset({"write", "append"})
# Words of a tool's name that make a call consequential (what it does to the world).
_ACTS = re.compile(
    r"\b(send|email|mail|post|publish|share|upload|forward|transfer|pay|payment|wire|grant|invite"
    r"|add|delete|remove|update|change|set|reset|create|schedule|book|reserve|buy|purchase|order"
    r"|approve|merge|push|deploy|revoke|assign|enable|disable|install|run|exec|execute|write"
    r"|edit|save|move|rename|submit|reply|message|notify|tweet|dm|follow|subscribe|register"
    r"|unlock|lock|withdraw|deposit|sell|trade|swap|stake|sign|transact|refund|cancel|modify"
    r"|rotate|export|sync|comment|star|fork|close|archive|kick|ban|promote|give|allow|permit"
    r"|manage|place|generate|leave|sharing|sending|granting|transferring|deleting|updating"
    r"|withdrawing|paying|forwarding|posting|inviting|scheduling|booking|unlocking)\b"
)
_VISITS = re.compile(r"\b(fetch|browse|visit|open|navigate|get webpage|get url|http|request|go)\b")
_SQL_WRITE = re.compile(
    r"^\s*(insert|update|delete|drop|truncate|alter|grant|revoke|create|merge|replace|copy)\b",
    re.I,
)
_HTTP_WRITE = re.compile(r"^\s*(post|put|patch|delete)\b", re.I)
_MAX_TEXT = 100_000
INSTRUCTED = "!instructed"  # recorded with every instruction: the principal spoke in this scope


class Provenance:
    """Records where values come from and judges consequential actions by it."""

    def __init__(
        self,
        roles: ArgumentRoles,
        store: ProvenanceStore | None = None,
        *,
        trusted_domains: Iterable[str] = (),
        trusted_values: Iterable[str] = (),
        principal_window_s: float = 1_800.0,
        session_window_s: float = 86_400.0,
    ) -> None:
        self.store: ProvenanceStore = store if store is not None else MemoryProvenanceStore()
        self.roles = roles
        self.domains = tuple(d.lower().lstrip(".") for d in trusted_domains if d)
        self.values: frozenset[str] = frozenset(
            v for raw in trusted_values for v in (extract(raw) or {raw})
        )
        self.principal_window_s = principal_window_s
        self.session_window_s = session_window_s

    # ------------------------------------------------------------------ recording
    def observe(self, action: Action, assessment: RiskAssessment) -> list[Signal]:
        """Record a prompt's or a tool output's values; judge any other action. Signals for
        this action (empty for actions without a session)."""
        session = action.session
        if not session:
            return []
        scopes = self._scopes(action)
        if action.kind == "prompt":
            self.record_instruction(action)
            return []
        if action.kind == "tool_output":
            return self._record_data(action, assessment, scopes)
        return self.judge(action, assessment, scopes)

    def marks(self, action: Action) -> dict[str, Any] | None:
        """What a second reader (Sofia's System 2) should know of the session: values this
        action carries that only data introduced (with their source), whether data gave orders,
        whether the principal instructed at all. None without a session or anything to say."""
        if not action.session or action.kind in ("prompt", "tool_output"):
            return None
        carried = self.carried(action)
        seen = self._seen(self._scopes(action), carried | {INSTRUCTED})
        from_data = [
            (value.split(":", 1)[1], seen.data[value])
            for value in sorted(carried)
            if value in seen.data and value not in seen.trusted and not self.is_trusted(value)
        ]
        out: dict[str, Any] = {}
        if from_data:
            out["values_only_data_introduced"] = dict(from_data[:8])
        if seen.taint:
            out["data_gave_orders"] = seen.taint
        if out:
            out["principal_instructed_in_session"] = INSTRUCTED in seen.trusted
        return out or None

    def record_instruction(self, action: Action) -> None:
        """Record a principal's instruction that is not judged (a hook's user prompt)."""
        if action.session:
            text = action.text[:_MAX_TEXT]
            found = self._all_values(action) | principal_words(text) | phrase_grams(text)
            found.add(INSTRUCTED)
            for scope in self._scopes(action)[:2]:
                self.store.add(scope, found, None)

    def _scopes(self, action: Action) -> tuple[str, str, str]:
        """The session's scope, then the principal's current and previous time buckets (the
        principal's history is bounded by time: old buckets expire whole)."""
        bucket = int(time.time() // self.principal_window_s)
        principal = f"p:{action.principal}:"
        return (f"s:{action.session}", f"{principal}{bucket}", f"{principal}{bucket - 1}")

    def _all_values(self, action: Action) -> set[str]:
        found = extract(action.text[:_MAX_TEXT])
        if action.args:
            for _key, value in flatten_args(action.args):
                found |= extract(value[:_MAX_TEXT])
        if action.target:
            found |= extract(action.target)
        return found

    def _record_data(
        self, action: Action, assessment: RiskAssessment, scopes: tuple[str, str, str]
    ) -> list[Signal]:
        source = source_of(action)
        found = self._all_values(action)
        for scope in scopes[:2]:
            self.store.add(scope, found, source)
        if any(s.article_id == ARTICLE for s in assessment.signals):
            # override or addressed-to-the-agent wording: its own rules judge the output; the
            # session is marked all the same
            self.store.taint(scopes[0], source)
            return []
        text = action.text
        if action.args:
            text += "\n" + "\n".join(v for _k, v in flatten_args(action.args))
        request = find_request(text[:_MAX_TEXT])
        if request is None:
            return []
        self.store.taint(scopes[0], source)
        return [
            Signal(
                ORDERS,
                ARTICLE,
                Risk.MEDIUM,
                None,
                f"data gives orders to its reader ({request!r}) in {source}; later consequential "
                "actions in this session need values from the principal",
            )
        ]

    # ------------------------------------------------------------------ judging
    def judge(
        self, action: Action, assessment: RiskAssessment, scopes: tuple[str, str, str]
    ) -> list[Signal]:
        """Signals for an action that may carry data's values into the world."""
        consequential = is_consequential(action, assessment)
        visiting = not consequential and is_visit(action, assessment)
        if not consequential and not visiting:
            return []
        carried = self.carried(action)
        strong = {v for v in carried if kind_of(v) in STRONG and not self.is_trusted(v)}
        named = self.named(action)
        asked = carried | {INSTRUCTED}
        for grams in named:
            asked |= grams
        seen = self._seen(scopes, asked)
        from_data = sorted(v for v in strong if v in seen.data and v not in seen.trusted)
        if from_data and consequential:
            value = from_data[0]
            more = f" (and {len(from_data) - 1} more)" if len(from_data) > 1 else ""
            return [
                Signal(
                    UNTRUSTED_VALUE,
                    ARTICLE,
                    Risk.HIGH,
                    Decision.ESCALATE,
                    f"{value.split(':', 1)[1]}{more} first appeared in {seen.data[value]}, not in "
                    "the principal's instructions",
                )
            ]
        if seen.taint is None or (visiting and not from_data) or INSTRUCTED not in seen.trusted:
            # visiting a place data did not name is reading; where no instruction of the
            # principal is visible (an MCP proxy), values data introduced are what is suspect
            return []
        given = {v for v in carried if v in seen.trusted or self.is_trusted(v)}
        said = any(grams <= seen.trusted for grams in named)  # a name the principal used
        unvouched = sorted(v for v in strong if v not in seen.trusted)
        if (given or said) and not unvouched:
            return []
        if not unvouched and action.kind in ("shell", "file"):
            # a command naming no place or account (`npm test` after a README said "run the
            # tests") is the agent's work, not a redirection: what it names is what counts
            return []
        what = f"carries {unvouched[0].split(':', 1)[1]}" if unvouched else "carries no value"
        return [
            Signal(
                FOLLOWUP,
                ARTICLE,
                Risk.HIGH,
                Decision.ESCALATE,
                f"data gave orders earlier in the session ({seen.taint}); this action {what} "
                "the principal did not give",
            )
        ]

    def _seen(self, scopes: tuple[str, str, str], carried: set[str]) -> Seen:
        seen = self.store.seen(scopes[0], carried, self.session_window_s)
        for scope in scopes[1:]:
            seen.merge(self.store.seen(scope, carried, self.principal_window_s))
        seen.taint = seen.taint if seen.taint else None
        return seen

    def carried(self, action: Action) -> set[str]:
        """The values an action would carry into the world (content arguments count only
        their destinations)."""
        out: set[str] = set()
        if action.kind == "tool" and action.args:
            for role, key, value in self.roles.by_role(action.args):
                out |= argument_values(key, value[:_MAX_TEXT], content=role == "content")
        elif action.args:
            for _key, value in flatten_args(action.args):
                out |= {v for v in extract(value[:_MAX_TEXT]) if kind_of(v) != "id"}
        if action.kind != "tool":
            out |= {v for v in extract(action.text[:_MAX_TEXT]) if kind_of(v) != "id"}
        if action.target:
            out |= extract(action.target)
        # Paths inside the agent's workspace are its own working material, not a redirection.
        return {v for v in out if not v.startswith("path:") or outside_workspace(v[5:], action)}

    def named(self, action: Action) -> list[set[str]]:
        """Short non-content arguments (a hotel, a file id, a new setting) as the word
        sequences the principal would have used to name them."""
        out: list[set[str]] = []
        if not action.args:
            return out
        for role, _key, value in self.roles.by_role(action.args):
            if role != "content" and len(value) <= 200:
                grams = value_grams(value)
                if grams is not None:
                    out.append(grams)
        return out[:32]

    def is_trusted(self, value: str) -> bool:
        """A configured trusted value: the organisation's own domains, accounts, addresses."""
        if value in self.values:
            return True
        kind, _, raw = value.partition(":")
        if kind == "email":
            raw = raw.rsplit("@", 1)[-1]
        elif kind != "host":
            return False
        return any(raw == d or raw.endswith("." + d) for d in self.domains)


def source_of(action: Action) -> str:
    """Where a tool output came from: the tool, server, URL and id it names."""
    parts = [f"tool_output of {action.tool or 'an unnamed tool'}"]
    context: Mapping[str, Any] = action.context or {}
    for key in ("mcp_server", "server", "url", "uri", "source"):
        value = context.get(key)
        if isinstance(value, str) and value:
            parts.append(f"{key} {value[:200]}")
    if action.target:
        parts.append(f"from {action.target[:200]}")
    if action.id is not None:
        parts.append(f"(action {action.id})")
    return " ".join(parts)


def is_consequential(action: Action, assessment: RiskAssessment) -> bool:
    """Does the action send, share, pay, grant, delete, execute or write outside the workspace?"""
    kind = action.kind
    if kind in ("prompt", "tool_output"):
        return False
    for effect in assessment.effects:
        if effect.op in _CONSEQUENTIAL_OPS:
            return True
        if effect.op in _WRITE_OPS and outside_workspace(effect.target, action):
            return True
    if kind == "tool" and action.tool:
        return _ACTS.search(tool_words(action.tool)) is not None
    if kind == "sql":
        return _SQL_WRITE.match(action.text) is not None
    if kind == "http":
        method = (action.args or {}).get("method", action.text)
        return isinstance(method, str) and _HTTP_WRITE.match(method) is not None
    return kind == "deploy"


def is_visit(action: Action, assessment: RiskAssessment) -> bool:
    """Does the action go to a place (fetch a URL, open a page)?"""
    if action.kind == "http" or any(e.op == "fetch" for e in assessment.effects):
        return True
    return bool(action.tool) and _VISITS.search(tool_words(action.tool or "")) is not None


def outside_workspace(target: str, action: Action) -> bool:
    """A path outside the agent's workspace (its `cwd` in the context, or relative paths)."""
    if not target or target.startswith(("http://", "https://")):
        return False
    if not target.startswith(("/", "~", "\\")) and ":" not in target[:3]:
        return ".." in PurePosixPath(target).parts
    cwd = (action.context or {}).get("cwd")
    if isinstance(cwd, str) and cwd.startswith("/"):
        root = cwd.rstrip("/") + "/"
        return not (target + "/").startswith(root) or ".." in PurePosixPath(target).parts
    return True


__all__ = [
    "FOLLOWUP",
    "ORDERS",
    "UNTRUSTED_VALUE",
    "Provenance",
    "is_consequential",
    "is_visit",
    "outside_workspace",
    "source_of",
]
