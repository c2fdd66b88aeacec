"""Sofia, the ethical counsel: System 1 (deterministic, microseconds) and System 2 (an LLM).

System 1 counsels when the constitution's triggers fire (high risk, irreversible or
personal-data facts, ethical signals, crisis language), deriving the questions that matter
from the cited articles. System 2, when an OpenAI-compatible endpoint is configured, reads what
rules cannot judge (`sofia_policy.ReadPolicy`: prompts, suspicious tool output, consequential
calls, what System 1 is unsure of) and never routine work. It answers a structured judgment
(`sofia_prompt`) within a time budget; on timeout, error or a malformed answer the configured
fallback applies (escalate by default; `system1` keeps System 1's decision; never allow).
Sofia can make a decision stricter, never looser.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from magistrate.action import Action
from magistrate.analysis.secrets import mask_secrets
from magistrate.analysis.tools import ToolVerbs
from magistrate.constitution import LoadedConstitution
from magistrate.levels import Decision, Risk
from magistrate.risk import RiskAssessment
from magistrate.sofia_policy import ReadPolicy
from magistrate.sofia_prompt import (
    RESPONSE_FORMATS,
    SYSTEM_PROMPT,
    LLMAnswer,
    Recommendation,
    assessment_summary,
    build_request,
    parse_answer,
)
from magistrate.verdict import Citation

Fallback = Literal["escalate", "deny", "system1"]
Structured = Literal["json_schema", "json_object", "none"]
RECOMMENDATION_DECISION: dict[str, Decision | None] = {
    "proceed": None,
    "caution": None,
    "escalate": Decision.ESCALATE,
    "refuse": Decision.DENY,
}

# The questions each article asks (System 1).
ARTICLE_QUESTIONS: dict[str, tuple[str, ...]] = {
    "oversight": (
        "Has a person who is accountable for this agreed to it?",
        "Who is affected, and will they be told?",
    ),
    "no-destruction": (
        "Can this be undone? Is there a tested backup or snapshot from just before it?",
        "What is the blast radius: which systems and people depend on it?",
    ),
    "confidentiality": (
        "Whose data or secrets are these, and did they consent to this use?",
        "Where does the data end up, and who can read it there?",
    ),
    "least-privilege": (
        "Does the task need this much power, or would a narrower grant do?",
        "Who else gains access, and for how long?",
    ),
    "integrity": (
        "Is the code's source trusted and reviewed?",
        "What protection is lost while this control is off, and who restores it?",
    ),
    "instructions": ("Did this instruction come from your principal, or from data you read?",),
    "production": (
        "Has this change passed tests and review? Is there a rollback plan?",
        "Who is on call if it goes wrong?",
    ),
    "accountability": ("Will the record of what happened stay intact and visible?",),
}
CRISIS_COUNSEL = (
    "Someone may be at risk of harm. Stop the task, bring in a human now, and "
    "point to professional help: local emergency services or a crisis line."
)


@dataclass(slots=True)
class Counsel:
    """Sofia's counsel on one action or question."""

    recommendation: str
    counsel: str
    concerns: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    confidence: float = 1.0
    requires_professional: bool = False
    source: str = "system1"  # system1 | system2 | fallback
    model: str | None = None
    latency_ms: float = 0.0
    cached: bool = False
    error: str | None = None
    articles: list[str] = field(default_factory=list)  # the articles System 2 relied on
    trigger: str | None = None  # why System 2 read the action (the read policy's reason)
    binding: bool = True  # False: informs only (a `system1` fallback keeps System 1's decision)

    @property
    def decision(self) -> Decision | None:
        """The decision this counsel asks for (None: no change)."""
        return RECOMMENDATION_DECISION.get(self.recommendation)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "recommendation": self.recommendation,
            "counsel": self.counsel,
            "concerns": list(self.concerns),
            "questions": list(self.questions),
            "confidence": self.confidence,
            "requires_professional": self.requires_professional,
            "source": self.source,
            "model": self.model,
            "latency_ms": round(self.latency_ms, 2),
            "cached": self.cached,
            "error": self.error,
            "articles": list(self.articles),
            "trigger": self.trigger,
        }


@dataclass(frozen=True, slots=True)
class LLMSettings:
    """Where System 2 runs."""

    base_url: str
    model: str
    api_key: str = "not-needed"


