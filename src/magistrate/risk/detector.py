"""Risk detection: one compiled scan per action, shell/SQL/tool facts, constitution rules.

Every text pattern of the constitution (and the credential and sensitive-data detectors) is
compiled once into a single Hyperscan database and scanned once per action (in a batch too: no
match may span two actions). Structured analyzers then read shell (pipelines, wrappers,
substitutions), SQL (sqlglot) and tool calls into invocations, statements and *effects*; rules
match on all of them. The steps, in order: `subjects` (what the action says, in the view each
piece is read in), the scan, the analyzers (here), `facts` (what follows from effects), and
`judge` (the rules).
The result depends only on the action and the constitution, so it can be cached.
"""

from __future__ import annotations

import bisect
import re
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any

import hyperscan
import re2  # type: ignore[import-untyped]
from mypy_extensions import mypyc_attr

from magistrate.action import Action
from magistrate.analysis import rx
from magistrate.analysis.code import analyze_code
from magistrate.analysis.facts import Fact
from magistrate.analysis.families.disposable import contained
from magistrate.analysis.paths import PathClassifier
from magistrate.analysis.prose_commands import COMMON_COMMANDS
from magistrate.analysis.shell import ShellAnalysis, ShellAnalyzer
from magistrate.analysis.sql import analyze_sql_bounded
from magistrate.analysis.text import looks_like_shell, looks_like_sql, path_tokens, skeleton
from magistrate.analysis.tools import ArgumentRoles, ToolVerbs
from magistrate.constitution import LoadedConstitution, default_constitution
from magistrate.constitution.loader import (
    RULE,
    UNLESS,
    compile_patterns,
    pattern_groups,
    pattern_table,
)
from magistrate.constitution.model import Organization, Rule
from magistrate.levels import Risk
from magistrate.risk.assessment import RiskAssessment
from magistrate.risk.facts import DATA_CLASSES, SECRET_CLASSES, FactDeriver
from magistrate.risk.judge import RuleJudge
from magistrate.risk.subjects import SubjectReader
from magistrate.risk.targets import TargetScope, host_of
from magistrate.rule_match import CompiledRule, Context, FieldPatterns, Subject

__all__ = ["RiskDetector", "default_detector", "detect_risk_level", "iter_rules"]

_PROD = re.compile(r"\b(prod|production|prd|live)\b", re.I)
# In a name (`ledger_prod`, `prj-acme-prod`): an underscore separates words there too.
_PROD_NAME = re.compile(r"(?:^|[^a-z0-9])(prod|production|prd|live)(?:$|[^a-z0-9])", re.I)
_SQL_TRIGGER = re.compile(
    r"\b(drop|truncate|delete|update|alter|grant|revoke|create|copy|merge|insert|replace|rename"
    r"|upsert|vacuum|load|set|exec|execute|prepare|sp_executesql|call)\b"
    # a SELECT is parsed only when it may return credentials (`sql.secret-columns`)
    r"|(password|passwd|token|secret|api_?key|private_key|signing_key|totp|mfa|recovery_code"
    r"|cvv|cvc|card_number|ssn|credential)",
    re.I,
)
_ANALYZED_VIEWS = frozenset({"shell", "code", "text", "sql", "environment", "url"})  # in `_finish`
# The same in RE2 for ASCII text (same meaning there): Python's engine tried every word.
_SQL_TRIGGER_ASCII = re2.compile("(?i)" + _SQL_TRIGGER.pattern)
_PROD_WORD = re.compile(r"(?:^|[^a-z0-9])(?:prod|production|prd)(?:[^a-z0-9]|$)", re.I)
MAX_ANALYSIS_SECONDS = 0.5  # analyzers are bounded; past this, the rest is not read (escalate)


