"""Risk detection: one compiled scan per action, shell/SQL/tool facts, constitution rules.

Every text pattern of the constitution (and the credential and sensitive-data detectors) is
compiled once into a single Hyperscan database and scanned once per action (in a batch too: no
match may span two actions). Structured analyzers then read shell (pipelines, wrappers,
substitutions), SQL (sqlglot) and tool calls into invocations, statements and *effects*; rules
match on all of them.
The result depends only on the action and the constitution, so it can be cached.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import functools
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import hyperscan
import re2  # type: ignore[import-untyped]
from mypy_extensions import mypyc_attr

from magistrate.action import Action
from magistrate.analysis import commands as C
from magistrate.analysis import rx
from magistrate.analysis.api_effects import ApiEffects
from magistrate.analysis.code import analyze_code
from magistrate.analysis.effects import Effect
from magistrate.analysis.facts import Fact
from magistrate.analysis.gloss import gloss
from magistrate.analysis.paths import PathClassifier
from magistrate.analysis.prose_commands import COMMON_COMMANDS
from magistrate.analysis.scripts import MAX_SCRIPT_COMMANDS, commands_in
from magistrate.analysis.secrets import CREDENTIAL_FORMATS
from magistrate.analysis.shell import CRON_SCHEDULE, ShellAnalysis, ShellAnalyzer
from magistrate.analysis.sql import analyze_sql_bounded, fold_concatenation
from magistrate.analysis.text import (
    code_in_prose,
    explains_only,
    looks_like_shell,
    looks_like_sql,
    path_tokens,
    skeleton,
)
from magistrate.analysis.tools import ArgumentRoles, ToolVerbs, flatten_args, tool_words
from magistrate.constitution import LoadedConstitution, default_constitution
from magistrate.constitution.loader import (
    CRISIS,
    ETHICAL,
    RULE,
    SECRET,
    SENSITIVE,
    UNLESS,
    compile_patterns,
    pattern_table,
)
from magistrate.constitution.model import Rule
from magistrate.frozen import FrozenDict
from magistrate.levels import Decision, Risk
from magistrate.rule_match import (
    MEMO_ENTRIES,
    MEMO_KEY_CHARS,
    RE2_CASELESS,
    CompiledRule,
    Context,
    FieldPatterns,
    Subject,
    evidence_before,
    inside_spans,
    show_invocation,
)
from magistrate.verdict import Citation

__all__ = ["Risk", "RiskAssessment", "RiskDetector", "Signal", "detect_risk_level"]

MAX_CITATIONS = 8  # regexes other than text patterns see at most this much of a field
_PROD = re.compile(r"\b(prod|production|prd|live)\b", re.I)
_HTTP_LINE = re.compile(r"^\s*(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+(\S+)", re.I)
_HOST = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?(?:[^@/\s]*@)?([^/:\s?#]+)", re.I)
_EMAIL_DOMAIN = re.compile(r"@([\w.-]+\.[a-z]{2,})\b", re.I)
_PATHLIKE = re.compile(r"^\s*(?:[~/]|\.{1,2}/|[A-Za-z]:[\\/]|\$HOME)\S*\s*$|^\S+\.\w{1,8}$")
_SQL_TRIGGER = re.compile(
    r"\b(drop|truncate|delete|update|alter|grant|revoke|create|copy|merge|insert|replace|rename"
    r"|upsert|vacuum|load|set|exec|execute|prepare|sp_executesql|call)\b",
    re.I,
)
_DB_WORDS = re.compile(
    r"\b(sql|db|database|query|postgres|postgresql|mysql|sqlite|snowflake"
    r"|bigquery|redshift|warehouse|table)\b"
)
# Commands that can carry data to an arbitrary host (not a cloud copy to the company's bucket).
_EGRESS = C.FETCHERS | C.RAW_SOCKETS | C.MAILERS | frozenset({"ssh", "scp", "sftp", "rsync"})
_SECRET_CLASSES = frozenset({"secret", "environment"})
_ANALYZED_VIEWS = frozenset({"shell", "code", "text", "sql", "environment"})  # in `_finish`
_Matched = dict[int, tuple[str, str, tuple[int, int] | None]]  # rule → evidence, origin, span
_DATA_CLASSES = frozenset({"database-dump", "personal-data", "data"})
# The same in RE2 for ASCII text (same meaning there): Python's engine tried every word.
_SQL_TRIGGER_ASCII = re2.compile("(?i)" + _SQL_TRIGGER.pattern)
_PROD_WORD = re.compile(r"(?:^|[^a-z0-9])(?:prod|production|prd)(?:[^a-z0-9]|$)", re.I)
_CARET = re.compile(r"(?<=[\w\"])\^(?=[\w\"])")
_CONCAT_HINT = re.compile(r"['\"]\s*\+\s*['\"]")
_UI_ACTION = re.compile(r"\b(click|press|tap|select|submit|choose|toggle|confirm)\b")
_LABEL_KEY = re.compile(r"(label|text|name|title|aria|button|caption|value)", re.I)
_PEOPLE_TABLE = re.compile(
    r"(^|_)(users?|customers?|clients?|patients?|employees?|members?|contacts?|people|persons?"
    r"|accounts?|subscribers?|profiles?|students?|applicants?)(_|$)"
)
_URL_VALUE = re.compile(r"^(?:https?|ftp|s3|gs)://\S+$", re.I)
_PERSONAL_OBJECTS = re.compile(
    r"\b(contacts?|customers?|clients?|users?|leads?|employees?|patients?|members?|subscribers?"
    r"|people|persons?|profiles?|crm|audience|mailing list|records)\b"
)
_FILE_TEXT = re.compile(
    r"^\s*(read|write|append|delete|remove|create|edit|overwrite|truncate|open|cat|rm|save"
    r"|update|modify|chmod|move|copy|upload)\s+(?:to\s+|file\s+|the\s+file\s+)?([^\s:]+):?"
    r"(?:\s+(.*))?$",
    re.I | re.S,
)
_BASE64_BLOB = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")
# Files whose content runs later (start-up files, cron, services, hooks, CI): content written
# there is read as the commands it will become; anywhere else it is data.
_RUNS_LATER = frozenset({"shell-init", "git-hooks", "authorized-keys", "auth-config", "system"})
_SCRIPT_FILE = re.compile(
    r"\.(sh|bash|zsh|ksh|ps1|psm1|bat|cmd|command)$|(^|/)(makefile|dockerfile|jenkinsfile"
    r"|\.gitlab-ci\.ya?ml|\.github/workflows/[^/]+\.ya?ml|crontab|[^/]*\.(service|timer|desktop))$",
    re.I,
)
_CODE_FILE = re.compile(r"\.(py|rb|pl|js|mjs|cjs|ts|php|lua|rs|go)$", re.I)
MAX_ARGS_VIEW = 2_000_000  # the joined arguments, scanned whole (Hyperscan is linear)
MAX_ANALYSIS_SECONDS = 0.5  # analyzers are bounded; past this, the rest is not read (escalate)
_SEND_OPS = frozenset({"send"})


@dataclass(frozen=True, slots=True)
class Signal:
    """One rule that matched: which, under which article, how risky, and the evidence."""

    rule_id: str
    article_id: str
    risk: Risk
    decision: Decision | None
    evidence: str
    origin: str = ""  # the part of the action: text, tool, args.<key>, decoded…
    span: tuple[int, int] | None = None  # character span in that part (text patterns)


@dataclass(frozen=True, slots=True)
class RiskAssessment:
    """The risk of an action under a constitution; depends on nothing else, so it is cacheable."""

    level: Risk
    signals: tuple[Signal, ...]
    facts: FrozenDict[str, str]  # immutable: the cache hands this object to every caller
    effects: tuple[Effect, ...] = ()
    commands: tuple[str, ...] = ()
    statements: tuple[str, ...] = ()
    ethical: tuple[str, ...] = ()  # words that call for ethical counsel (Sofia)
    crisis: tuple[str, ...] = ()  # language about harm to a person (Sofia: a professional)
    rule_decision: Decision | None = None  # strictest decision a matching rule imposes
    citations: tuple[Citation, ...] = ()  # the signals as citations (articles resolved)
    secrets: bool = False  # a credential pattern matched somewhere in the action

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """Ids of the matching rules, riskiest first."""
        return tuple(s.rule_id for s in self.signals)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "level": self.level.value,
            "signals": [
                {
                    "rule_id": s.rule_id,
                    "article": s.article_id,
                    "risk": s.risk.value,
                    "decision": s.decision.value if s.decision else None,
                    "evidence": s.evidence,
                    "origin": s.origin,
                    "span": list(s.span) if s.span else None,
                }
                for s in self.signals
            ],
            "facts": dict(self.facts),
            "effects": [e.describe() for e in self.effects],
            "commands": list(self.commands),
            "statements": list(self.statements),
        }


@mypyc_attr(allow_interpreted_subclasses=True)  # a public class: subclassed to extend
class RiskDetector:
    """Grades actions against one constitution. Thread-safe; build once, use everywhere."""

    def __init__(self, constitution: LoadedConstitution | None = None) -> None:
        self.constitution = constitution or default_constitution()
        model = self.constitution.model
        self.version = self.constitution.version
        self.classifier = PathClassifier(model.path_classes)
        self.shell = ShellAnalyzer(self.classifier)
        self.roles = ArgumentRoles(model.tool_arguments.model_dump())
        self.verbs = ToolVerbs(model.tool_verbs.model_dump())
        self.organization = model.organization
        self.org_domains = tuple(d.lower() for d in model.organization.domains)
        words = model.organization.untrusted_words
        self._untrusted_words = (
            re.compile(r"(^|[.-])(" + "|".join(map(re.escape, words)) + r")([.-]|\d|$)")
            if words
            else None
        )
        self.articles = {a.id: a for a in model.articles}
        self._fields = FieldPatterns()
        self._rules = [CompiledRule(r, i, self._fields) for i, r in enumerate(model.rules)]
        self._fields.build()
        self._kind_only = [cr for cr in self._rules if not _has_condition(cr)]
        self._shell_rules = [cr for cr in self._rules if cr.shell]
        # Shell rules indexed by command name; rules with globs or no command are checked always.
        self._shell_by_name: dict[str, list[CompiledRule]] = {}
        self._shell_any: list[CompiledRule] = []
        for cr in self._shell_rules:
            assert cr.shell is not None
            for name in cr.shell.commands:
                self._shell_by_name.setdefault(name, []).append(cr)
            if cr.shell.prefixes is not None or not cr.shell.commands:
                self._shell_any.append(cr)
        self._shell_for: dict[str, tuple[CompiledRule, ...]] = {}  # by name: both lists
        self._sql_rules = [cr for cr in self._rules if cr.sql and not cr.shell]
        self._effect_by_op: dict[str, list[CompiledRule]] = {}  # an effect meets only its op's
        for cr in (cr for cr in self._rules if cr.effect and not (cr.shell or cr.sql)):
            for op in cr.effect.ops:  # type: ignore[union-attr]
                self._effect_by_op.setdefault(op, []).append(cr)
        self._tool_rules = [
            cr for cr in self._rules if cr.tool and not (cr.shell or cr.sql or cr.effect)
        ]
        # Tool rules by the name patterns they need (one of which must match the tool's words).
        self._tool_by_name: dict[int, list[CompiledRule]] = {}
        self._tool_unnamed = [cr for cr in self._tool_rules if not cr.tool.name]  # type: ignore[union-attr]
        for cr in self._tool_rules:
            for pid in cr.tool.name:  # type: ignore[union-attr]
                self._tool_by_name.setdefault(pid, []).append(cr)
        self._fact_rules = [
            cr
            for cr in self._rules
            if cr.facts and not (cr.shell or cr.sql or cr.effect or cr.tool)
        ]
        self._commands = frozenset(
            COMMON_COMMANDS | {c for cr in self._shell_rules for c in cr.shell.commands}  # type: ignore[union-attr]
        )
        self._compile(model)
        self._api = ApiEffects(self.classifier)
        self._local = threading.local()
        verbs = self.verbs
        self._verb_ops = functools.lru_cache(maxsize=MEMO_ENTRIES)(
            lambda words: tuple(verbs.ops(words))
        )

    # ------------------------------------------------------------------ compilation
    def _compile(self, model: Any) -> None:
        table = pattern_table(model)
        self._id_kind = [kind for kind, _, _, _ in table]
        self._id_pattern = [pattern for _, _, pattern, _ in table]
        self._py_patterns: dict[int, Any] = {}  # pattern id → RE2 (or Python) regex for spans
        self._id_owner: list[Any] = []
        for pid, (kind, owner, _, _) in enumerate(table):
            if kind in (RULE, UNLESS):
                cr = self._rules[int(owner)]  # type: ignore[call-overload]
                (cr.pattern_ids if kind == RULE else cr.unless_ids).append(pid)
                self._id_owner.append(cr)
            else:
                self._id_owner.append(owner)
        self._db = compile_patterns(model)

    def _scratch(self) -> Any:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = hyperscan.Scratch(self._db)
            self._local.scratch = scratch
        return scratch

    # ------------------------------------------------------------------ public API
    def assess(self, action: Action) -> RiskAssessment:
        """The risk assessment of one action."""
        ctx = self._context(action)
        self._scan([ctx])
        return self._finish(ctx)

    def assess_many(self, actions: Sequence[Action]) -> list[RiskAssessment]:
        """Assessments of many actions; each is exactly the assessment it gets alone.

        One scan per action: in one buffer for the whole batch, a pattern with a wide window
        (`dob … \n to=`) matched across two neighbouring actions, and Hyperscan reports only
        where a match ends. A scan call costs about a microsecond more than sharing one."""
        out = []
        for action in actions:
            ctx = self._context(action)
            self._scan([ctx])
            out.append(self._finish(ctx))
        return out

    @property
    def known_commands(self) -> frozenset[str]:
        """Command names recognized when guessing whether text is a shell command."""
        return self._commands

    def detect_level(self, text: str, kind: str | None = None) -> Risk:
        """The tier of a bare text, guessing its kind when not given."""
        if kind is None:
            kind = (
                "sql"
                if looks_like_sql(text)
                else ("shell" if looks_like_shell(text, self._commands) else "prompt")
            )
        return self.assess(Action(kind=kind, text=text)).level

    # ------------------------------------------------------------------ subjects
    def _context(self, action: Action) -> Context:
        subjects: list[Subject] = []
        ctx = Context(action, subjects)
        kind = action.kind
        text = skeleton(action.text) if action.text else ""
        if text:
            if kind == "shell":
                if "^" in text:
                    text = _CARET.sub("", text)  # cmd.exe escapes: c^m^d → cmd
                subjects.append(Subject("shell", text, "text"))
                if "+" in text and _CONCAT_HINT.search(text):  # the hint needs a plus
                    folded = fold_concatenation(text)
                    if folded != text:
                        subjects.append(Subject("shell", folded, "folded"))
            elif kind == "sql":
                subjects.append(Subject("sql", text, "text"))
            elif kind == "tool_output":
                subjects.append(Subject("text", text, "text"))
                if _BASE64_BLOB.search(text):
                    self._decoded(text, "text", subjects)
            elif kind == "file" and _PATHLIKE.match(text):
                subjects.append(Subject("path", text.strip(), "text"))
            elif kind == "file" and (m := _FILE_TEXT.match(text)):
                ctx.arg_values.setdefault("operation", []).append(m.group(1).lower())
                subjects.append(Subject("path", m.group(2), "text"))
                if m.group(3):  # the content written is data; code in it is still read as code
                    subjects.append(Subject("data", m.group(3), "text"))
                    self._sniff(m.group(3), "text", subjects)
            else:
                subjects.append(Subject("text", text, "text"))
                self._sniff(text, "text", subjects)
                if _BASE64_BLOB.search(text):
                    self._decoded(text, "text", subjects)
        if action.tool:
            ctx.tool_words = tool_words(skeleton(action.tool))
            if action.args and _UI_ACTION.search(ctx.tool_words):
                # A click or keypress is named by what it presses: `Close account`.
                labels = [v for k, v in flatten_args(action.args) if _LABEL_KEY.search(k)]
                ctx.tool_words = " ".join([ctx.tool_words, *(tool_words(v) for v in labels)])
            subjects.append(Subject("tool", ctx.tool_words, "tool"))
        if action.args:
            self._argument_subjects(action, ctx)
        if action.target:
            target = skeleton(action.target)
            view = "path" if _PATHLIKE.match(target) else "environment"
            subjects.append(Subject(view, target, "target"))
        if action.context:
            for role, key, value in self.roles.by_role(action.context):
                if role == "environment":
                    subjects.append(Subject("environment", value, f"context.{key}"))
        # Requests in Portuguese or Spanish are read through an English gloss as well.
        for subj in [s for s in subjects if s.view == "text"][:8]:
            glossed = gloss(subj.text)
            if glossed is not None:
                subjects.append(Subject("text", glossed, f"{subj.origin}:gloss"))
        return ctx

    def _decoded(self, text: str, origin: str, subjects: list[Subject]) -> None:
        """Base64 blobs in prose or data, decoded, as extra text to read (hidden instructions)."""
        for blob in _BASE64_BLOB.findall(text)[:8]:
            try:
                plain = base64.b64decode(blob + "=" * (-len(blob) % 4)).decode("utf-8")
            except (binascii.Error, ValueError):
                continue
            letters = sum(c.isalpha() or c == " " for c in plain)
            if plain.isprintable() and letters > 0.8 * len(plain):
                subjects.append(Subject("text", plain, f"{origin}:base64"))
                self._sniff(plain, f"{origin}:base64", subjects)

    def _sniff(self, text: str, origin: str, subjects: list[Subject]) -> None:
        """Code inside prose or untyped values: a whole command, SQL, or embedded snippets."""
        if text.startswith("#!") and ("sh" in text[:40] or "pwsh" in text[:40]):
            subjects.append(Subject("shell", text, origin))  # a script: its lines are commands
            return
        cron = CRON_SCHEDULE.match(text)
        if cron and cron.end() < len(text):  # a crontab line: the schedule, then a command
            subjects.append(Subject("shell", text[cron.end() :], origin))
            return
        if looks_like_sql(text):
            subjects.append(Subject("sql", text, origin))
        elif looks_like_shell(text, self._commands):
            subjects.append(Subject("shell", text, origin))
        elif not explains_only(text):  # a question runs nothing
            for snippet in code_in_prose(text, self._commands):
                view = "sql" if looks_like_sql(snippet) else "shell"
                subjects.append(Subject(view, snippet, origin))

    def _argument_subjects(self, action: Action, ctx: Context) -> None:
        subjects = ctx.subjects
        db_tool = bool(_DB_WORDS.search(ctx.tool_words))
        pairs = self.roles.by_role(action.args)
        if action.kind == "http" and (line := _HTTP_LINE.match(action.text or "")):
            pairs = [("url", "url", line.group(2)), ("method", "method", line.group(1)), *pairs]
        flat = "\n".join(f"{k}={v}" for _, k, v in pairs)
        subjects.append(Subject("args", skeleton(flat[:MAX_ARGS_VIEW]), "args"))
        # Searching and reading tools carry questions and data, not requests to act.
        ops = set(self._ops(ctx.tool_words)) if ctx.tool_words else set()
        reading = ops == {"read"}
        # A file's content is data unless the file runs later: a script or a start-up file (its
        # lines are judged as commands) or program source (judged as code, not as requests).
        runs = self._runs_later(action, pairs) if action.kind == "file" else "commands"
        # Tools that write documents (pages, files, records) and send nothing: their content is
        # data too, not a request to the agent.
        documents = action.kind != "file" and "write" in ops and not ops & {"send", "exec"}
        for role, key, raw in pairs:
            value = skeleton(raw)
            origin = f"args.{key}"
            if role in (None, "content", "path") and _URL_VALUE.match(value):
                role = "url"  # a URL is a URL whatever its argument is called
            if role is not None:
                ctx.arg_values.setdefault(role, []).append(value)
            if role == "shell":
                subjects.append(Subject("shell", value, origin))
            elif role in ("content", None) and runs != "commands":
                subjects.append(Subject("code" if runs == "code" else "data", value, origin))
            elif role == "content" and action.kind == "file":
                # Scripts, start-up files, Makefiles, Dockerfiles, CI: their commands are read.
                subjects.append(Subject("data", value, origin))
                commands = commands_in(value)
                if len(commands) > MAX_SCRIPT_COMMANDS:
                    ctx.facts.setdefault(
                        Fact.ANALYSIS_LIMIT,
                        f"analysis limit: over {MAX_SCRIPT_COMMANDS} commands in {origin}",
                    )
                subjects.extend(Subject("shell", c, origin) for c in commands)
            elif role == "content" and documents:
                subjects.append(Subject("data", value, origin))
                self._sniff(value, origin, subjects)
            elif role == "sql":
                if reading and not db_tool and not looks_like_sql(value):
                    subjects.append(Subject("data", value, origin))  # a search query
                elif db_tool or looks_like_sql(value):
                    subjects.append(Subject("sql", value, origin))
                else:
                    subjects.append(Subject("text", value, origin))
            elif role == "code":
                subjects.append(Subject("code", value, origin))
                self._sniff(value, origin, subjects)
            elif role in ("path", "url", "recipient", "environment"):
                subjects.append(Subject(role, value.strip(), origin))
            elif role in ("method", "operation"):
                continue
            elif reading:
                subjects.append(Subject("data", value, origin))
            else:
                subjects.append(Subject("text", value, origin))
                if action.kind != "tool_output":
                    self._sniff(value, origin, subjects)

    def _runs_later(
        self, action: Action, pairs: Sequence[tuple[str | None, str, str]]
    ) -> str | None:
        """How the content a file action writes will run: "commands" (scripts, start-up files,
        CI), "code" (program source) or None (data), judged by the file's path."""
        paths = [v for role, _, v in pairs if role == "path"]
        if action.target:
            paths.append(action.target)
        m = _FILE_TEXT.match(action.text or "")
        if m:
            paths.append(m.group(2))
        found: str | None = None
        for path in paths:
            path = path.strip().replace("\\", "/")
            if _SCRIPT_FILE.search(path) or self.classifier.classify(path) & _RUNS_LATER:
                return "commands"
            if _CODE_FILE.search(path):
                found = "code"
        return found

    def _ops(self, words: str) -> list[str]:
        """`self.verbs.ops(words)`, remembered for names agents call again and again (reading a
        name against every verb's regex cost more than the rest of a tool call)."""
        if len(words) > MEMO_KEY_CHARS:
            return self.verbs.ops(words)
        return list(self._verb_ops(words))  # a new list: callers extend it

    # ------------------------------------------------------------------ scanning
    def _scan(self, contexts: Sequence[Context], first: int = 0) -> None:
        """One Hyperscan pass over every subject (from index `first`) of every context."""
        parts: list[bytes] = []
        starts: list[int] = []
        owners: list[tuple[Context, int]] = []
        pos = 0
        for ctx in contexts:
            for i, subj in enumerate(ctx.subjects[first:], first):
                if subj.view in ("environment",):
                    continue
                data = subj.text.encode("utf-8", "surrogatepass")
                starts.append(pos)
                owners.append((ctx, i))
                parts.append(data)
                pos += len(data) + 1
        if not parts:
            return
        if len(parts) == 1 and not owners[0][0].hits:  # one subject (most actions)
            self._db.scan(parts[0], self._one_subject(*owners[0]), 0, None, self._scratch())
            return
        buffer = b"\n".join(parts)

        seen: set[tuple[int, int]] = set()
        id_kind, bisect_right = self._id_kind, bisect.bisect_right

        def on_match(pid: int, start: int, end: int, flags: int, context: Any) -> None:
            # Only match ends are reported (see PATTERN_FLAGS); one hit per pattern and subject.
            k = bisect_right(starts, end - 1) - 1
            if (pid, k) in seen:
                return None
            seen.add((pid, k))
            ctx, subj = owners[k]
            if pid in ctx.hits:
                ctx.hits[pid].append((subj, end - starts[k]))
            else:
                ctx.hits[pid] = [(subj, end - starts[k])]
                if id_kind[pid] != UNLESS:
                    ctx.flagged.append(pid)
            return None

        # Positional arguments: the binding parses keywords at half a microsecond a call.
        self._db.scan(buffer, on_match, 0, None, self._scratch())

    def _one_subject(self, ctx: Context, subj: int) -> Any:
        """The match handler of a scan of one subject of a context with no hits yet: the
        first hit of each pattern is kept (what `_scan`'s general handler keeps)."""
        hits, flagged, id_kind = ctx.hits, ctx.flagged, self._id_kind

        def on_match(pid: int, start: int, end: int, flags: int, context: Any) -> None:
            if pid not in hits:
                hits[pid] = [(subj, end)]
                if id_kind[pid] != UNLESS:
                    flagged.append(pid)
            return None

        return on_match

    # ------------------------------------------------------------------ analysis
    def _finish(self, ctx: Context) -> RiskAssessment:
        action = ctx.action
        deadline = time.perf_counter() + MAX_ANALYSIS_SECONDS
        for subj_index, subj in enumerate(ctx.subjects):
            if subj_index & 15 == 15 and time.perf_counter() > deadline:  # a safety net
                ctx.facts.setdefault(Fact.ANALYSIS_LIMIT, "analysis limit: time budget spent")
                break
            view = subj.view
            if view not in _ANALYZED_VIEWS:
                continue  # tool names, argument views, paths, data: nothing to read here
            if view == "shell":
                result = self.shell.analyze(subj.text)
                self._absorb_shell(ctx, subj_index, result)
                text = subj.text  # ASCII without "pr" cannot name production: no regex run
                prod = (
                    _PROD_WORD.search(text) if "pr" in text.lower() or not text.isascii() else None
                )
                if prod:
                    ctx.facts.setdefault(Fact.PRODUCTION_TARGET, prod.group(0).strip(" $=/-_"))
            elif view == "code":
                found = analyze_code(subj.text, self.classifier)
                ctx.effects.extend(found.effects)
                if found.truncated:
                    ctx.facts.setdefault(Fact.ANALYSIS_LIMIT, "analysis limit: code too long")
                if found.secret_env:
                    ctx.facts.setdefault(Fact.SECRET_ENV_READ, f"code reads {found.secret_env[0]}")
                if found.remote:
                    ctx.facts.setdefault(
                        Fact.REMOTE_CODE, f"code runs what it downloads: {found.remote}"
                    )
                if found.decoded:
                    ctx.facts.setdefault(Fact.DECODED_EXEC, found.decoded[0][:80])
                    ctx.derived.extend(found.decoded)
                for command in found.shell:
                    self._absorb_shell(ctx, -1, self.shell.analyze(command))
            elif view == "text":
                paths = path_tokens(subj.text)
                if paths is None:  # most prose names no path
                    continue
                for path_match in paths.finditer(subj.text):
                    token = path_match.group(1) or path_match.group(0)
                    if token.startswith("//"):
                        continue  # part of a URL, not a file
                    classes = self.classifier.classify(token)
                    if classes & _SECRET_CLASSES:
                        ctx.facts.setdefault(Fact.SECRET_PATH_MENTIONED, token)
                    if classes & _DATA_CLASSES:
                        ctx.facts.setdefault(Fact.SENSITIVE_CONTENT, token)
                        ctx.facts.setdefault(Fact.DATA_MENTIONED, token)
            elif view == "sql" and _sql_trigger(subj.text):
                self._sql(ctx, subj.text)
            elif view == "environment" and _PROD.search(subj.text):
                ctx.facts.setdefault(Fact.PRODUCTION_TARGET, f"{subj.origin}={subj.text[:60]}")
        if ctx.derived:  # decoded payloads: a second scan, over them only
            if len(ctx.derived) > 8:
                ctx.facts.setdefault(Fact.ANALYSIS_LIMIT, "analysis limit: over 8 decoded payloads")
            first = len(ctx.subjects)
            ctx.subjects.extend(Subject("shell", skeleton(d), "decoded") for d in ctx.derived[:8])
            self._scan([ctx], first)
        if action.kind == "deploy" and action.text and _PROD.search(action.text):
            ctx.facts.setdefault(Fact.PRODUCTION_TARGET, action.text[:80])
        self._tool_effects(ctx)
        self._content_facts(ctx)
        self._derive_facts(ctx)
        return self._judge(ctx)

    def _absorb_shell(self, ctx: Context, subj_index: int, result: ShellAnalysis) -> None:
        ctx.invocations.extend(result.invocations)
        ctx.derived.extend(result.derived)
        ctx.effects.extend(result.effects)
        for k, v in result.facts.items():
            ctx.facts.setdefault(k, v)
        if result.data_spans:
            ctx.data_spans[subj_index] = result.data_spans
        for sql in result.sql:
            if _sql_trigger(sql):
                self._sql(ctx, skeleton(sql))

    def _sql(self, ctx: Context, sql: str) -> None:
        statements, limit = analyze_sql_bounded(sql)
        ctx.statements.extend(statements)
        if limit:
            ctx.facts.setdefault(Fact.ANALYSIS_LIMIT, limit)

    def _tool_effects(self, ctx: Context) -> None:
        """Effects of tool, file and HTTP actions: verbs of the tool name applied to arguments."""
        action = ctx.action
        if action.kind in ("tool", "http"):  # other kinds have no API effects
            ctx.effects += self._api.of(action)  # destroy, privilege, publish…
        elif not (ctx.tool_words or ctx.arg_values or action.kind == "file"):
            return  # nothing names an operation: no effects to add (the common shell/SQL case)
        ops: list[str] = []
        if ctx.tool_words:
            ops = self._ops(ctx.tool_words)
        for value in ctx.arg_values.get("operation", ()):
            ops += self._ops(tool_words(value)) or (
                [value.lower()]
                if value.lower() in ("read", "write", "delete", "append", "send", "exec", "fetch")
                else []
            )
        methods = [m.upper() for m in ctx.arg_values.get("method", ())]
        if action.kind != "http" and methods:
            if any(m in ("POST", "PUT", "PATCH") for m in methods):
                ops.append("send")
            elif "DELETE" in methods:
                ops.append("delete")
        if "fetch" in ops and ctx.arg_values.get("content") and "send" not in ops:
            ops.append("send")  # a request that carries a body sends it
        method = ""
        if action.kind == "http":
            methods = ctx.arg_values.get("method", [])
            m = _HTTP_LINE.match(action.text or "")
            method = (methods[0] if methods else m.group(1) if m else "GET").upper()
            if m:
                ctx.arg_values.setdefault("url", []).append(m.group(2))
            has_body = bool(ctx.arg_values.get("content"))
            if method in ("POST", "PUT", "PATCH") or has_body:
                ops.append("send")
            elif method == "DELETE":
                ops.append("delete")
            else:
                ops.append("fetch")
        if action.kind == "file" and not ops:
            words = tool_words(action.text or "")
            ops = self._ops(words) or ["read"]
        if not ops and not ctx.tool_words:
            return
        paths = list(ctx.arg_values.get("path", ()))
        if action.kind == "file":
            paths += [s.text for s in ctx.subjects if s.view == "path" and s.origin == "text"]
        if action.target and _PATHLIKE.match(action.target):
            paths.append(action.target)
        command = ctx.tool_words or action.kind
        classify = self.classifier.classify
        for op in dict.fromkeys(ops):
            if op in ("read", "write", "delete", "exec", "append"):
                for p in paths:
                    ctx.effects.append(Effect(op, p, classify(p), command))
            if op in ("send", "fetch") or (op == "delete" and action.kind == "http"):
                for u in ctx.arg_values.get("url", ()):
                    ctx.effects.append(Effect(op, u, classify(u), command))
            if op == "send":
                for r in ctx.arg_values.get("recipient", ()):
                    ctx.effects.append(Effect("send", r, frozenset(), command))
                if _PERSONAL_OBJECTS.search(ctx.tool_words):  # export_contacts, sync_customers
                    ctx.effects.append(Effect("read", "$PERSONAL", classify("$PERSONAL"), command))
                for p in paths:  # attachments and uploaded files are read to be sent
                    ctx.effects.append(Effect("read", p, classify(p), command))

    def _content_facts(self, ctx: Context) -> None:
        """Secrets and personal data in what the action carries (not in shell text)."""
        for pid in ctx.flagged:
            kind = self._id_kind[pid]
            if kind not in (SECRET, SENSITIVE):
                continue
            for subj_index, end in ctx.hits[pid]:
                subj = ctx.subjects[subj_index]
                if subj.view not in ("text", "code", "path", "url") and not (
                    subj.view == "data" and ctx.action.kind == "file"  # written into a file
                ):
                    continue
                evidence = evidence_before(subj.text, end)
                ctx.facts.setdefault(Fact.SENSITIVE_CONTENT, evidence)
                if kind == SECRET:
                    ctx.facts.setdefault(Fact.SECRET_CONTENT, f"{self._id_owner[pid]}")
                    if str(self._id_owner[pid]) in CREDENTIAL_FORMATS:
                        ctx.facts.setdefault(Fact.CREDENTIAL_CONTENT, f"{self._id_owner[pid]}")
                    if subj.view == "url" and self._external(subj.text):
                        ctx.facts.setdefault(
                            Fact.EXFILTRATION,
                            f"{self._id_owner[pid]} in a request to {subj.text[:80]}",
                        )
                break

    def _derive_facts(self, ctx: Context) -> None:
        for e in ctx.effects:
            if e.op in ("delete", "truncate") and "personal-data" in e.classes:
                ctx.facts.setdefault(Fact.PERSONAL_DATA_DELETION, e.describe())
        for st in ctx.statements:
            if st.type in ("delete", "truncate", "drop") and any(
                _PEOPLE_TABLE.search(t) for t in st.tables
            ):
                ctx.facts.setdefault(Fact.PERSONAL_DATA_DELETION, st.text[:120])
        for value in ctx.arg_values.get("recipient", ()):
            if not self._internal(value):
                ctx.facts.setdefault(Fact.OUTSIDE_RECIPIENT, value[:120])
        for role in ("url", "recipient") if ctx.arg_values else ():
            for value in ctx.arg_values.get(role, ()):
                if self._external(value):
                    ctx.facts.setdefault(Fact.EXTERNAL_TARGET, value[:120])
                if not self._internal(value):
                    ctx.facts.setdefault(Fact.UNVERIFIED_TARGET, value[:120])
        effects = ctx.effects
        if not effects:  # most actions: no comprehension (a call) to run
            return
        sends = [e for e in effects if e.op == "send"]
        if not sends:
            return
        secret_reads = [
            e for e in effects if e.op in ("read", "fetch") and e.classes & _SECRET_CLASSES
        ]
        carries = ctx.action.kind in ("tool", "http") and Fact.SECRET_CONTENT in ctx.facts
        if secret_reads or carries:
            what = secret_reads[0].describe() if secret_reads else ctx.facts[Fact.SECRET_CONTENT]
            ctx.facts.setdefault(Fact.EXFILTRATION, f"{what} → {sends[0].target[:80]}")
        if any(e.op == "read" and e.classes & _DATA_CLASSES for e in effects) or (
            Fact.DATA_MENTIONED in ctx.facts and ctx.action.kind in ("tool", "http")
        ):
            ctx.facts.setdefault(Fact.DATA_TRANSFER, sends[0].describe())
        untrusted = [e for e in sends if self._untrusted(e.target)]
        if untrusted:
            ctx.facts.setdefault(Fact.UNTRUSTED_TARGET, untrusted[0].target[:120])
        external = [e for e in sends if self._external(e.target)]
        if external:
            ctx.facts.setdefault(Fact.SEND_EXTERNAL, external[0].target[:120])
            dumps = [e for e in effects if e.op == "read" and e.classes & _DATA_CLASSES]
            if dumps:
                ctx.facts.setdefault(
                    Fact.DATA_EXFILTRATION, f"{dumps[0].describe()} → {external[0].target[:80]}"
                )

    def _internal(self, target: str) -> bool:
        """True when a URL, host or address is in the organization's own domains or network."""
        host = _host_of(target)
        if not host or host == "localhost" or "." not in host:
            return True
        if _IPV4.match(host):
            return host.startswith(_PRIVATE_NETS)
        return _under(host, self.org_domains)

    def _untrusted(self, target: str) -> bool:
        """True when a URL or address is a paste site, request bin, tunnel or known drop."""
        host = _host_of(target)
        if not host:
            return False
        org = self.organization
        return _under(host, org.untrusted_domains) or bool(
            self._untrusted_words and self._untrusted_words.search(host)
        )

    def _external(self, target: str) -> bool:
        """True when a URL, host or address is surely outside the organization."""
        host = _host_of(target)
        if not host or host == "localhost":
            return False
        if _IPV4.match(host):
            return not host.startswith(_PRIVATE_NETS)
        org = self.organization
        if _under(host, self.org_domains):
            return False
        if _under(host, org.personal_domains) or _under(host, org.untrusted_domains):
            return True
        if self._untrusted_words and self._untrusted_words.search(host):
            return True
        return org.unknown_is_external and "." in host

    # ------------------------------------------------------------------ judging
    def _judge(self, ctx: Context) -> RiskAssessment:
        kind = ctx.action.kind
        matched: _Matched = {}

        def consider(
            cr: CompiledRule,
            evidence: str,
            family: str,
            origin: str = "",
            span: tuple[int, int] | None = None,
        ) -> None:
            if cr.index in matched or (cr.kinds and kind not in cr.kinds):
                return
            if (
                family != "patterns"
                and cr.unless_ids
                and any(ctx.hits.get(uid) for uid in cr.unless_ids)
            ):
                return  # a rule without patterns is vetoed by its `unless` anywhere in the action
            if self._others_hold(cr, ctx, family):
                matched[cr.index] = (evidence, origin, span)

        self._pattern_rules(ctx, matched)
        classify = self.classifier.classify
        if ctx.invocations:
            for inv in ctx.invocations:
                for cr in self._shell_candidates(inv.name):
                    shell = cr.shell
                    if cr.index not in matched and shell and shell.matches(inv, classify):
                        consider(cr, show_invocation(inv), "shell")
        if ctx.statements:
            for cr in self._sql_rules:
                if cr.index in matched or (cr.kinds and kind not in cr.kinds):
                    continue  # `consider` would drop it: no need to write the statement back
                for st in ctx.statements:
                    if cr.sql.matches(st):  # type: ignore[union-attr]
                        consider(cr, st.text[:160], "sql")
                        break
        tried: set[int] = set()  # a rule is considered at its first matching effect only
        for e in ctx.effects:
            for cr in self._effect_by_op.get(e.op, ()):
                if cr.index not in tried and cr.effect.matches(e):  # type: ignore[union-attr]
                    tried.add(cr.index)
                    consider(cr, e.describe(), "effect")
        if ctx.tool_words or ctx.arg_values:
            for cr in self._tool_candidates(ctx):
                if cr.kinds and kind not in cr.kinds:
                    continue  # `consider` would drop it: no need to match it
                ev = cr.tool.matches(ctx)  # type: ignore[union-attr]
                if ev is not None:
                    consider(cr, ev, "tool")
        if ctx.facts:
            for cr in self._fact_rules:
                if cr.facts <= ctx.facts.keys():
                    consider(cr, "; ".join(ctx.facts[f] for f in sorted(cr.facts))[:200], "facts")
        for cr in self._kind_only:
            consider(cr, f"kind {kind}", "kind")
        return self._assessment(ctx, matched)

    def _shell_candidates(self, name: str) -> tuple[CompiledRule, ...]:
        """The shell rules that name this command, then those that name none or globs."""
        found = self._shell_for.get(name)
        if found is None:  # command names recur: the tuple is built once per name (bounded)
            found = (*self._shell_by_name.get(name, ()), *self._shell_any)
            if len(name) <= MEMO_KEY_CHARS and len(self._shell_for) < MEMO_ENTRIES:
                self._shell_for[name] = found
        return found

    def _tool_candidates(self, ctx: Context) -> list[CompiledRule]:
        """The tool rules that can match: those without a name condition, and those one of
        whose name patterns the tool's words match (found with one scan of the words)."""
        found = list(self._tool_unnamed)
        if ctx.tool_words:
            for pid in self._fields.tool_hits(ctx, ctx.tool_words):
                found += self._tool_by_name.get(pid, ())
        return sorted(set(found), key=_rule_index) if len(found) > 1 else found

    def _assessment(self, ctx: Context, matched: _Matched) -> RiskAssessment:
        """The assessment from the rules that matched: signals by risk, the strictest rule
        decision, Sofia's ethical and crisis evidence, and what analysis found."""
        kind = ctx.action.kind
        signals: list[Signal] = []
        decision: Decision | None = None
        if matched:  # most actions match no rule
            for i, (ev, origin, span) in matched.items():
                r = self._rules[i].rule
                risk = r.kind_risk.get(kind, r.risk) if r.kind_risk else r.risk  # type: ignore[call-overload]
                signals.append(Signal(r.id, r.article, risk, r.decision, ev, origin, span))
            signals.sort(key=_signal_order)
            for s in signals:
                if s.decision is not None and (
                    decision is None or s.decision.strictness > decision.strictness
                ):
                    decision = s.decision
        ethical: list[str] = []
        crisis: list[str] = []
        secrets = False
        id_kind = self._id_kind
        for pid in ctx.flagged:  # one pass (most actions have few such hits, often none)
            pkind, h = id_kind[pid], ctx.hits[pid]
            if pkind == SECRET:
                secrets = True
            elif pkind == ETHICAL and h:
                ethical.append(evidence_before(ctx.subjects[h[0][0]].text, h[0][1], 40))
            elif pkind == CRISIS and h:
                crisis.append(evidence_before(ctx.subjects[h[0][0]].text, h[0][1], 60))
        # A comprehension is a call: none where the tuple is empty. Facts by plain names (orjson).
        facts, sts = ctx.facts, ctx.statements
        return _new_assessment(
            signals[0].risk if signals else Risk.LOW,
            tuple(signals),
            FrozenDict({str(k): v for k, v in facts.items()} if facts else ()),
            tuple(ctx.effects),
            tuple(dict.fromkeys([i.name for i in ctx.invocations])) if ctx.invocations else (),
            tuple([f"{s.type}:{s.where}" if s.where else s.type for s in sts]) if sts else (),
            tuple(ethical),
            tuple(crisis),
            decision,
            tuple([self._cite(s) for s in signals[:MAX_CITATIONS]]) if signals else (),
            secrets,
        )

    def _pattern_rules(self, ctx: Context, matched: _Matched) -> None:
        """Rules whose patterns matched, each at its first hit in a view it reads, unless its
        `unless` vetoes it there; the span (a second regex run) only for a rule cited."""
        kind = ctx.action.kind
        id_kind, id_owner = self._id_kind, self._id_owner
        for pid in ctx.flagged:
            if id_kind[pid] != RULE:
                continue
            hits, cr = ctx.hits[pid], id_owner[pid]
            if cr.index in matched or (cr.kinds and kind not in cr.kinds):
                continue
            for subj_index, end in hits:
                subj = ctx.subjects[subj_index]
                if subj.view not in cr.views:
                    continue
                if subj.view == "shell" and inside_spans(
                    ctx.data_spans.get(subj_index), subj.text, end
                ):
                    continue
                if self._vetoed(cr, ctx, subj_index):
                    continue
                if self._others_hold(cr, ctx, "patterns"):
                    span = self._span(pid, subj.text, end)
                    evidence = (
                        subj.text[span[0] : span[1]] if span else evidence_before(subj.text, end)
                    )
                    matched[cr.index] = (" ".join(evidence.split())[:160], subj.origin, span)
                break

    def _span(self, pid: int, text: str, end: int) -> tuple[int, int] | None:
        """Where a pattern matched, in characters (Hyperscan reports only the end): the same
        pattern run by Python's engine over a bounded window before that end."""
        regex = self._py_patterns.get(pid)
        if regex is None:  # RE2 (linear) where it can express the pattern
            try:
                regex = re2.compile(self._id_pattern[pid], RE2_CASELESS)
            except re2.error:
                regex = re.compile(self._id_pattern[pid], re.IGNORECASE)
            self._py_patterns[pid] = regex
        if not text.isascii():
            end = len(text.encode("utf-8", "surrogatepass")[:end].decode("utf-8", "ignore"))
        m = regex.search(text, max(0, end - 512), end)
        return (m.start(), m.end()) if m else None

    def _cite(self, signal: Signal) -> Citation:
        article = self.articles.get(signal.article_id)
        if article is None:
            return Citation(
                signal.article_id, 0, signal.article_id, signal.rule_id, signal.evidence
            )
        return Citation(article.id, article.number, article.title, signal.rule_id, signal.evidence)

    def _vetoed(self, cr: CompiledRule, ctx: Context, subj_index: int) -> bool:
        # A tool name carries no context of its own: the rest of the action can veto it.
        anywhere = ctx.subjects[subj_index].view == "tool"
        for uid in cr.unless_ids:
            for s, _ in ctx.hits.get(uid, ()):
                if anywhere or s == subj_index:
                    return True
        return False

    def _others_hold(self, cr: CompiledRule, ctx: Context, family: str) -> bool:
        """For rules with several conditions: the ones other than `family` hold too."""
        if (
            family != "patterns"
            and cr.pattern_ids
            and not any(ctx.hits.get(pid) for pid in cr.pattern_ids)
        ):
            return False
        classify = self.classifier.classify
        if (
            family != "shell"
            and cr.shell is not None
            and not any(cr.shell.matches(i, classify) for i in ctx.invocations)
        ):
            return False
        if (
            family != "sql"
            and cr.sql is not None
            and not any(cr.sql.matches(s) for s in ctx.statements)
        ):
            return False
        if (
            family != "effect"
            and cr.effect is not None
            and not any(cr.effect.matches(e) for e in ctx.effects)
        ):
            return False
        if family != "tool" and cr.tool is not None and cr.tool.matches(ctx) is None:
            return False
        return not (family != "facts" and cr.facts and not cr.facts <= ctx.facts.keys())


