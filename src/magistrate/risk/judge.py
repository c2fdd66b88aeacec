"""Judging: the constitution's rules against what analysis found in one action.

Rules are indexed once by what they read (the command they name, the effect's operation, the
tool name patterns they need), so an action meets only the rules that could match it. A rule
with several conditions matches when all hold; its `unless` patterns veto it. The result is
the assessment: signals riskiest first, the strictest decision a rule imposes, the evidence
for Sofia, and the facts, effects, commands and statements analysis found.
"""

from __future__ import annotations

import re
from typing import Any

import re2  # type: ignore[import-untyped]

from magistrate.analysis.clauses import ruled_out
from magistrate.analysis.paths import PathClassifier
from magistrate.constitution.loader import (
    CRISIS,
    CRISIS_SELF,
    CRISIS_SUPPORT,
    ETHICAL,
    RULE,
    SECRET,
)
from magistrate.constitution.model import Article
from magistrate.frozen import FrozenDict
from magistrate.levels import Decision, Risk
from magistrate.risk.assessment import (
    MAX_CITATIONS,
    RiskAssessment,
    Signal,
    cite,
    new_assessment,
    signal_order,
)
from magistrate.rule_match import (
    MEMO_ENTRIES,
    MEMO_KEY_CHARS,
    RE2_CASELESS,
    CompiledRule,
    Context,
    FieldPatterns,
    evidence_before,
    inside_spans,
    only_scratch_destroyed,
    show_invocation,
)

__all__ = ["RuleJudge"]

_Matched = dict[int, tuple[str, str, tuple[int, int] | None]]  # rule → evidence, origin, span
MAX_ASKS = 64  # matches of one `also` pattern read for their clause; past it, asked
# How far before a pattern's end its start may lie (patterns report where they end): an
# address is read this far back, and `also_within`'s fifth before that.
_ADDRESS_CHARS = 160