# Kinds scanned with a database of their own patterns only. Most of a scan's cost is the prose
# patterns, which commands and SQL never count (measured: a shell command's scan 10.0 -> 2.5 us,
# SQL's 18.7 -> 3.8). Prose kinds keep the whole database: theirs would save less and cost a
# compilation of most of the patterns again on a cold start (the whole set compiles in minutes
# on a slow machine; the command and SQL sets in seconds).
_OWN_DATABASE = frozenset({"shell", "sql"})


def _database_key(kind: str) -> str:
    return kind if kind in _OWN_DATABASE else ""


@mypyc_attr(allow_interpreted_subclasses=True)  # a public class: subclassed to extend
class RiskDetector:
    """Grades actions against one constitution. Thread-safe; build once, use everywhere.

    Its steps are parts of their own, built once from the constitution: `SubjectReader`
    (what the action says), the analyzers, `FactDeriver` (with `TargetScope`) and
    `RuleJudge`; a subclass replaces a step by replacing that part."""

    def __init__(self, constitution: LoadedConstitution | None = None) -> None:
        self.constitution = constitution or default_constitution()
        model = self.constitution.model
        self.version = self.constitution.version
        self.classifier = PathClassifier(model.path_classes)
        self.shell = ShellAnalyzer(self.classifier)
        self.roles = ArgumentRoles(model.tool_arguments.model_dump())
        self.verbs = ToolVerbs(model.tool_verbs.model_dump())
        self.targets = TargetScope(model.organization)
        self.articles = {a.id: a for a in model.articles}
        self._fields = FieldPatterns()
        self._rules = [CompiledRule(r, i, self._fields) for i, r in enumerate(model.rules)]
        self._fields.build()
        self._commands = frozenset(
            COMMON_COMMANDS | {c for cr in self._rules if cr.shell for c in cr.shell.commands}
        )
        self._compile(model)
        self._local = threading.local()
        self._reader = SubjectReader(self.roles, self.verbs, self.classifier, self._commands)
        self._fact_deriver = FactDeriver(self._reader, self.targets, self._id_kind, self._id_owner)
        self._rule_judge = RuleJudge(
            self._rules,
            self._fields,
            self.classifier,
            self.articles,
            id_kind=self._id_kind,
            id_owner=self._id_owner,
            id_pattern=self._id_pattern,
        )

    # ------------------------------------------------------------------ compilation
    def _compile(self, model: Any) -> None:
        table = pattern_table(model)
        self._id_kind = [kind for kind, _, _, _ in table]
        self._id_pattern = [pattern for _, _, pattern, _ in table]
        self._id_owner: list[Any] = []
        for pid, (kind, owner, _, _) in enumerate(table):
            if kind in (RULE, UNLESS):
                cr = self._rules[int(owner)]  # type: ignore[call-overload]
                (cr.pattern_ids if kind == RULE else cr.unless_ids).append(pid)
                self._id_owner.append(cr)
            else:
                self._id_owner.append(owner)
        self._groups = [positions for _, positions in pattern_groups(table)]
        # by database ("" for the whole set, else the kind with its own), loaded on first use
        self._dbs: dict[str, Any] = {}
        self._dbs_lock = threading.Lock()

    def _database(self, key: str) -> Any:
        """The database `key` names: a kind in `_OWN_DATABASE`, or "" for every pattern."""
        db = self._dbs.get(key)
        if db is None:
            with self._dbs_lock:
                db = self._dbs.get(key)
                if db is None:
                    db = self._dbs[key] = compile_patterns(self.constitution.model, key or None)
        return db

    def prepare(self) -> None:
        """Load every database now (a server at start-up), not at the first action of each
        kind (what a one-event process such as the hook wants)."""
        for key in ("", *sorted(_OWN_DATABASE)):
            self._database(key)

    def _scratch(self, key: str, db: Any) -> Any:
        scratches = getattr(self._local, "scratches", None)
        if scratches is None:
            scratches = self._local.scratches = {}
        scratch = scratches.get(key)
        if scratch is None:
            scratch = scratches[key] = hyperscan.Scratch(db)
        return scratch

    # ------------------------------------------------------------------ public API
    def assess(self, action: Action) -> RiskAssessment:
        """The risk assessment of one action."""
        ctx = self._reader.read(action)
        self._scan([ctx])
        return self._finish(ctx)

    def assess_many(self, actions: Sequence[Action]) -> list[RiskAssessment]:
        """Assessments of many actions; each is exactly the assessment it gets alone.

        One scan per action: in one buffer for the whole batch, a pattern with a wide window
        (`dob … \n to=`) matched across two neighbouring actions, and Hyperscan reports only
        where a match ends. A scan call costs about a microsecond more than sharing one."""
        out = []
        for action in actions:
            ctx = self._reader.read(action)
            self._scan([ctx])
            out.append(self._finish(ctx))
        return out

    @property
    def organization(self) -> Organization:
        """The constitution's organization (its domains: what is inside, what surely is not)."""
        return self.targets.organization

    @property
    def org_domains(self) -> tuple[str, ...]:
        """The organization's own domains, lower case."""
        return self.targets.org_domains

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

    # ------------------------------------------------------------------ scanning
    def _scan(self, contexts: Sequence[Context], first: int = 0) -> None:
        """One Hyperscan pass over every subject (from index `first`) of every context, with
        the database for their actions' kind (contexts needing several: one pass each)."""
        key = _database_key(contexts[0].action.kind)
        if any(_database_key(c.action.kind) != key for c in contexts[1:]):
            for ctx in contexts:
                self._scan([ctx], first)
            return
        db = self._database(key)
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
            db.scan(parts[0], self._one_subject(*owners[0]), 0, None, self._scratch(key, db))
            return
        buffer = b"\n".join(parts)

        seen: set[tuple[int, int]] = set()
        id_kind, groups, bisect_right = self._id_kind, self._groups, bisect.bisect_right

        def on_match(sid: int, start: int, end: int, flags: int, context: Any) -> None:
            # Only match ends are reported (see PATTERN_FLAGS); one hit per pattern and subject.
            k = bisect_right(starts, end - 1) - 1
            if (sid, k) in seen:
                return None
            seen.add((sid, k))
            ctx, subj = owners[k]
            for pid in groups[sid]:
                if pid in ctx.hits:
                    ctx.hits[pid].append((subj, end - starts[k]))
                else:
                    ctx.hits[pid] = [(subj, end - starts[k])]
                    if id_kind[pid] != UNLESS:
                        ctx.flagged.append(pid)
            return None

        # Positional arguments: the binding parses keywords at half a microsecond a call.
        db.scan(buffer, on_match, 0, None, self._scratch(key, db))

    def _one_subject(self, ctx: Context, subj: int) -> Any:
        """The match handler of a scan of one subject of a context with no hits yet: the
        first hit of each pattern is kept (what `_scan`'s general handler keeps)."""
        hits, flagged, id_kind, groups = ctx.hits, ctx.flagged, self._id_kind, self._groups

        def on_match(sid: int, start: int, end: int, flags: int, context: Any) -> None:
            for pid in groups[sid]:
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
                later = ("config",) if subj.origin.endswith(":config") else ()
                result = self.shell.analyze(subj.text, later)
                if subj.origin.endswith(":image"):
                    result = in_image(result)
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
                for fact, evidence in found.facts():
                    ctx.facts.setdefault(fact, evidence)
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
                    token = token.rstrip(".,;:!?)")  # the sentence's end, not the file's name
                    classes = self.classifier.classify(token)
                    if classes & SECRET_CLASSES:
                        ctx.facts.setdefault(Fact.SECRET_PATH_MENTIONED, token)
                    if classes & DATA_CLASSES:
                        ctx.facts.setdefault(Fact.SENSITIVE_CONTENT, token)
                        ctx.facts.setdefault(Fact.DATA_MENTIONED, token)
            elif view == "sql" and _sql_trigger(subj.text):
                self._sql(ctx, subj.text)
            elif view in ("environment", "url") and _PROD_NAME.search(
                subj.text if view == "environment" else host_of(subj.text)
            ):  # `"env": "production"`, `"host": "prod-db.acme.internal"`
                ctx.facts.setdefault(Fact.PRODUCTION_TARGET, f"{subj.origin}={subj.text[:60]}")
        if ctx.derived or ctx.written:  # decoded payloads, text written: a second scan
            if len(ctx.derived) > 8:
                ctx.facts.setdefault(Fact.ANALYSIS_LIMIT, "analysis limit: over 8 decoded payloads")
            first = len(ctx.subjects)
            ctx.subjects.extend(Subject("shell", skeleton(d), "decoded") for d in ctx.derived[:8])
            ctx.subjects.extend(Subject("data", skeleton(w), "written") for w in ctx.written[:8])
            self._scan([ctx], first)
        if action.kind == "deploy" and action.text and _PROD.search(action.text):
            ctx.facts.setdefault(Fact.PRODUCTION_TARGET, action.text[:80])
        self._fact_deriver.derive(ctx)
        return self._rule_judge.judge(ctx)

    def _absorb_shell(self, ctx: Context, subj_index: int, result: ShellAnalysis) -> None:
        ctx.invocations.extend(result.invocations)
        ctx.derived.extend(result.derived)
        ctx.written.extend(result.written)
        ctx.effects.extend(result.effects)
        for k, v in result.facts.items():
            ctx.facts.setdefault(k, v)
        if result.data_spans:
            ctx.data_spans[subj_index] = result.data_spans
        for sql in result.sql:
            if _sql_trigger(sql):
                self._sql(ctx, skeleton(sql))
        for sql, client in result.sql_disposable:
            if _sql_trigger(sql):
                self._sql(ctx, skeleton(sql), client)

    def _sql(self, ctx: Context, sql: str, disposable_client: str | None = None) -> None:
        statements, limit = analyze_sql_bounded(sql)
        if disposable_client is not None:  # a test database's contents are there to be lost
            statements = [st for st in statements if not contained(st, disposable_client)]
        ctx.statements.extend(statements)
        if limit:
            ctx.facts.setdefault(Fact.ANALYSIS_LIMIT, limit)


