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
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from magistrate.action import Action
from magistrate.approvals import ApprovalError, ApprovalRequest, Approvals
from magistrate.audit.log import AuditLog
from magistrate.constitution import LoadedConstitution, default_constitution, load_constitution
from magistrate.db import open_database
from magistrate.errors import InvalidAction
from magistrate.justica import EnforcementMode, Justica
from magistrate.levels import Decision, Risk
from magistrate.provenance_store import ProvenanceStore
from magistrate.risk import RiskAssessment, RiskDetector
from magistrate.sessions import SessionStore
from magistrate.sofia import Counsel, LLMSettings, Sofia
from magistrate.telemetry import Telemetry
from magistrate.trust import TrustLedger
from magistrate.verdict import Verdict
from magistrate.wakeups import PostgresWakeups

if TYPE_CHECKING:
    from magistrate.config import Settings

_perf = time.perf_counter_ns
_ID_PREFIX = os.urandom(4).hex()
_ID_COUNTER = itertools.count(1)


def new_verdict_id() -> str:
    """A verdict id unique across processes (random prefix, per-process counter)."""
    return f"v{_ID_PREFIX}{next(_ID_COUNTER):010x}"


class AssessmentCache:
    """A bounded LRU of risk assessments keyed by exact action content."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[tuple[Any, ...], tuple[RiskAssessment, str]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[Any, ...]) -> tuple[RiskAssessment, str] | None:
        """The cached (assessment, fingerprint), counting the hit or miss."""
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: tuple[Any, ...], value: tuple[RiskAssessment, str]) -> None:
        """Store an entry, evicting the least recently used beyond the size."""
        if self.size <= 0:
            return
        with self._lock:
            self._data[key] = value
            if len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data


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
        provenance: ProvenanceStore | None = None,
        trusted_values: Iterable[str] = (),
    ) -> None:
        if isinstance(constitution, (str, Path)):
            constitution = load_constitution(constitution)
        if detector is not None:
            constitution = detector.constitution
        self.constitution = constitution or default_constitution()
        self.detector = detector or RiskDetector(self.constitution)
        self.justica = Justica(
            self.constitution, trust, sessions, mode, provenance=provenance, trusted=trusted_values
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
        from magistrate.config import Settings

        s = settings or Settings()
        constitution = (
            load_constitution(s.constitution)
            if s.constitution is not None
            else default_constitution()
        )
        audit: AuditLog | None = None
        approvals: Approvals | None = None
        if s.audit:
            db = open_database(s.database_url, durable=s.audit_durability == "sync")
            audit = AuditLog(
                db, chain_id=s.chain_id, durability=s.audit_durability, spool_dir=s.spool_dir
            )
            wakeups = (
                PostgresWakeups(s.database_url)
                if s.database_url.startswith(("postgresql:", "postgres:"))
                else None
            )
            approvals = Approvals(
                db,
                frozenset(s.approvers),
                ttl_s=s.approval_ttl_s,
                audit=audit,
                wakeups=wakeups,
                poll_s=s.approval_poll_s,
            )
        shared: dict[str, Any] = {}
        if s.redis_url and not {"trust", "sessions"} <= overrides.keys():
            from magistrate.provenance_store import RedisProvenanceStore
            from magistrate.redis_store import RedisSessionStore, RedisTrustLedger, connect

            client = connect(s.redis_url, s.redis_timeout_s)
            shared = {
                "trust": RedisTrustLedger(client, prefix=s.redis_prefix),
                "sessions": RedisSessionStore(client, prefix=s.redis_prefix, ttl_s=s.session_ttl_s),
                "provenance": RedisProvenanceStore(
                    client, prefix=s.redis_prefix, ttl_s=s.session_ttl_s
                ),
            }
        llm = (
            LLMSettings(s.llm_base_url, s.llm_model, s.llm_api_key or "not-needed")
            if s.llm_base_url
            else None
        )
        options: dict[str, Any] = {
            "mode": s.mode,
            "enabled": s.governance,
            "cache_size": s.cache_size,
            "approvers": s.approvers,
            "trusted_values": s.trusted_values,
            "on_error": s.on_error,
            "audit": audit,
            "approvals": approvals,
            "telemetry": Telemetry.from_settings(s),
            "sofia": Sofia(
                constitution,
                llm,
                budget_s=s.sofia_budget_s,
                fallback=s.sofia_fallback,
                cache_ttl_s=s.sofia_cache_ttl_s,
                max_concurrency=s.sofia_concurrency,
            ),
            **shared,
        }
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
        except Exception as exc:  # fail closed: an error is never an allow
            return self._fail_closed(action, exc, t0)
        return self._rule(action, assessment, fingerprint, hit, floor, t0, t1)

    async def acheck(
        self,
        action: Action | Mapping[str, Any],
        *,
        min_risk: Risk | str | None = None,
        threaded: bool = False,
    ) -> Verdict:
        """Async `check`. When Sofia's System 2 (an LLM) is configured and the action calls for
        counsel, it is asked concurrently with Justiça, within its time budget; otherwise this
        returns without suspending. With `threaded`, the parts that touch stores (trust and
        sessions, approvals, a `sync` audit) run in a worker thread, so a server's event loop
        never waits on Redis or the database."""
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
            asking = sofia.triggered(assessment)
        except Exception as exc:
            return self._fail_closed(action, exc, t0)
        if not asking:
            if threaded:
                return await asyncio.to_thread(
                    self._rule, action, assessment, fingerprint, hit, floor, t0, t1
                )
            return self._rule(action, assessment, fingerprint, hit, floor, t0, t1)
        started = _perf()
        task = asyncio.ensure_future(
            sofia.deliberate(action, assessment, fingerprint, self.constitution.version)
        )
        await asyncio.sleep(0)  # let the request go out, then judge while it is in flight
        if threaded:
            verdict = await asyncio.to_thread(
                self._rule, action, assessment, fingerprint, hit, floor, t0, t1, finish=False
            )
        else:
            verdict = self._rule(action, assessment, fingerprint, hit, floor, t0, t1, finish=False)
        if verdict.error is None:
            try:
                counsel = await task
            except Exception as exc:  # deliberate() falls back itself; this is a last resort
                counsel = sofia.system1(action, assessment)
                counsel.recommendation = "refuse" if sofia.fallback == "deny" else "escalate"
                counsel.source, counsel.error = "fallback", f"{type(exc).__name__}: {exc}"
            self._apply_counsel(verdict, counsel, _perf() - started)
        else:
            task.cancel()
        if threaded:
            return await asyncio.to_thread(self._after, action, verdict)
        return self._after(action, verdict)

    def check_many(self, actions: Sequence[Action | Mapping[str, Any]]) -> list[Verdict]:
        """Judge many actions with one scan for all cache misses; verdicts in input order."""
        t0 = _perf()
        items = [a if isinstance(a, Action) else Action.from_dict(a) for a in actions]
        if not self.enabled:
            return [self._ungoverned(a, t0) for a in items]
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
        out: list[Verdict] = []
        for action, result in zip(items, found, strict=True):
            assert result is not None
            out.append(self._rule(action, result[0], result[1], result[2], None, t0, t1))
        return out

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
        """Attach Sofia's counsel; it may make the decision stricter, never looser."""
        verdict.counsel = counsel
        if elapsed_ns:
            verdict.timings_ns["sofia"] = elapsed_ns
        if counsel.requires_professional:
            verdict.reasons = (
                *verdict.reasons,
                "Sofia: a person may be at risk; involve a human and professional help",
            )
        wanted = counsel.decision
        if wanted is None or not binding:
            return
        advisory = verdict.mode == EnforcementMode.NORMATIVE.value and wanted is Decision.ESCALATE
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

    def __enter__(self) -> Governor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def acheck_many(self, actions: Sequence[Action | Mapping[str, Any]]) -> list[Verdict]:
        """Async `check_many`."""
        return self.check_many(actions)

    # ------------------------------------------------------------------ administration
    def lift_suspension(self, principal: str, by: str) -> None:
        """Lift a principal's suspension; `by` must be a configured approver, not the principal."""
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
                "trust": type(self.trust).__name__,
                "sessions": type(self.justica.sessions).__name__,
                "assessment_cache": f"memory LRU ({len(self.cache)}/{self.cache.size})",
            },
            "counts": dict(self.counts),
            "cache": {"hits": self.cache.hits, "misses": self.cache.misses},
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