_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_PRIVATE_NETS = ("10.", "192.168.", "127.", "169.254.", "0.", *(f"172.{n}." for n in range(16, 32)))


# A frozen dataclass's __init__ sets each field through object.__setattr__ (a tenth of a
# first-sight assessment's judging); the fields' slot descriptors set them directly. Compiled
# (mypyc, see setup.py), the class is native: its constructor is the fast way, and the only one.
_COMPILED = not __file__.endswith(".py")
_SET: list[Any] = (
    [] if _COMPILED else [vars(RiskAssessment)[f.name].__set__ for f in fields(RiskAssessment)]
)


def _new_assessment(*v: Any) -> RiskAssessment:
    """`RiskAssessment(*v)` (every field, in declaration order), built faster."""
    if _COMPILED:
        return RiskAssessment(*v)
    a: RiskAssessment = object.__new__(RiskAssessment)
    for set_field, value in zip(_SET, v, strict=True):
        set_field(a, value)
    return a


def _sql_trigger(sql: str) -> bool:
    """Whether SQL holds a statement word that changes something (`_SQL_TRIGGER`)."""
    if sql.isascii():
        return rx.found(_SQL_TRIGGER_ASCII, sql)
    return _SQL_TRIGGER.search(sql) is not None


def _rule_index(cr: CompiledRule) -> int:
    return cr.index


