"""Loading a constitution from YAML, reporting every problem with file, rule id and reason."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import hyperscan
import re2  # type: ignore[import-untyped]
from pydantic import ValidationError

from magistrate.analysis import KNOWN_FACTS, PSEUDO_TARGET_CLASSES
from magistrate.analysis.effects import RESOURCE_CLASSES
from magistrate.analysis.hsdb import compile_database
from magistrate.analysis.secrets import SECRET_PATTERNS
from magistrate.constitution.cache import cached
from magistrate.constitution.dialect import both_cases, byte_mode_problems, dialect_problems
from magistrate.constitution.examples import example_problems
from magistrate.constitution.extends import BUILTINS, load_raw, read_source, resolve
from magistrate.constitution.model import Constitution, Rule
from magistrate.errors import ConstitutionError, ConstitutionProblem

DEFAULT_FILE = BUILTINS["default"]

# Text patterns are matched caseless; match ends (not starts) are reported, which lets
# Hyperscan run bounded repeats such as `.{0,40}` in its linear-time engines.
PATTERN_FLAGS = hyperscan.HS_FLAG_CASELESS


class LoadedConstitution:
    """A validated constitution with its source and version (hash of the normalized content)."""

    __slots__ = ("model", "source", "version")

    def __init__(self, model: Constitution, source: str) -> None:
        self.model = model
        self.source = source
        # Examples document and test rules; they do not change a verdict, so not the version.
        dumped = model.model_dump(
            mode="json", by_alias=True, exclude={"rules": {"__all__": {"examples"}}}
        )
        canonical = json.dumps(dumped, sort_keys=True)
        self.version = hashlib.sha256(canonical.encode()).hexdigest()[:16]

    @property
    def name(self) -> str:
        """The constitution's name."""
        return self.model.name


def load_constitution(path: str | Path) -> LoadedConstitution:
    """Load and validate a constitution: a built-in name (`default`, `strict`) or a file path.
    Raises ConstitutionError listing every problem. A constitution that validated before is
    read from the signed cache (`constitution.cache`)."""
    text, source, directory = read_source(path)
    return cached(text, source, directory, _parse_reading)


def default_constitution() -> LoadedConstitution:
    """The constitution that ships with Magistrate."""
    return load_constitution("default")


def builtin_names() -> tuple[str, ...]:
    """Names of the built-in constitutions."""
    return tuple(BUILTINS)


def _parse_reading(
    text: str, source: str, directory: Path | None, read: list[tuple[str, Path | None, str]]
) -> LoadedConstitution:
    return parse_constitution(text, source, directory, read=read)


def parse_constitution(
    text: str,
    source: str = "<string>",
    directory: Path | None = None,
    *,
    read: list[tuple[str, Path | None, str]] | None = None,
) -> LoadedConstitution:
    """Validate YAML text as a constitution (`extends` resolved relative to `directory`; the
    bases read are appended to `read`)."""
    problems: list[ConstitutionProblem] = []

    def problem(rule_id: str | None, reason: str) -> None:
        problems.append(ConstitutionProblem(source, rule_id, reason))

    raw = resolve(load_raw(text, source), source, directory, read=read)
    _expand_pattern_sets(raw, problem)

    raw_rules = raw.get("rules", [])
    if not isinstance(raw_rules, list):
        problem(None, "rules: must be a list")
        raw_rules = []
    try:
        base = Constitution.model_validate({**raw, "rules": []})
    except ValidationError as exc:
        for err in exc.errors():
            problem(None, _describe(err))
        base = None

    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw_rule in enumerate(raw_rules):
        rid = raw_rule.get("id") if isinstance(raw_rule, dict) else None
        label = str(rid) if rid else f"#{index + 1}"
        try:
            rule = Rule.model_validate(raw_rule)
        except ValidationError as exc:
            for err in exc.errors():
                problem(label, _describe(err))
            continue
        if rule.id in seen:
            problem(rule.id, "duplicate rule id")
        for reason in example_problems(rule):
            problem(rule.id, reason)
        seen.add(rule.id)
        rules.append(rule)

    if base is None:
        raise ConstitutionError(problems)
    for seq in base.sequences:
        for reason in example_problems(seq):
            problem(seq.id, reason)
    _check_references(base, rules, problem)
    _check_patterns(base, rules, problem)
    if problems:
        raise ConstitutionError(problems)
    return LoadedConstitution(base.model_copy(update={"rules": rules}), source)