class RuleJudge:
    """The rules of one constitution, indexed for judging. Thread-safe; one per detector."""

    def __init__(
        self,
        rules: list[CompiledRule],
        fields: FieldPatterns,
        classifier: PathClassifier,
        articles: dict[str, Article],
        *,
        id_kind: list[int],
        id_owner: list[Any],
        id_pattern: list[str],
    ) -> None:
        self._rules = rules
        self._fields = fields
        self.classifier = classifier
        self.articles = articles
        # Pattern id → kind, owner (a rule, or the name of a credential or sensitive-data
        # detector), pattern text: the detector's compiled table.
        self._id_kind = id_kind
        self._id_owner = id_owner
        self._id_pattern = id_pattern
        self._py_patterns: dict[int, Any] = {}  # pattern id → RE2 (or Python) regex for spans
        self._kind_only = [cr for cr in rules if not _has_condition(cr)]
        self._index_shell_rules([cr for cr in rules if cr.shell])
        self._sql_rules = [cr for cr in rules if cr.sql and not cr.shell]
        self._effect_by_op: dict[str, list[CompiledRule]] = {}  # an effect meets only its op's
        for cr in (cr for cr in rules if cr.effect and not (cr.shell or cr.sql)):
            for op in cr.effect.ops:  # type: ignore[union-attr]
                self._effect_by_op.setdefault(op, []).append(cr)
        tool_rules = [cr for cr in rules if cr.tool and not (cr.shell or cr.sql or cr.effect)]
        # Tool rules by the name patterns they need (one of which must match the tool's words).
        self._tool_by_name: dict[int, list[CompiledRule]] = {}
        self._tool_unnamed = [cr for cr in tool_rules if not cr.tool.name]  # type: ignore[union-attr]
        for cr in tool_rules:
            for pid in cr.tool.name:  # type: ignore[union-attr]
                self._tool_by_name.setdefault(pid, []).append(cr)
        self._fact_rules = [
            cr for cr in rules if cr.facts and not (cr.shell or cr.sql or cr.effect or cr.tool)
        ]

    def _index_shell_rules(self, shell_rules: list[CompiledRule]) -> None:
        """Shell rules by command name; rules with globs or no command are checked always."""
        self._shell_by_name: dict[str, list[CompiledRule]] = {}
        self._shell_any: list[CompiledRule] = []
        for cr in shell_rules:
            assert cr.shell is not None
            for name in cr.shell.commands:
                self._shell_by_name.setdefault(name, []).append(cr)
            if cr.shell.prefixes is not None or not cr.shell.commands:
                self._shell_any.append(cr)
        self._shell_for: dict[str, tuple[CompiledRule, ...]] = {}  # by name: both lists

    def judge(self, ctx: Context) -> RiskAssessment:
        """The assessment of an analysed context: every rule that holds, as a signal."""
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
            signals.sort(key=signal_order)
            for s in signals:
                if s.decision is not None and (
                    decision is None or s.decision.strictness > decision.strictness
                ):
                    decision = s.decision
        ethical: list[str] = []
        crisis: list[str] = []
        secrets = supported = own = False
        id_kind = self._id_kind
        for pid in ctx.flagged:  # one pass (most actions have few such hits, often none)
            pkind, h = id_kind[pid], ctx.hits[pid]
            if pkind == SECRET:
                secrets = True
            elif pkind == ETHICAL and h:
                ethical.append(evidence_before(ctx.subjects[h[0][0]].text, h[0][1], 40))
            elif pkind == CRISIS and h:
                crisis.append(evidence_before(ctx.subjects[h[0][0]].text, h[0][1], 60))
            elif pkind == CRISIS_SUPPORT and h:
                supported = True
            elif pkind == CRISIS_SELF and h:
                own = True
        if crisis and supported and not own:  # the help itself (a crisis line's post, a lesson)
            crisis = []
        # A comprehension is a call: none where the tuple is empty. Facts by plain names (orjson).
        facts, sts = ctx.facts, ctx.statements
        return new_assessment(
            signals[0].risk if signals else Risk.LOW,
            tuple(signals),
            FrozenDict({str(k): v for k, v in facts.items()} if facts else ()),
            tuple(ctx.effects),
            tuple(dict.fromkeys([i.name for i in ctx.invocations])) if ctx.invocations else (),
            tuple([f"{s.type}:{s.where}" if s.where else s.type for s in sts]) if sts else (),
            tuple(ethical),
            tuple(crisis),
            decision,
            tuple([cite(s, self.articles) for s in signals[:MAX_CITATIONS]]) if signals else (),
            secrets,
        )

    def _pattern_rules(self, ctx: Context, matched: _Matched) -> None:
        """Rules whose patterns matched, each at its first hit in a view it reads, unless its
        `unless` vetoes it there; the span (a second regex run) only for a rule cited."""
        kind = ctx.action.kind
        id_kind, id_owner = self._id_kind, self._id_owner
        # Rules whose other conditions failed: they do not hold at a rule's other patterns
        # either (a rule with `also` reads the whole action for them, once).
        others_failed: set[int] = set()
        for pid in ctx.flagged:
            if id_kind[pid] != RULE:
                continue
            hits, cr = ctx.hits[pid], id_owner[pid]
            if (
                cr.index in matched
                or cr.index in others_failed
                or (cr.kinds and kind not in cr.kinds)
            ):
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
                else:
                    others_failed.add(cr.index)
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
        if cr.also and not self._also_holds(cr, ctx):
            return False
        if cr.unless_scratch and only_scratch_destroyed(ctx.effects):
            return False
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

    @staticmethod
    def _also_holds(cr: CompiledRule, ctx: Context) -> bool:
        """One of the rule's `also` patterns matches in a part of a view the rule reads,
        outside a clause that forbids it or makes it wait on consent (`analysis/clauses.py`).
        Read only here, where the rule's `patterns` matched: not in the scan's database."""
        views = cr.views
        within = cr.also_within
        if within is not None:  # near where the rule's patterns matched
            # each text's gloss (read word for word in English) is read over the same span
            glosses: dict[str, list[str]] = {}
            for s in ctx.subjects:
                if s.origin.endswith(":gloss"):
                    glosses.setdefault(s.origin, []).append(s.text)
            for pid in cr.pattern_ids:
                for subj_index, end in ctx.hits.get(pid, ()):
                    subj = ctx.subjects[subj_index]
                    if subj.view not in views:
                        continue
                    start = max(0, end - within // 5 - _ADDRESS_CHARS)
                    for text in (subj.text, *glosses.get(f"{subj.origin}:gloss", ())):
                        if any(_asked(regex, text[start : end + within]) for regex in cr.also):
                            return True
            return False
        for subj in ctx.subjects:
            if subj.view in views:
                for regex in cr.also:
                    if _asked(regex, subj.text):
                        return True
        return False


def _asked(regex: Any, text: str) -> bool:
    """Whether `regex` matches `text` somewhere its clause does not rule out (up to MAX_ASKS
    matches; past them, asked: fail closed)."""
    for n, m in enumerate(regex.finditer(text)):
        if n >= MAX_ASKS or not ruled_out(text, m.start()):
            return True
    return False


def _rule_index(cr: CompiledRule) -> int:
    return cr.index


def _has_condition(cr: CompiledRule) -> bool:
    m = cr.rule.match
    return bool(m.patterns or m.shell or m.sql or m.effect or m.tool or m.facts)