def _signal_order(s: Signal) -> tuple[int, bool, str]:
    """Riskiest first; among equals, rules that impose a decision first, then by id."""
    return (-s.risk.rank, s.decision is None, s.rule_id)


def _host_of(target: str) -> str:
    """The host of a URL, address or host name, lower case ("" when there is none)."""
    m = _EMAIL_DOMAIN.search(target)
    hm = _HOST.match(target)
    return (m.group(1) if m else hm.group(1) if hm else "").lower().rstrip(".")


def _under(host: str, domains: Iterable[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def _has_condition(cr: CompiledRule) -> bool:
    m = cr.rule.match
    return bool(m.patterns or m.shell or m.sql or m.effect or m.tool or m.facts)


_DEFAULT: RiskDetector | None = None
_DEFAULT_LOCK = threading.Lock()


def default_detector() -> RiskDetector:
    """A process-wide detector for the built-in constitution (built on first use)."""
    global _DEFAULT
    if _DEFAULT is None:
        with _DEFAULT_LOCK:
            if _DEFAULT is None:
                _DEFAULT = RiskDetector()
    return _DEFAULT


def detect_risk_level(text: str, agent_role: str | None = None) -> str:
    """Seed-compatible: the tier of a text as "LOW", "MEDIUM", "HIGH" or "CRITICAL".

    The kind is guessed (SQL, shell, or prose). `agent_role` is accepted for compatibility; a
    role limits what an agent may do (Justiça enforces it), not how risky an action is.
    """
    del agent_role
    return default_detector().detect_level(text).value


def iter_rules(detector: RiskDetector) -> Iterable[Rule]:
    """The rules a detector enforces, in constitution order."""
    return (cr.rule for cr in detector._rules)