def _expand_pattern_sets(raw: dict[str, Any], problem: Any) -> None:
    """Replace `{set: NAME}` entries of rules' `patterns`, `unless` and `also` with the set's
    patterns."""
    sets = raw.get("pattern_sets") or {}
    if not isinstance(sets, dict):
        return  # validation reports it
    for rule in raw.get("rules") or []:
        match = rule.get("match") if isinstance(rule, dict) else None
        if not isinstance(match, dict):
            continue
        for field in ("patterns", "unless", "also"):
            entries = match.get(field)
            if not isinstance(entries, list):
                continue
            out: list[Any] = []
            for entry in entries:
                if isinstance(entry, dict) and set(entry) == {"set"}:
                    named = sets.get(entry["set"])
                    if not isinstance(named, list):
                        problem(rule.get("id"), f"{field}: no pattern set {entry['set']!r}")
                        continue
                    out.extend(named)
                else:
                    out.append(entry)
            match[field] = out


def _describe(err: Any) -> str:
    loc = ".".join(str(x) for x in err.get("loc", ()) if x != "in_")
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return f"unknown field {loc!r}"
    return f"{loc}: {err.get('msg', 'invalid')}" if loc else str(err.get("msg", "invalid"))


def _check_references(base: Constitution, rules: list[Rule], problem: Any) -> None:
    articles = {a.id for a in base.articles}
    if len(articles) != len(base.articles):
        problem(None, "duplicate article id")
    classes = set(base.path_classes) | PSEUDO_TARGET_CLASSES
    for rule in rules:
        if rule.article not in articles:
            problem(rule.id, f"unknown article {rule.article!r}")
        m = rule.match
        used: list[str] = []
        if m.shell:
            used += m.shell.targets + m.shell.not_targets
        if m.effect:
            resource = {c for op in m.effect.op for c in RESOURCE_CLASSES.get(op, {})}
            named = m.effect.classes + m.effect.all_classes + m.effect.not_classes
            used += [c for c in named if c not in resource]
        for name in used:
            if name not in classes:
                problem(rule.id, f"unknown path class {name!r}")
        for fact in m.facts:
            if fact not in KNOWN_FACTS:
                problem(rule.id, f"unknown fact {fact!r}; known: {', '.join(sorted(KNOWN_FACTS))}")
        if m.tool:
            roles = set(type(base.tool_arguments).model_fields)
            for role in m.tool.args:
                if role not in roles:
                    problem(rule.id, f"unknown argument role {role!r}")
    rule_ids = {r.id for r in rules}
    for seq in base.sequences:
        if seq.article not in articles:
            problem(seq.id, f"unknown article {seq.article!r}")
        if seq.id in rule_ids:
            problem(seq.id, "duplicate rule id (a sequence rule shares it)")
    for fact in base.sofia.facts:
        if fact not in KNOWN_FACTS:
            problem(None, f"sofia.facts: unknown fact {fact!r}")


def _regexes(rule: Rule) -> list[tuple[str, str]]:
    """(field, regex) for every regex a rule holds other than its text patterns."""
    m = rule.match
    out: list[tuple[str, str]] = []
    if m.shell:
        out += [("shell.args", r) for r in m.shell.args + m.shell.args_all + m.shell.not_args]
    if m.sql:
        out += [("sql.tables", r) for r in m.sql.tables + m.sql.not_tables]
    if m.effect:
        out += [("effect.command", r) for r in m.effect.command]
    if m.tool:
        out += [("tool.name", r) for r in m.tool.name]
        out += [("tool.not_name", r) for r in m.tool.not_name]
        for role, values in m.tool.args.items():
            out += [(f"tool.args.{role}", r) for r in values]
    return out


