"""Justiça, the judge: a risk assessment plus the principal's standing becomes a decision.

The assessment says how dangerous an action is; Justiça adds what must not be cached: the
principal's trust and suspension, the role's scope, the session's recent actions and the
enforcement mode.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from mypy_extensions import mypyc_attr

from magistrate.action import Action
from magistrate.analysis.tools import ArgumentRoles
from magistrate.constitution import LoadedConstitution
from magistrate.levels import Decision, Risk, stricter
from magistrate.provenance import Provenance
from magistrate.provenance_store import ProvenanceStore
from magistrate.risk import RiskAssessment, Signal
from magistrate.risk.assessment import MAX_CITATIONS, cite
from magistrate.roles import RoleBinding
from magistrate.sessions import MemorySessionStore, SessionStore, marks_of, same_target
from magistrate.trust import MemoryTrustLedger, TrustLedger
from magistrate.verdict import Citation

SECRET_REDACTED = "secret-redacted"
REDACTED = Signal(
    SECRET_REDACTED,
    "confidentiality",
    Risk.MEDIUM,
    None,
    "credentials in this result are redacted before the agent sees it",
)


class EnforcementMode(StrEnum):
    """How decisions are enforced."""

    COERCIVE = "coercive"  # the constitution's decisions, as written
    NORMATIVE = "normative"  # only outright denials block; escalations are advice (allowed)
    ADAPTIVE = "adaptive"  # coercive, and stricter as the principal's trust falls
    SHADOW = "shadow"  # decide and report, but allow everything

    @classmethod
    def parse(cls, value: str | EnforcementMode) -> EnforcementMode:
        """Accept a mode or its name."""
        if isinstance(value, EnforcementMode):
            return value
        try:
            return cls(str(value).lower())
        except ValueError:
            names = ", ".join(m.value for m in cls)
            raise ValueError(
                f"unknown enforcement mode {value!r}; expected one of {names}"
            ) from None


@dataclass(frozen=True, slots=True)
class Judgement:
    """Justiça's ruling on one action."""

    decision: Decision
    risk: Risk
    citations: tuple[Citation, ...]
    reasons: tuple[str, ...]
    trust_before: float
    trust_after: float
    would_decision: Decision | None = None


