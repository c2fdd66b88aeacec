"""The Governor: the decision path from an action to a verdict.

validate → risk (cached by exact content + constitution version) → Justiça → verdict.
Any error inside governance yields a fail-closed verdict (deny, or escalate if configured);
invalid input raises `InvalidAction`. The synchronous path does no logging, no
`asyncio.gather` and no pattern compilation.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mypy_extensions import mypyc_attr

from magistrate.action import Action
from magistrate.approvals import ApprovalError, ApprovalRequest, Approvals, key_approver
from magistrate.assessment_cache import AssessmentCache
from magistrate.audit.log import AuditLog
from magistrate.constitution import LoadedConstitution, default_constitution, load_constitution
from magistrate.consultation import SyncBridge, check_many_with_counsel
from magistrate.errors import InvalidAction
from magistrate.justica import EnforcementMode, Justica
from magistrate.keys import ApiKey
from magistrate.levels import Decision, Risk
from magistrate.provenance_store import ProvenanceStore
from magistrate.risk import RiskAssessment, RiskDetector
from magistrate.roles import RoleBinding
from magistrate.sessions import SessionStore
from magistrate.sofia import Counsel, Sofia
from magistrate.telemetry import Telemetry
from magistrate.trust import TrustLedger
from magistrate.trust_settlement import held_updates, judge_settled
from magistrate.verdict import Verdict
from magistrate.wiring import governor_parts

if TYPE_CHECKING:
    from magistrate.config import Settings

_perf = time.perf_counter_ns
_ID_PREFIX = os.urandom(4).hex()
_ID_COUNTER = itertools.count(1)


def new_verdict_id() -> str:
    """A verdict id unique across processes (random prefix, per-process counter)."""
    return f"v{_ID_PREFIX}{next(_ID_COUNTER):010x}"


@mypyc_attr(allow_interpreted_subclasses=True)  # a public class: subclassed to extend
class Governor:
    """Constitutional governance for one process: check actions, get verdicts."""

    def __init__(
        self,
        constitution: LoadedConstitution | str | Path | None = None,
        *,
        detector: RiskDetector | None = None,
        trust: TrustLedger | None = None,
        sessions: SessionStore | None = None,
        mode: EnforcementMode | str = EnforcementMode.COERCIVE,
        enabled: bool = True,
        cache_size: int = 65_536,
        approvers: Iterable[str] = (),
        on_error: Decision | str = Decision.DENY,
        audit: AuditLog | None = None,
        approvals: Approvals | None = None,
        telemetry: Telemetry | None = None,
        sofia: Sofia | None = None,
        principal_roles: Mapping[str, str] | None = None,
        default_role: str | None = None,
        provenance: ProvenanceStore | None = None,
        trusted_values: Iterable[str] = (),
    ) -> None:
        if isinstance(constitution, (str, Path)):
            constitution = load_constitution(constitution)
        if detector is not None:
            constitution = detector.constitution
        self.constitution = constitution or default_constitution()
        self.detector = detector or RiskDetector(self.constitution)
        binding = RoleBinding(self.constitution.model.roles, principal_roles, default_role)
        self.justica = Justica(
            self.constitution,
            trust,
            sessions,
            mode,
            role_binding=binding,
            provenance=provenance,
            trusted=trusted_values,
        )
        self.enabled = enabled
        self.approvers = frozenset(approvers)
        self.on_error = Decision.parse(on_error)
        if self.on_error is Decision.ALLOW:
            raise ValueError("on_error must be deny or escalate: governance fails closed")
        self.cache = AssessmentCache(cache_size)
        self.counts: dict[str, int] = {"allow": 0, "escalate": 0, "deny": 0, "errors": 0}
        self.audit = audit
        self.approvals = approvals
        if approvals is not None and not self.approvers:
            self.approvers = approvals.approvers
        self.sofia = sofia if sofia is not None else Sofia(self.constitution)
        self._bridge = SyncBridge()  # sync `check` consults System 2 on its loop
        self.telemetry = telemetry
        if telemetry is not None:
            telemetry.bind(self)

    @classmethod
    def default(cls, **options: Any) -> Governor:
        """The built-in constitution with embedded stores: memory for trust, the audit log and
        approvals in SQLite under ./.magistrate/ (unless configured otherwise)."""
        return cls.from_settings(**options)

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **overrides: Any) -> Governor:
        """A governor configured from `MAGISTRATE_*`, `magistrate.toml` and defaults: with
        `redis_url`, trust, suspensions and sessions live in Redis (shared by every server);
        with a PostgreSQL `database_url`, approval waiters wake on LISTEN/NOTIFY."""
        constitution, options = governor_parts(settings, overrides.keys())
        options.update(overrides)
        return cls(constitution, **options)

    # ------------------------------------------------------------------ properties
    @property
    def version(self) -> str:
        """The constitution version verdicts are bound to."""
        return self.constitution.version

    @property
    def trust(self) -> TrustLedger:
        """The trust ledger."""
        return self.justica.trust

    @property
    def mode(self) -> EnforcementMode:
        """The enforcement mode."""
        return self.justica.mode

    # ------------------------------------------------------------------ checking
    def assess(self, action: Action) -> tuple[RiskAssessment, str, bool]:
        """(assessment, fingerprint, cache hit) for an action."""
        key = (self.constitution.version, *action.content_key)
        entry = self.cache.get(key)
        if entry is not None:
            return entry[0], entry[1], True
        assessment = self.detector.assess(action)
        fingerprint = action.fingerprint
        self.cache.put(key, (assessment, fingerprint))
        return assessment, fingerprint, False

    def check(
        self, action: Action | Mapping[str, Any], *, min_risk: Risk | str | None = None
    ) -> Verdict:
        """Judge one action. Raises InvalidAction for bad input; never raises otherwise."""
        t0 = _perf()
        if not isinstance(action, Action):
            action = Action.from_dict(action)
        if not self.enabled:
            return self._ungoverned(action, t0)
        t1 = _perf()
        try:
            floor = Risk.parse(min_risk) if min_risk is not None else None
            assessment, fingerprint, hit = self.assess(action)
            sofia = self.sofia
            if (  # System 2 configured, and it reads this action
                sofia is not None
                and sofia.llm is not None
                and sofia.read_reason(action, assessment) is not None
            ):
                return self._bridge.run(self.acheck(action, min_risk=floor))
        except Exception as exc:  # fail closed: an error is never an allow
            return self._fail_closed(action, exc, t0)
        return self._rule(action, assessment, fingerprint, hit, floor, t0, t1)

    async def acheck(
        self,
        action: Action | Mapping[str, Any],
        *,
        min_risk: Risk | str | None = None,
        threaded: bool = False,
        context: Mapping[str, Any] | None = None,
    ) -> Verdict:
        """Async `check`. When Sofia's System 2 (an LLM) is configured and its read policy
        picks the action, the model is asked concurrently with Justiça, within its time budget;
        otherwise this returns without suspending. `context` is the session as the caller knows
        it (the principal's instruction, provenance marks), shown to the model as trusted. With
        `threaded`, the parts that touch stores (trust and sessions, approvals, a `sync` audit)
        run in a worker thread, so a server's event loop never waits on Redis or the database."""
        sofia = self.sofia
        if sofia is None or sofia.llm is None or not self.enabled:
            if threaded:
                return await asyncio.to_thread(self.check, action, min_risk=min_risk)
            return self.check(action, min_risk=min_risk)
        t0 = _perf()
        if not isinstance(action, Action):
            action = Action.from_dict(action)
        t1 = _perf()
        try:
            floor = Risk.parse(min_risk) if min_risk is not None else None
            assessment, fingerprint, hit = self.assess(action)
            reason = sofia.read_reason(action, assessment)
        except Exception as exc:
            return self._fail_closed(action, exc, t0)
        if reason is None:
            if threaded:
                return await asyncio.to_thread(
                    self._rule, action, assessment, fingerprint, hit, floor, t0, t1
                )
            return self._rule(action, assessment, fingerprint, hit, floor, t0, t1)
        if context is None:  # the session as provenance knows it, shown to the model
            context = await self._provenance_marks(action, threaded)
        started = _perf()
        task = asyncio.ensure_future(
            sofia.deliberate(
                action, assessment, fingerprint, self.constitution.version, context, reason
            )
        )
        await asyncio.sleep(0)  # let the request go out, then judge while it is in flight
        if threaded:
            verdict = await asyncio.to_thread(
                self._rule, action, assessment, fingerprint, hit, floor, t0, t1, finish=False
            )
        else:
            verdict = self._rule(action, assessment, fingerprint, hit, floor, t0, t1, finish=False)
        await self._counsel(verdict, task, action, assessment, started)
        if threaded:
            return await asyncio.to_thread(self._after, action, verdict)
        return self._after(action, verdict)

    async def _counsel(
        self,
        verdict: Verdict,
        task: asyncio.Future[Counsel],
        action: Action,
        assessment: RiskAssessment,
        started: int,
    ) -> None:
        """Wait for System 2 and apply its counsel (a verdict that failed closed needs none)."""
        if verdict.error is not None:
            task.cancel()
            return
        try:
            counsel = await task
        except Exception as exc:  # deliberate() falls back itself; this is a last resort
            assert self.sofia is not None
            counsel = self.sofia.fallback_counsel(
                action, assessment, f"{type(exc).__name__}: {exc}"
            )
        self._apply_counsel(verdict, counsel, _perf() - started, binding=counsel.binding)

    def check_many(self, actions: Sequence[Action | Mapping[str, Any]]) -> list[Verdict]:
        """Judge many actions with one scan for all cache misses; verdicts in input order."""
        t0 = _perf()
        items = [a if isinstance(a, Action) else Action.from_dict(a) for a in actions]
        if not self.enabled:
            return [self._ungoverned(a, t0) for a in items]
        if self.sofia is not None and self.sofia.llm is not None:  # System 2 reads some
            try:
                return self._bridge.run(self.acheck_many(items))
            except Exception as exc:
                return [self._fail_closed(a, exc, t0) for a in items]
        t1 = _perf()
        version = self.constitution.version
        try:
            found: list[tuple[RiskAssessment, str, bool] | None] = []
            missing: dict[tuple[Any, ...], list[int]] = {}
            for i, action in enumerate(items):
                key = (version, *action.content_key)
                entry = self.cache.get(key)
                if entry is not None:
                    found.append((entry[0], entry[1], True))
                else:
                    found.append(None)
                    missing.setdefault(key, []).append(i)
            if missing:
                firsts = [items[positions[0]] for positions in missing.values()]
                fresh = self.detector.assess_many(firsts)
                for (key, positions), action, assessment in zip(
                    missing.items(), firsts, fresh, strict=True
                ):
                    fingerprint = action.fingerprint
                    self.cache.put(key, (assessment, fingerprint))
                    for i in positions:
                        found[i] = (assessment, fingerprint, False)
        except Exception as exc:
            return [self._fail_closed(a, exc, t0) for a in items]
        assessed = [result for result in found if result is not None]
        with held_updates(self.trust, [a.principal for a in items]) as settlement:
            if settlement is not None:  # a shared ledger: one round trip for the updates
                settled = judge_settled(self, items, assessed, t0, t1, settlement)
                verdicts = [v for v in settled if not isinstance(v, Exception)]
                if len(verdicts) < len(settled):  # as one check after another would raise
                    raise next(v for v in settled if isinstance(v, Exception))
                return verdicts
        return [
            self._rule(action, result[0], result[1], result[2], None, t0, t1)
            for action, result in zip(items, assessed, strict=True)
        ]

    def prime(self, actions: Sequence[Action]) -> None:
        """Assess the uncached actions with one scan and cache them (no verdicts, no trust)."""
        version = self.constitution.version
        missing: dict[tuple[Any, ...], Action] = {}
        for action in actions:
            key = (version, *action.content_key)
            if key not in missing and key not in self.cache:
                missing[key] = action
        if not missing:
            return
        try:
            fresh = self.detector.assess_many(list(missing.values()))
        except Exception:
            return  # each check will assess (and fail closed) on its own
        for (key, action), assessment in zip(missing.items(), fresh, strict=True):
            self.cache.put(key, (assessment, action.fingerprint))

    def _rule(
        self,
        action: Action,
        assessment: RiskAssessment,
        fingerprint: str,
        hit: bool,
        floor: Risk | None,
        t0: int,
        t1: int,
        *,
        finish: bool = True,
    ) -> Verdict:
        """Justiça's part and the verdict; fail-closed on error. With `finish`, also System 1
        counsel, approvals, audit and telemetry."""
        t2 = _perf()
        try:
            ruling = self.justica.judge(action, assessment, floor)
        except Exception as exc:
            return self._fail_closed(action, exc, t0)
        t3 = _perf()
        verdict = Verdict(
            decision=ruling.decision,
            risk=ruling.risk,
            citations=ruling.citations,
            reasons=ruling.reasons,
            principal=action.principal,
            fingerprint=fingerprint,
            constitution_version=self.constitution.version,
            trust_before=ruling.trust_before,
            trust_after=ruling.trust_after,
            mode=self.justica.mode.value,
            verdict_id=new_verdict_id(),
            action_id=action.id,
            would_decision=ruling.would_decision,
            cache_hit=hit,
            contains_secrets=assessment.secrets,
            timings_ns={"validate": t1 - t0, "risk": t2 - t1, "justica": t3 - t2, "total": t3 - t0},
        )
        if not finish:
            return verdict
        return self._finish(action, assessment, verdict)

    def _finish(self, action: Action, assessment: RiskAssessment, verdict: Verdict) -> Verdict:
        """System 1 counsel, approvals, audit and telemetry for a judged verdict."""
        sofia = self.sofia
        if sofia is not None and sofia.triggered(assessment):
            t = _perf()
            counsel = sofia.system1(action, assessment)
            # System 1 reads the same signals Justiça weighed: it informs, and decides only
            # when a person may be at risk.
            self._apply_counsel(verdict, counsel, 0, binding=counsel.requires_professional)
            verdict.timings_ns["sofia"] = _perf() - t
        return self._after(action, verdict)

    def _apply_counsel(
        self, verdict: Verdict, counsel: Counsel, elapsed_ns: int, *, binding: bool = True
    ) -> None:
        """Attach Sofia's counsel; it may make the decision stricter, never looser. System 2's
        answer is cited like a rule (source `system2`, the article, the model's concern)."""
        verdict.counsel = counsel
        cited = self.sofia.citations(counsel) if self.sofia is not None else ()
        if elapsed_ns:
            verdict.timings_ns["sofia"] = elapsed_ns
        if counsel.requires_professional:
            verdict.reasons = (
                *verdict.reasons,
                "Sofia: a person may be at risk; involve a human and professional help",
            )
        wanted = counsel.decision
        advisory = verdict.mode == EnforcementMode.NORMATIVE.value and wanted is Decision.ESCALATE
        deciding = (
            binding
            and wanted is not None
            and not advisory
            and verdict.mode != EnforcementMode.SHADOW.value
            and wanted.strictness > verdict.decision.strictness
        )
        if cited:  # the model's reasons first when they decide, after the rules' otherwise
            verdict.citations = (
                (*cited, *verdict.citations) if deciding else (*verdict.citations, *cited)
            )
        if wanted is None or not binding:
            return
        if verdict.mode == EnforcementMode.SHADOW.value or advisory:
            current = verdict.would_decision or verdict.decision
            if wanted.strictness > current.strictness:
                verdict.would_decision = wanted
            return
        if wanted.strictness > verdict.decision.strictness:
            verdict.decision = wanted
            note = f"Sofia ({counsel.source}): {counsel.recommendation}"
            if counsel.error:
                note += f" — {counsel.error}"
            verdict.reasons = (*verdict.reasons, note)

    def _after(self, action: Action, verdict: Verdict) -> Verdict:
        """Approvals for escalations, the audit record, telemetry; fail closed on errors."""
        if verdict.decision is Decision.ESCALATE and self.approvals is not None:
            t = _perf()
            try:
                request, granted = self.approvals.settle(action, verdict)
                verdict.approval_id = request.id
                if granted:
                    verdict.decision = Decision.ALLOW
                    verdict.reasons = (
                        *verdict.reasons,
                        f"approved by {request.resolved_by} ({request.id})",
                    )
            except Exception as exc:  # no way to ask a human: deny rather than wait forever
                verdict.decision = Decision.DENY
                verdict.error = f"approval store error: {type(exc).__name__}: {exc}"
                verdict.reasons = (*verdict.reasons, verdict.error, "failed closed: deny")
            verdict.timings_ns["approval"] = _perf() - t
        self.counts[verdict.decision] += 1
        if self.audit is not None:
            t = _perf()
            self.audit.record(action, verdict)
            verdict.timings_ns["audit"] = _perf() - t
        if self.telemetry is not None:
            self.telemetry.observe(action, verdict)
        return verdict

    async def wait_for_approval(self, approval_id: str, timeout: float) -> ApprovalRequest:
        """Wait until a human resolves the request (or it expires), at most `timeout` s."""
        if self.approvals is None:
            raise ApprovalError("approvals need a database (database_url)")
        return await self.approvals.wait(approval_id, timeout)

    def close(self) -> None:
        """Flush the audit log and close the stores."""
        if self.audit is not None:
            self.audit.close()
            self.audit.db.close()
        if self.approvals is not None:
            self.approvals.wakeups.close()
        for store in (self.justica.trust, self.justica.sessions, self.justica.provenance.store):
            close = getattr(store, "close", None)
            if callable(close):
                close()
        if self.telemetry is not None:
            self.telemetry.close()
        self._bridge.close()

    def __enter__(self) -> Governor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def _provenance_marks(self, action: Action, threaded: bool) -> dict[str, Any] | None:
        """Provenance marks for Sofia's request (a store read: in a thread when `threaded`);
        None when there are none or the store fails (Justiça still judges provenance)."""
        marks = self.justica.provenance.marks
        try:
            found = await asyncio.to_thread(marks, action) if threaded else marks(action)
        except Exception:
            return None
        return {"provenance": found} if found else None

    async def acheck_many(
        self,
        actions: Sequence[Action | Mapping[str, Any]],
        *,
        threaded: bool = False,
        context: Mapping[str, Any] | None = None,
    ) -> list[Verdict]:
        """Async `check_many`: one scan for the batch, Justiça in input order, and every
        consultation System 2's policy asks for sent at once (under Sofia's concurrency cap)."""
        sofia = self.sofia
        if sofia is None or sofia.llm is None or not self.enabled:
            if threaded:
                return await asyncio.to_thread(self.check_many, actions)
            return self.check_many(actions)
        return await check_many_with_counsel(self, actions, threaded=threaded, context=context)

    # ------------------------------------------------------------------ administration
    def lift_suspension(self, principal: str, by: ApiKey | str) -> None:
        """Lift a principal's suspension as the holder of approver or admin key `by` (or, in
        process, a name this application listed in `approvers`); never the principal itself."""
        if isinstance(by, ApiKey):
            name = key_approver(by)  # ApprovalError when the key may not
            self.trust.lift_suspension(principal, name, frozenset({name}))
        else:
            self.trust.lift_suspension(principal, by, self.approvers)

    def status(self) -> dict[str, Any]:
        """Name, version, mode, stores and counts."""
        model = self.constitution.model
        return {
            "constitution": {
                "name": model.name,
                "version": self.constitution.version,
                "source": self.constitution.source,
                "articles": len(model.articles),
                "rules": len(model.rules),
                "sequence_rules": len(model.sequences),
                "roles": sorted(model.roles),
            },
            "mode": self.justica.mode.value,
            "enabled": self.enabled,
            "on_error": self.on_error.value,
            "stores": {
                "audit": (
                    f"{self.audit.db.url} (chain {self.audit.chain_id}, {self.audit.durability})"
                )
                if self.audit
                else "off",
                "approvals": self.approvals.db.url if self.approvals else "off",
                "trust": type(getattr(self.trust, "inner", self.trust)).__name__,
                # DurableTrustLedger: suspensions recorded in the database, the ledger caches
                "suspensions": "database" if hasattr(self.trust, "inner") else "trust ledger",
                "sessions": type(self.justica.sessions).__name__,
                "assessment_cache": f"memory LRU ({len(self.cache)}/{self.cache.size})",
            },
            "counts": dict(self.counts),
            "cache": {"hits": self.cache.hits, "misses": self.cache.misses},
            "sofia": self.sofia.describe() if self.sofia is not None else None,
        }

    # ------------------------------------------------------------------ special verdicts
    def _ungoverned(self, action: Action, t0: int) -> Verdict:
        return self._after(
            action,
            Verdict(
                decision=Decision.ALLOW,
                risk=Risk.LOW,
                citations=(),
                reasons=("governance disabled: action not judged (ungoverned)",),
                principal=action.principal,
                fingerprint=action.fingerprint,
                constitution_version=self.constitution.version,
                trust_before=0.0,
                trust_after=0.0,
                mode="disabled",
                verdict_id=new_verdict_id(),
                action_id=action.id,
                ungoverned=True,
                timings_ns={"total": _perf() - t0},
            ),
        )

    def _fail_closed(self, action: Action, exc: BaseException, t0: int) -> Verdict:
        self.counts["errors"] += 1
        message = f"governance error: {type(exc).__name__}: {exc}"
        try:
            fingerprint = action.fingerprint
        except Exception:
            fingerprint = ""
        return self._after(
            action,
            Verdict(
                decision=self.on_error,
                risk=Risk.CRITICAL,
                citations=(),
                reasons=(message, f"failed closed: {self.on_error.value}"),
                principal=action.principal,
                fingerprint=fingerprint,
                constitution_version=self.constitution.version,
                trust_before=0.0,
                trust_after=0.0,
                mode=self.justica.mode.value,
                verdict_id=new_verdict_id(),
                action_id=action.id,
                error=message,
                timings_ns={"total": _perf() - t0},
            ),
        )


__all__ = ["AssessmentCache", "Governor", "InvalidAction", "new_verdict_id"]