# Kinds of entries in the pattern table.
RULE, UNLESS, SENSITIVE, SECRET, ETHICAL, CRISIS, CRISIS_SUPPORT, CRISIS_SELF = range(8)


# (kind, owner, pattern, flags) of each pattern scanned over action text
PatternTable = list[tuple[int, object, str, int]]


def pattern_table(model: Constitution) -> PatternTable:
    """(kind, owner, pattern, flags) of every pattern that runs over action text.

    These all go into one Hyperscan database; the owner is the rule's position for rule and
    `unless` patterns and the credential's name for secret detectors. A rule's `also` patterns
    are not scanned: they are read only where its `patterns` matched (risk/judge.py).
    """
    table: PatternTable = []
    for index, rule in enumerate(model.rules):
        table += [(RULE, index, p, PATTERN_FLAGS) for p in rule.match.patterns]
        table += [(UNLESS, index, p, PATTERN_FLAGS) for p in rule.match.unless]
    table += [(SENSITIVE, None, p, PATTERN_FLAGS) for p in model.sensitive_content]
    for name, p in SECRET_PATTERNS:
        caseless = p.startswith("(?i)")
        hs_pattern = p.replace("(?P<secret>", "(").replace("(?i)", "")
        table.append((SECRET, name, hs_pattern, hyperscan.HS_FLAG_CASELESS if caseless else 0))
    for _, kind, patterns in _sofia_lists(model):
        table += [(kind, None, p, PATTERN_FLAGS) for p in patterns]
    return table


def _sofia_lists(model: Constitution) -> list[tuple[str, int, list[str]]]:
    """(field, kind, patterns) of each Sofia list Hyperscan runs, in the table's order."""
    sofia = model.sofia
    return [
        ("sofia.patterns", ETHICAL, sofia.patterns),
        ("sofia.crisis", CRISIS, sofia.crisis),
        ("sofia.crisis_support", CRISIS_SUPPORT, sofia.crisis_support),
        ("sofia.crisis_self", CRISIS_SELF, sofia.crisis_self),
    ]


def pattern_groups(table: PatternTable) -> list[tuple[tuple[str, int], tuple[int, ...]]]:
    """Each distinct (expression, flags) of a `pattern_table` with the positions sharing it.

    Rules share patterns (one question opener is the `unless` of twelve rules): each distinct
    expression is compiled and reported once, and its hit counts for every position."""
    groups: dict[tuple[str, int], list[int]] = {}
    for position, (_, _, pattern, flags) in enumerate(table):
        groups.setdefault((pattern, flags), []).append(position)
    return [(key, tuple(positions)) for key, positions in groups.items()]


def compile_patterns(model: Constitution, kind: str | None = None) -> hyperscan.Database:
    """The Hyperscan database (cached on disk) of the patterns that can count for an action of
    `kind` (all when None); its ids are indexes into `pattern_groups`.

    A rule's pattern and `unless` hits are read only where its `kinds` admit the action
    (risk/judge.py), so a shell command is not scanned for the prose of harm requests: most of
    a scan's cost is the prose patterns. Sensitive content, secrets and Sofia's lists count
    for every kind."""
    table = pattern_table(model)
    groups = pattern_groups(table)
    chosen = [
        g
        for g, (_, positions) in enumerate(groups)
        if kind is None or any(counts_for(model, table[p], kind) for p in positions)
    ]
    return compile_database(
        [both_cases(groups[g][0][0]).encode() for g in chosen],
        [groups[g][0][1] for g in chosen],
        chosen,
    )