# What a command does to files inside an image being built stays in the image: deleting
# /var/lib/apt/lists/*, writing /etc/nginx/nginx.conf or chmod on /usr/local/bin is how
# images are made. What it fetches, runs, reads out or sends still counts.
_IMAGE_LOCAL = frozenset({"delete", "write", "append", "truncate", "perm"})
_IMAGE_FILE_TOOLS = frozenset(
    "rm rmdir shred srm unlink chmod chown chgrp mv cp ln truncate mkdir touch install".split()
)


def in_image(result: ShellAnalysis) -> ShellAnalysis:
    """A Dockerfile RUN line's analysis with its effects on the image's own files left out."""
    kept = [e for e in result.effects if e.op not in _IMAGE_LOCAL]
    runs = [i for i in result.invocations if i.name not in _IMAGE_FILE_TOOLS]
    if len(kept) == len(result.effects) and len(runs) == len(result.invocations):
        return result
    out = ShellAnalysis()  # new lists where they differ; the analyzer's result is not changed
    out.invocations, out.effects, out.facts = runs, kept, result.facts
    out.sql, out.sql_disposable = result.sql, result.sql_disposable
    out.code, out.data_spans, out.derived, out.written = (
        result.code,
        result.data_spans,
        result.derived,
        result.written,
    )
    return out


def _sql_trigger(sql: str) -> bool:
    """Whether SQL holds a statement word that changes something (`_SQL_TRIGGER`)."""
    if sql.isascii():
        return rx.found(_SQL_TRIGGER_ASCII, sql)
    return _SQL_TRIGGER.search(sql) is not None


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