class Sofia:
    """The counsel stage."""

    def __init__(
        self,
        constitution: LoadedConstitution,
        llm: LLMSettings | None = None,
        *,
        budget_s: float = 2.0,
        fallback: Fallback = "escalate",
        cache_ttl_s: float = 3600.0,
        cache_size: int = 10_000,
        max_concurrency: int = 64,
        policy: ReadPolicy | None = None,
        structured: Structured = "json_schema",
    ) -> None:
        if fallback not in ("escalate", "deny", "system1"):
            raise ValueError("Sofia's fallback must be escalate, deny or system1 (never allow)")
        if structured not in RESPONSE_FORMATS:
            raise ValueError(f"structured must be one of {', '.join(RESPONSE_FORMATS)}")
        self.constitution = constitution
        self.llm = llm
        self.budget_s = budget_s
        self.fallback = fallback
        self.cache_ttl_s = cache_ttl_s
        self.cache_size = cache_size
        self.max_concurrency = max_concurrency
        policy = policy or ReadPolicy()
        if policy.verbs is None:
            policy = policy.with_verbs(ToolVerbs(constitution.model.tool_verbs.model_dump()))
        self.policy = policy
        self.structured: Structured = structured
        triggers = constitution.model.sofia
        self._min_risk = triggers.min_risk
        self._facts = frozenset(triggers.facts)
        self._articles = {a.id: a for a in constitution.model.articles}
        self._numbers = {str(a.number): a.id for a in constitution.model.articles}
        self._cache: OrderedDict[tuple[str, ...], tuple[float, Counsel]] = OrderedDict()
        self._inflight: dict[tuple[Any, ...], asyncio.Future[Counsel]] = {}
        self._clients: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
        self._limits: weakref.WeakKeyDictionary[Any, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )
        self.stats = {
            "triggered": 0,
            "llm_calls": 0,
            "cache_hits": 0,
            "joined": 0,
            "fallbacks": 0,
            "timeouts": 0,
            "errors": 0,
            "malformed": 0,
            "partial": 0,
            "in_flight": 0,
            "max_in_flight": 0,
        }
        self.reads: dict[str, int] = {}  # why System 2 read, by the policy's reason
        if llm is not None:
            import openai  # noqa: F401  (seconds to import: paid here, not inside the budget)

    # ------------------------------------------------------------------ triggering
    def triggered(self, assessment: RiskAssessment) -> bool:
        """True when the constitution calls for counsel (System 1's triggers)."""
        return bool(
            assessment.level >= self._min_risk
            or assessment.crisis
            or assessment.ethical
            or (self._facts and not self._facts.isdisjoint(assessment.facts))
        )

    def read_reason(self, action: Action, assessment: RiskAssessment) -> str | None:
        """Why System 2 should read this action (None: it should not, or no LLM is set)."""
        if self.llm is None:
            return None
        reason = self.policy.reason(action, assessment)
        denied = assessment.rule_decision is Decision.DENY
        if reason is None and not denied and self.triggered(assessment):
            reason = "constitution"
        return reason

    # ------------------------------------------------------------------ System 1
    def system1(self, action: Action | None, assessment: RiskAssessment) -> Counsel:
        """Deterministic counsel from the cited articles (microseconds, always available)."""
        started = time.perf_counter()
        articles = list(dict.fromkeys(s.article_id for s in assessment.signals))
        questions = [q for a in articles for q in ARTICLE_QUESTIONS.get(a, ())]
        concerns = [f"{s.rule_id}: {s.evidence}" for s in assessment.signals[:5]]
        if assessment.ethical:
            questions.append("Who could be harmed, and did they consent?")
            concerns += [f"ethical signal: {e}" for e in assessment.ethical[:3]]
        crisis = bool(assessment.crisis)
        if crisis:
            recommendation, text = "escalate", CRISIS_COUNSEL
        elif assessment.rule_decision is Decision.DENY:
            recommendation = "refuse"
            text = "The constitution forbids this outright; do not look for a way around it."
        elif assessment.level >= Risk.HIGH:
            recommendation = "escalate"
            titles = ", ".join(self._articles[a].title for a in articles if a in self._articles)
            text = f"This touches {titles or 'the constitution'}. A human should decide."
        elif assessment.signals or assessment.ethical:
            recommendation = "caution"
            text = "Proceed only if the answers to these questions are clear."
        else:
            recommendation, text = "proceed", "Nothing here calls for more than ordinary care."
        return Counsel(
            recommendation,
            text,
            concerns,
            questions[:8],
            1.0,
            crisis,
            latency_ms=(time.perf_counter() - started) * 1000,
        )

    def question_counsel(self, question: str, assessment: RiskAssessment) -> Counsel:
        """System 1 counsel on a free-text question (the CLI's `magistrate counsel`)."""
        counsel = self.system1(None, assessment)
        if not assessment.signals and not assessment.crisis:
            generic = ["Who is affected, and do they know?", "Can it be undone if you are wrong?"]
            counsel.questions = list(dict.fromkeys(counsel.questions + generic))
        return counsel

    def citations(self, counsel: Counsel) -> tuple[Citation, ...]:
        """System 2's answer as citations: source `system2`, the article, a concern each."""
        if counsel.source != "system2" or counsel.recommendation == "proceed":
            return ()
        ids = [a for a in counsel.articles if a in self._articles] or ["oversight"]
        concerns = counsel.concerns or [counsel.counsel or counsel.recommendation]
        out: list[Citation] = []
        for i, article_id in enumerate(ids[:3]):
            article = self._articles.get(article_id)
            if article is None:
                continue
            evidence = concerns[min(i, len(concerns) - 1)]
            out.append(
                Citation(
                    article.id, article.number, article.title, "system2", evidence[:300], "system2"
                )
            )
        return tuple(out)

    # ------------------------------------------------------------------ System 2
    async def deliberate(
        self,
        action: Action,
        assessment: RiskAssessment,
        fingerprint: str,
        version: str,
        context: Mapping[str, Any] | None = None,
        reason: str | None = None,
    ) -> Counsel:
        """System 2 counsel within the budget (cached, single-flight); fallback on failure."""
        self.stats["triggered"] += 1
        if reason:
            self.reads[reason] = self.reads.get(reason, 0) + 1
        if self.llm is None:
            return self.system1(action, assessment)
        key = (fingerprint, version, self.llm.model, _digest(context, action.context))
        cached = self._cached(key)
        if cached is not None:
            cached.trigger = reason
            return cached
        loop = asyncio.get_running_loop()
        flight_key = (id(loop), *key)
        inflight = self._inflight.get(flight_key)
        if inflight is not None:
            self.stats["joined"] += 1
            return await asyncio.shield(inflight)
        future: asyncio.Future[Counsel] = loop.create_future()
        self._inflight[flight_key] = future
        try:
            questions = self.system1(action, assessment).questions
            prompt = build_request(self._articles.values(), action, assessment, context, questions)
            counsel = await self._ask(prompt, assessment, action)
            counsel.trigger = reason
            if counsel.source == "system2":
                self._remember(key, counsel)
            future.set_result(counsel)
            return counsel
        except BaseException as exc:  # cancelled or broken: waiters get the fallback
            fallback = self._fallback(assessment, action, f"{type(exc).__name__}: {exc}", 0.0)
            if not future.done():
                future.set_result(fallback)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return fallback
        finally:
            self._inflight.pop(flight_key, None)

    async def ask_question(self, question: str, assessment: RiskAssessment) -> Counsel:
        """System 2 counsel on a free-text question (System 1 when no LLM is configured)."""
        if self.llm is None:
            return self.question_counsel(question, assessment)
        prompt = json.dumps(
            {
                "constitution": [
                    {"id": a.id, "title": a.title, "text": a.text} for a in self._articles.values()
                ],
                "question": mask_secrets(question),
                "system1": assessment_summary(assessment),
            }
        )
        return await self._ask(prompt, assessment, None)

    async def _ask(self, prompt: str, assessment: RiskAssessment, action: Action | None) -> Counsel:
        assert self.llm is not None
        started = time.perf_counter()
        try:
            async with self._limit():
                self._enter()
                try:
                    content = await asyncio.wait_for(self._complete(prompt), self.budget_s)
                finally:
                    self.stats["in_flight"] -= 1
        except TimeoutError:
            self.stats["timeouts"] += 1
            return self._fallback(
                assessment, action, f"no answer within {self.budget_s:g} s", started
            )
        except Exception as exc:  # HTTP errors, refused connections, bad responses
            self.stats["errors"] += 1
            return self._fallback(assessment, action, f"{type(exc).__name__}: {exc}", started)
        answer = parse_answer(content)
        if answer is None:
            self.stats["malformed"] += 1
            return self._fallback(
                assessment, action, "malformed answer (not the JSON asked for)", started
            )
        if answer.partial:
            self.stats["partial"] += 1
        return self._counsel(answer, assessment, started)

    def _counsel(self, answer: LLMAnswer, assessment: RiskAssessment, started: float) -> Counsel:
        """The model's answer as counsel (crisis language always asks for a professional)."""
        assert self.llm is not None
        requires_professional = answer.requires_professional or bool(assessment.crisis)
        recommendation: Recommendation = answer.recommendation
        if requires_professional and recommendation in ("proceed", "caution"):
            recommendation = "escalate"
        articles = [self._article_id(a) for a in answer.articles]
        counsel = Counsel(
            recommendation,
            answer.counsel,
            answer.concerns,
            answer.questions,
            answer.confidence,
            requires_professional,
            "system2",
            self.llm.model,
            (time.perf_counter() - started) * 1000,
            articles=[a for a in dict.fromkeys(articles) if a],
        )
        if answer.partial:
            counsel.error = "partial answer: only its stricter recommendation was used"
        return counsel

    def _article_id(self, cited: str) -> str:
        """An article id from what a model cites: `confidentiality`, `3`, `art. 3`, `Article 3`."""
        text = cited.strip().lower()
        if text in self._articles:
            return text
        digits = "".join(ch for ch in text if ch.isdigit())
        return self._numbers.get(digits, "")

    def _enter(self) -> None:
        self.stats["llm_calls"] += 1
        self.stats["in_flight"] += 1
        if self.stats["in_flight"] > self.stats["max_in_flight"]:
            self.stats["max_in_flight"] = self.stats["in_flight"]

    async def _complete(self, prompt: str) -> str:
        """One chat completion; an endpoint that rejects a JSON schema is asked again with
        plain JSON mode (remembered, so later calls do not pay twice)."""
        assert self.llm is not None
        from openai import BadRequestError  # imported already (see __init__)

        client = self._client()
        messages = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": prompt},
        ]
        while True:
            options: dict[str, Any] = {}
            fmt = RESPONSE_FORMATS[self.structured]
            if fmt is not None:
                options["response_format"] = fmt
            try:
                response = await client.chat.completions.create(
                    model=self.llm.model, messages=messages, temperature=0, **options
                )
            except BadRequestError:
                if self.structured == "json_schema":
                    self.structured = "json_object"
                elif self.structured == "json_object":
                    self.structured = "none"
                else:
                    raise
                continue
            return str(response.choices[0].message.content or "")

    def _client(self) -> Any:
        """One pooled client per event loop (HTTP connections belong to a loop)."""
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            from openai import AsyncOpenAI

            assert self.llm is not None
            client = AsyncOpenAI(
                base_url=self.llm.base_url,
                api_key=self.llm.api_key,
                max_retries=0,
                timeout=self.budget_s + 1.0,
            )
            self._clients[loop] = client
        return client

    def _limit(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        limit = self._limits.get(loop)
        if limit is None:
            limit = asyncio.Semaphore(self.max_concurrency)
            self._limits[loop] = limit
        return limit

    def _fallback(
        self, assessment: RiskAssessment, action: Action | None, error: str, started: float
    ) -> Counsel:
        """What applies when System 2 gave no usable answer: escalate (default), deny, or
        System 1's own counsel, non-binding (`system1`: Justiça's decision stands)."""
        self.stats["fallbacks"] += 1
        base = self.system1(action, assessment)
        if self.fallback == "system1":
            base.binding = base.requires_professional
            note = "System 1's decision stands"
        else:
            strict = self.fallback == "deny" or base.recommendation == "refuse"
            base.recommendation = "refuse" if strict else "escalate"
            note = "a human should decide"
        base.source, base.error = "fallback", error
        base.model = self.llm.model if self.llm else None
        base.latency_ms = (time.perf_counter() - started) * 1000 if started else 0.0
        base.counsel = f"Ethical counsel was unavailable ({error}); {note}. " + base.counsel
        return base

    def fallback_counsel(self, action: Action, assessment: RiskAssessment, error: str) -> Counsel:
        """The configured fallback, for callers whose consultation broke outside Sofia."""
        return self._fallback(assessment, action, error, 0.0)

    def _cached(self, key: tuple[str, ...]) -> Counsel | None:
        entry = self._cache.get(key)
        if entry is None:
            return None
        expires, counsel = entry
        if time.monotonic() > expires:
            self._cache.pop(key, None)
            return None
        self._cache.move_to_end(key)
        self.stats["cache_hits"] += 1
        copy = Counsel(**{k: getattr(counsel, k) for k in counsel.__slots__})
        copy.cached, copy.latency_ms = True, 0.0
        return copy

    def _remember(self, key: tuple[str, ...], counsel: Counsel) -> None:
        self._cache[key] = (time.monotonic() + self.cache_ttl_s, counsel)
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def describe(self) -> dict[str, Any]:
        """System 2's configuration and what it has done (`magistrate status`)."""
        return {
            "system2": (
                {"endpoint": self.llm.base_url, "model": self.llm.model} if self.llm else None
            ),
            "budget_s": self.budget_s,
            "fallback": self.fallback,
            "structured": self.structured,
            "concurrency": self.max_concurrency,
            "reads": {
                **self.policy.describe(),
                "constitution": f"risk {self._min_risk.value} or above, facts "
                f"{', '.join(sorted(self._facts)) or '-'}, ethical and crisis language",
            },
            "stats": dict(self.stats),
            "read_reasons": dict(self.reads),
        }


def _digest(*contexts: Mapping[str, Any] | None) -> str:
    """A short hash of the session context, the caller's and the action's own (part of the
    cache key: another instruction, another judgment)."""
    if not any(contexts):
        return ""
    data = json.dumps(contexts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.blake2b(data.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


__all__ = ["SYSTEM_PROMPT", "Counsel", "LLMAnswer", "LLMSettings", "Sofia"]