def counts_for(model: Constitution, entry: tuple[int, object, str, int], kind: str) -> bool:
    """Whether a `pattern_table` entry can count for an action of `kind` (a rule's pattern only
    where the rule's `kinds` admit it; every other list everywhere)."""
    what, owner, _, _ = entry
    if what not in (RULE, UNLESS):
        return True
    kinds = model.rules[int(owner)].kinds  # type: ignore[call-overload]
    return not kinds or kind in kinds


def _check_patterns(base: Constitution, rules: list[Rule], problem: Any) -> None:
    """Every pattern is in the one dialect (constitution/dialect.py); text patterns must also
    compile in Hyperscan (linear time), field regexes in Python."""

    def check(owner: str | None, field: str, pattern: str) -> bool:
        try:
            re.compile(pattern)
        except re.error as exc:
            problem(owner, f"{field}: pattern {pattern!r} does not compile: {exc}")
            return False
        outside = dialect_problems(pattern)
        for why in outside:
            problem(owner, f"{field}: pattern {pattern!r} uses {why}, outside the rule language")
        return not outside

    text_patterns: list[tuple[str | None, str, str]] = []

    def text_pattern(owner: str | None, field: str, pattern: str) -> None:
        """A pattern Hyperscan runs: in the dialect, and able to match byte by byte."""
        if not check(owner, field, pattern):
            return
        # Hyperscan reads bytes: what cannot match as written is a problem, not a silent miss
        for why in byte_mode_problems(pattern):
            problem(owner, f"{field}: pattern {pattern!r} has {why} (Hyperscan reads bytes)")
        text_patterns.append((owner, field, pattern))

    for rule in rules:
        for pattern in rule.match.patterns:
            text_pattern(rule.id, "patterns", pattern)
        for pattern in rule.match.unless:
            text_pattern(rule.id, "unless", pattern)
        for pattern in rule.match.also:  # run by RE2 (linear), only where `patterns` match
            if check(rule.id, "also", pattern) and not _re2_compiles(pattern):
                problem(rule.id, f"also: pattern {pattern!r} does not compile in RE2")
        if rule.match.also and not rule.match.patterns:
            problem(rule.id, "also: needs patterns (one of each must match)")
        if rule.match.also_within is not None and not rule.match.also:
            problem(rule.id, "also_within: needs also (how near the asked must be to the address)")
        for field, pattern in _regexes(rule):
            check(rule.id, field, pattern)
    for name, patterns in base.path_classes.items():
        for pattern in patterns:
            check(None, f"path_classes.{name}", pattern)
    for pattern in base.sensitive_content:
        text_pattern(None, "sensitive_content", pattern)
    for field, _, patterns in _sofia_lists(base):
        for pattern in patterns:
            text_pattern(None, field, pattern)
    args = base.tool_arguments
    for role in type(args).model_fields:
        for pattern in getattr(args, role):
            check(None, f"tool_arguments.{role}", pattern)
    verbs = base.tool_verbs
    for op in type(verbs).model_fields:
        for pattern in getattr(verbs, op):
            check(None, f"tool_verbs.{op}", pattern)
    all_valid = len(text_patterns) == sum(
        len(r.match.patterns) + len(r.match.unless) for r in rules
    ) + len(base.sensitive_content) + sum(len(p) for _, _, p in _sofia_lists(base))
    if all_valid:
        try:  # the whole table at once (and cached): the database the detector will use
            compile_patterns(base.model_copy(update={"rules": rules}))
            return
        except hyperscan.error:
            pass
    for owner, field, pattern in text_patterns:  # only on failure: find each culprit
        try:
            compile_database([pattern.encode()], [PATTERN_FLAGS])
        except hyperscan.error as exc:
            problem(
                owner,
                f"{field}: pattern {pattern!r} is not supported by the linear-time engine: {exc}",
            )


def _re2_compiles(pattern: str) -> bool:
    """Whether RE2 (a linear-time engine) takes the pattern."""
    try:
        re2.compile(pattern)
    except re2.error:
        return False
    return True
