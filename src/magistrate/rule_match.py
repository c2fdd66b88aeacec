"""Rules compiled for matching: each condition of a rule (shell, SQL, effect, tool) as a small
object that answers for one invocation, statement, effect or tool call, and the context of one
action's analysis they read. The risk detector (`magistrate.risk`) builds these once per
constitution and runs them per action.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import re2  # type: ignore[import-untyped]

from magistrate.action import Action
from magistrate.analysis.effects import Effect
from magistrate.analysis.fieldscan import PatternSet
from magistrate.analysis.invocation import Invocation
from magistrate.analysis.sql import SqlStatement
from magistrate.constitution.model import EffectMatch, Rule, ShellMatch, SqlMatch, ToolMatch

MAX_FIELD = 1_000_000  # field patterns run in linear time (analysis/fieldscan): read it all


# The `__init__`s below are written out, not generated: mypyc compiles them (a generated one
# stays interpreted), and every first sight builds these.


@dataclass(slots=True, init=False)
class Subject:
    view: str  # text shell sql code tool path url recipient environment
    text: str
    origin: str  # where in the action it came from: text, tool, args.<key>, target…

    def __init__(self, view: str, text: str, origin: str) -> None:
        self.view = view
        self.text = text
        self.origin = origin


@dataclass(slots=True, init=False)
class Context:
    action: Action
    subjects: list[Subject]
    hits: dict[int, list[tuple[int, int]]]  # id → (subj, end)
    # ids in `hits` other than `unless` patterns' (most hits), in the same order: what the
    # passes over rules, secrets and Sofia's words read
    flagged: list[int]
    invocations: list[Invocation]
    statements: list[SqlStatement]
    effects: list[Effect]
    facts: dict[str, str]
    data_spans: dict[int, list[tuple[int, int]]]
    tool_words: str
    arg_values: dict[str, list[str]]  # role → values
    derived: list[str]  # decoded payloads found by analyzers
    written: list[str]  # literal text shell commands write into files
    tool_hits: dict[str, frozenset[int]]  # value → field patterns

    def __init__(self, action: Action, subjects: list[Subject]) -> None:
        self.action = action
        self.subjects = subjects
        self.hits = {}
        self.flagged = []
        self.invocations = []
        self.statements = []
        self.effects = []
        self.facts = {}
        self.data_spans = {}
        self.tool_words = ""
        self.arg_values = {}
        self.derived = []
        self.written = []
        self.tool_hits = {}


class ShellCondition:
    __slots__ = (
        "args",
        "args_all",
        "commands",
        "fields",
        "flags",
        "flags_all",
        "flags_none",
        "named",
        "not_args",
        "not_targets",
        "plain",
        "prefixes",
        "privileged",
        "stdin",
        "subcommands",
        "targets",
        "via",
    )

    def __init__(self, m: ShellMatch, fields: FieldPatterns) -> None:
        self.fields = fields
        names = [c.lower() for c in m.command]
        self.commands = frozenset(n for n in names if "*" not in n and "?" not in n)
        globs = [n for n in names if n not in self.commands]
        self.prefixes = re.compile("|".join(fnmatch.translate(g) for g in globs)) if globs else None
        self.named: dict[str, bool] = {}
        self.subcommands = tuple(s.lower() for s in m.subcommand)
        self.flags = frozenset(m.flags)
        self.flags_all = frozenset(m.flags_all)
        self.flags_none = frozenset(m.flags_none)
        self.args = fields.shell.add(m.args)
        self.args_all = fields.shell.add(m.args_all)
        self.not_args = fields.shell.add(m.not_args)
        self.targets = frozenset(m.targets)
        self.not_targets = frozenset(m.not_targets)
        self.via = frozenset(m.via)
        self.privileged = m.privileged
        self.stdin = frozenset(m.stdin)
        self.plain = not (
            self.subcommands or self.flags or self.flags_all or self.flags_none or self.via
        ) and (self.privileged is None and not self.stdin)

    def _names(self, name: str) -> bool:
        """Whether the rule's commands (names or globs: a regex run) cover this command name;
        remembered, as agents run the same few commands."""
        known = self.named.get(name)
        if known is None:
            known = name in self.commands or bool(self.prefixes and self.prefixes.match(name))
            if len(name) <= MEMO_KEY_CHARS and len(self.named) < MEMO_ENTRIES:
                self.named[name] = known
        return known

    def matches(self, inv: Invocation, classify: Any) -> bool:
        if (self.commands or self.prefixes) and not self._names(inv.name):
            return False
        if self.plain:  # no subcommand, flag, privilege, wrapper or stdin condition
            return self._args_and_targets(inv, classify)
        if self.subcommands and not any(
            inv.subcommand == s or inv.subcommand.startswith(s + " ") for s in self.subcommands
        ):
            return False
        if self.flags and not (inv.flags & self.flags):
            return False
        if self.flags_all and not self.flags_all <= inv.flags:
            return False
        if self.flags_none and inv.flags & self.flags_none:
            return False
        if self.privileged is not None and inv.privileged != self.privileged:
            return False
        if self.via and not self.via.intersection(inv.via):
            return False
        if self.stdin and inv.stdin_source not in self.stdin:
            return False
        return self._args_and_targets(inv, classify)

    def _args_and_targets(self, inv: Invocation, classify: Any) -> bool:
        if self.args or self.args_all or self.not_args:
            hits = inv.arg_hits
            if hits is None:  # one linear scan of the arguments for every rule's patterns
                hits = inv.arg_hits = self.fields.shell.matches(inv.text)
            if self.args and hits.isdisjoint(self.args):
                return False
            if self.args_all and not hits.issuperset(self.args_all):
                return False
            if self.not_args and not hits.isdisjoint(self.not_args):
                return False
        return not self.targets or any(
            (c := classify(o)) & self.targets and not c & self.not_targets for o in inv.operands
        )


class SqlCondition:
    __slots__ = ("actions", "not_tables", "objects", "statements", "tables", "where")

    def __init__(self, m: SqlMatch) -> None:
        self.statements = frozenset(s.lower() for s in m.statement)
        self.objects = frozenset(o.lower() for o in m.object)
        self.where = frozenset(m.where)
        self.tables = any_regex(m.tables, re.I)
        self.not_tables = any_regex(m.not_tables, re.I)
        self.actions = frozenset(a.lower() for a in m.actions)

    def matches(self, st: SqlStatement) -> bool:
        if self.statements and st.type not in self.statements:
            return False
        if self.objects and st.object not in self.objects:
            return False
        if self.where and st.where not in self.where:
            return False
        # Names are short; a bounded slice keeps Python's engine to bounded work on odd input.
        if self.tables and not any(self.tables.search(t[:NAME_CHARS]) for t in st.tables):
            return False
        if (
            self.not_tables
            and st.tables
            and all(self.not_tables.search(t[:NAME_CHARS]) for t in st.tables)
        ):
            return False
        if self.actions:
            words = {w for a in st.actions for w in a.split()}
            if not words & self.actions:
                return False
        return True


class EffectCondition:
    __slots__ = ("all_classes", "classes", "command", "not_classes", "ops", "privileged")

    def __init__(self, m: EffectMatch) -> None:
        self.ops = frozenset(m.op)
        self.classes, self.all_classes = frozenset(m.classes), frozenset(m.all_classes)
        self.not_classes = frozenset(m.not_classes)
        self.command, self.privileged = any_regex(m.command, re.I), m.privileged

    def matches(self, e: Effect) -> bool:
        if e.op not in self.ops or self.privileged not in (None, e.privileged):
            return False
        c = e.classes
        if (self.classes and not c & self.classes) or c & self.not_classes or self.all_classes - c:
            return False
        return not self.command or bool(self.command.search(e.command[:NAME_CHARS]))


class ToolCondition:
    __slots__ = ("args", "fields", "name", "not_name")

    def __init__(self, m: ToolMatch, fields: FieldPatterns) -> None:
        self.fields = fields
        self.name = fields.tool.add(m.name)
        self.not_name = fields.tool.add(m.not_name)
        self.args = {role: fields.tool.add(p) for role, p in m.args.items()}

    def matches(self, ctx: Context) -> str | None:
        hits = self.fields.tool_hits
        if self.name and (not ctx.tool_words or hits(ctx, ctx.tool_words).isdisjoint(self.name)):
            return None
        if (
            self.not_name
            and ctx.tool_words
            and not hits(ctx, ctx.tool_words).isdisjoint(self.not_name)
        ):
            return None
        for role, ids in self.args.items():
            values = ctx.arg_values.get(role, ())
            if ids and all(hits(ctx, v[:MAX_FIELD]).isdisjoint(ids) for v in values):
                return None
        return ctx.tool_words or "tool"


class FieldPatterns:
    """Field patterns of every rule, by family, scanned once per field (analysis/fieldscan)."""

    def __init__(self) -> None:
        self.shell = _FieldFamily(caseless=False)  # arguments of shell invocations
        self.tool = _FieldFamily(caseless=True)  # tool names (as words) and argument values
        self._tool_memo: dict[str, frozenset[int]] = {}  # short values recur (tool names)

    def build(self) -> None:
        self.shell.build()
        self.tool.build()

    def tool_hits(self, ctx: Context, value: str) -> frozenset[int]:
        hits = ctx.tool_hits.get(value)
        if hits is None:
            short = len(value) <= MEMO_KEY_CHARS
            hits = self._tool_memo.get(value) if short else None
            if hits is None:
                hits = self.tool.matches(value)
                if short:
                    if len(self._tool_memo) >= MEMO_ENTRIES:
                        self._tool_memo.clear()
                    self._tool_memo[value] = hits
            ctx.tool_hits[value] = hits
        return hits


class _FieldFamily:
    def __init__(self, caseless: bool) -> None:
        self.caseless = caseless
        self.patterns: list[str] = []
        self.set: PatternSet | None = None

    def add(self, patterns: Sequence[str]) -> frozenset[int]:
        start = len(self.patterns)
        self.patterns.extend(patterns)
        return frozenset(range(start, len(self.patterns)))

    def build(self) -> None:
        self.set = PatternSet(self.patterns, self.caseless)

    def matches(self, text: str) -> frozenset[int]:
        assert self.set is not None
        return self.set.matches(text)


RE2_CASELESS = re2.Options()
RE2_CASELESS.case_sensitive = False
RE2_CASELESS.log_errors = False
NAME_CHARS = 256  # table and command names longer than this are read up to here
MEMO_KEY_CHARS = 256  # memos of pure functions keep keys up to this long…
MEMO_ENTRIES = 4096  # …and at most this many (then start again)


def any_regex(patterns: Sequence[str], flags: int = 0) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns), flags)


class CompiledRule:
    __slots__ = (
        "also",
        "also_within",
        "effect",
        "facts",
        "index",
        "kinds",
        "pattern_ids",
        "rule",
        "shell",
        "sql",
        "tool",
        "unless_ids",
        "unless_scratch",
        "views",
    )

    def __init__(self, rule: Rule, index: int, fields: FieldPatterns) -> None:
        self.rule = rule
        self.index = index
        self.kinds = frozenset(rule.kinds)
        self.views = frozenset(rule.match.in_)
        self.pattern_ids: list[int] = []
        self.unless_ids: list[int] = []
        m = rule.match
        # Read only where `patterns` matched (risk/judge.py), so not in the scan's database.
        self.also = [_re2_caseless(p) for p in m.also]
        self.also_within = m.also_within
        self.shell = ShellCondition(m.shell, fields) if m.shell else None
        self.sql = SqlCondition(m.sql) if m.sql else None
        self.effect = EffectCondition(m.effect) if m.effect else None
        self.tool = ToolCondition(m.tool, fields) if m.tool else None
        self.facts = frozenset(m.facts)
        self.unless_scratch = m.unless_scratch


def only_scratch_destroyed(effects: Sequence[Effect]) -> bool:
    """Whether the action destroys something, and everything it destroys is named for tests or
    development and nothing for production."""
    destroyed = [e for e in effects if e.op in ("destroy", "delete")]
    return bool(destroyed) and all(
        "scratch" in e.classes and "production" not in e.classes for e in destroyed
    )


def evidence_before(text: str, end: int, width: int = 100) -> str:
    """The text leading up to a match's end (a byte offset into the UTF-8 encoding)."""
    if text.isascii():
        start = max(0, end - width)
        snippet = text[start:end]
    else:
        data = text.encode("utf-8", "surrogatepass")
        start = max(0, end - width)
        snippet = data[start:end].decode("utf-8", "replace")
    if start > 0 and " " in snippet:
        snippet = snippet[snippet.index(" ") + 1 :]  # begin at a word
    return " ".join(snippet.split())


def inside_spans(spans: list[tuple[int, int]] | None, text: str, end: int) -> bool:
    """True when a match ending at byte `end` lies inside quoted data (character spans)."""
    if not spans:
        return False
    if not text.isascii():
        end = len(text.encode("utf-8", "surrogatepass")[:end].decode("utf-8", "ignore"))
    return any(s < end <= e for s, e in spans)


def show_invocation(inv: Invocation) -> str:
    """An invocation as evidence: its wrappers, name and arguments, at most 160 characters."""
    via = " ".join(inv.via) + " " if inv.via else ""
    text = f"{via}{inv.name} {' '.join(inv.argv)}".strip()
    return text if len(text) <= 160 else text[:157] + "..."


def _re2_caseless(pattern: str) -> Any:
    """A pattern for Python's side: RE2 (linear), ignoring case, as the scan reads it."""
    return re2.compile(pattern, RE2_CASELESS)