@mypyc_attr(allow_interpreted_subclasses=True)  # a public class: subclassed to extend
class Justica:
    """The constitutional judge."""

    def __init__(
        self,
        constitution: LoadedConstitution,
        trust: TrustLedger | None = None,
        sessions: SessionStore | None = None,
        mode: EnforcementMode | str = EnforcementMode.COERCIVE,
        adaptive_escalate_below: float = 0.6,
        adaptive_deny_below: float = 0.4,
        role_binding: RoleBinding | None = None,
        provenance: ProvenanceStore | None = None,
        trusted: Iterable[str] = (),
    ) -> None:
        self.constitution = constitution
        self.trust = trust if trust is not None else MemoryTrustLedger()
        self.sessions = sessions if sessions is not None else MemorySessionStore()
        self.mode = EnforcementMode.parse(mode)
        self.adaptive_escalate_below = adaptive_escalate_below
        self.adaptive_deny_below = adaptive_deny_below
        model = constitution.model
        self._policy = model.policy
        self._articles = {a.id: a for a in model.articles}
        self._roles = model.roles
        # the role that binds each principal (configured); an action's own `role` only narrows
        self.role_binding = role_binding or RoleBinding(model.roles)
        self._sequences = model.sequences
        self._max_window = max((s.within_s for s in self._sequences), default=0.0)
        self.provenance = Provenance(
            ArgumentRoles(model.tool_arguments.model_dump()),
            provenance,
            trusted_domains=model.organization.domains,
            trusted_values=trusted,
            principal_window_s=self._max_window or 1_800.0,
        )

    def cite(self, signal: Signal) -> Citation:
        """The citation for a matched rule."""
        return cite(signal, self._articles)

    def _citations(self, assessment: RiskAssessment, extra: list[Signal]) -> tuple[Citation, ...]:
        if not extra:
            return assessment.citations
        return (
            tuple(self.cite(s) for s in extra) + assessment.citations[: MAX_CITATIONS - len(extra)]
        )

    def judge(
        self, action: Action, assessment: RiskAssessment, min_risk: Risk | None = None
    ) -> Judgement:
        """Rule on an action whose risk has been assessed."""
        principal = action.principal
        risk = assessment.level
        signals = assessment.signals
        extra = self._redaction(action, assessment)  # signals of this judgement only
        reasons: list[str] = []
        if min_risk is not None and min_risk > risk:
            reasons.append(f"caller raised the tier from {risk} to {min_risk}")
            risk = min_risk
        decision = self._policy.decision_for(risk)
        binding = assessment.rule_decision  # decided by a rule, not only by the tier
        if binding is not None:
            decision = stricter(decision, binding)

        if action.session:
            for seq_signal in self._session_signals(action, assessment, decision):
                extra.append(seq_signal)
                if seq_signal.risk > risk:
                    risk = seq_signal.risk
                decision = stricter(decision, self._policy.decision_for(seq_signal.risk))
                if seq_signal.decision is not None:
                    decision = stricter(decision, seq_signal.decision)
                    binding = stricter(binding or seq_signal.decision, seq_signal.decision)
                reasons.append(f"session {action.session}: {seq_signal.evidence}")

        if signals or extra:
            top = extra[0] if extra else signals[0]
            reasons.insert(0, f"{risk}: {top.rule_id} — {top.evidence}")

        state = self.trust.state(principal)
        forced = False  # denied for who is asking, not what is asked
        if state.suspended:
            decision, forced = Decision.DENY, True
            reasons.append(f"principal {principal} is suspended: {state.reason}")
        role_problem = self._role_problem(action, risk)
        if role_problem is not None:
            decision, forced = Decision.DENY, True
            reasons.append(role_problem)

        if self.mode is EnforcementMode.ADAPTIVE and not forced:
            if state.score < self.adaptive_deny_below and decision is Decision.ESCALATE:
                decision = Decision.DENY
                reasons.append(
                    f"adaptive: trust {state.score:.2f} < "
                    f"{self.adaptive_deny_below}, escalation becomes denial"
                )
            elif (
                state.score < self.adaptive_escalate_below
                and decision is Decision.ALLOW
                and risk >= Risk.MEDIUM
            ):
                decision = Decision.ESCALATE
                reasons.append(
                    f"adaptive: trust {state.score:.2f} < "
                    f"{self.adaptive_escalate_below}, {risk} needs approval"
                )

        judged = decision
        would: Decision | None = None
        if self.mode is EnforcementMode.SHADOW and decision is not Decision.ALLOW:
            would, decision = decision, Decision.ALLOW
            reasons.append(f"shadow mode: would {would}")
        elif (
            self.mode is EnforcementMode.NORMATIVE
            and decision is Decision.ESCALATE
            and not forced
            and binding is not Decision.ESCALATE
        ):
            would, decision = decision, Decision.ALLOW
            reasons.append("normative mode: escalation is advisory")
        elif not reasons:
            reasons.append("no rule matched")
        before, after = self.trust.record(principal, judged, risk)
        if role_problem is not None and not signals:
            extra.append(Signal("role-scope", "least-privilege", risk, Decision.DENY, role_problem))
        citations = self._citations(assessment, extra)
        return Judgement(decision, risk, citations, tuple(reasons), before, after, would)

    def _role_problem(self, action: Action, risk: Risk) -> str | None:
        names, problem = self.role_binding.effective(action.principal, action.role)
        if problem is not None:
            return problem
        for name in names:  # the bound role, then a claimed one: each limit applies
            role = self._roles[name]
            if action.kind not in role.kinds:
                return f"role {name} may not perform {action.kind} actions"
            if action.tool is not None and role.tools != ["*"]:
                tool = action.tool.lower()
                if not any(fnmatch.fnmatchcase(tool, pattern.lower()) for pattern in role.tools):
                    return f"role {name} may not use tool {action.tool!r}"
            if risk > role.max_risk:
                return f"role {name} is limited to {role.max_risk} actions; this one is {risk}"
        return None

    @staticmethod
    def _redaction(action: Action, assessment: RiskAssessment) -> list[Signal]:
        """Credentials in a tool's result: the integrations mask them before the agent reads
        it, and the verdict (so the audit record) says so."""
        return [REDACTED] if action.kind == "tool_output" and assessment.secrets else []

    def _session_signals(
        self, action: Action, assessment: RiskAssessment, decision: Decision
    ) -> list[Signal]:
        """Provenance's signals, then the sequence rules' (which know whether provenance or
        the rules already hold the action)."""
        found = self.provenance.observe(action, assessment)
        if self._sequences:
            alone = decision
            for signal in found:
                if signal.decision is not None:
                    alone = stricter(alone, signal.decision)
            found += self._sequence_signals(action, assessment, alone)
        return found

    def _sequence_signals(
        self, action: Action, assessment: RiskAssessment, alone: Decision
    ) -> list[Signal]:
        """Sequence rules over the session's history, and over the principal's history in its
        other sessions (a new session id does not reset what the principal did). The other
        sessions count for an action already held on its own (`alone` is not allow): reading
        a secret in one session and posting to a paste site in another is denied, while an
        ordinary send in a later session is not refused for what an earlier one read."""
        marks = marks_of(assessment.effects, assessment.facts)
        out: list[Signal] = []
        assert action.session is not None
        keys = (action.session, f"\x1fprincipal:{action.principal}")  # no session id spells it
        if marks:
            fetched: dict[tuple[str, float], list[frozenset[str]]] = {}  # one read per window

            def recent(key: str, within_s: float) -> list[frozenset[str]]:
                if (key, within_s) not in fetched:
                    fetched[key, within_s] = self.sessions.recent(key, within_s)
                return fetched[key, within_s]

            for seq in self._sequences:
                if not marks.intersection(seq.then):
                    continue
                where = "in the session"
                earlier = recent(keys[0], seq.within_s)
                hit = next((m for m in earlier if _fires(m, seq, marks)), None)
                if hit is None and alone is not Decision.ALLOW:
                    earlier = recent(keys[1], seq.within_s)
                    hit = next((m for m in earlier if _fires(m, seq, marks)), None)
                    where = f"in another session of {action.principal}"
                if hit is not None:
                    first = sorted(hit.intersection(seq.first))[0]
                    then = sorted(marks.intersection(seq.then))[0]
                    out.append(
                        Signal(
                            seq.id,
                            seq.article,
                            seq.risk,
                            seq.decision,
                            f"{first} earlier {where}, now {then}",
                        )
                    )
            for key in keys:
                self.sessions.add(key, marks)
        return out


def _fires(earlier: frozenset[str], seq: Any, marks: frozenset[str]) -> bool:
    """Whether an earlier action's marks start a sequence rule that this action's marks end
    (with `same_target`, on a file both touched)."""
    return bool(earlier.intersection(seq.first)) and (
        not seq.same_target or same_target(earlier, seq.first, marks, seq.then)
    )
