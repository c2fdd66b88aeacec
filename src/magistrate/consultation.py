"""Batches with Sofia's System 2: every consultation the read policy asks for goes out at once.

One scan assesses the batch; the consultations are started together (Sofia's concurrency cap
bounds how many are in flight); Justiça judges the batch in input order while they are in
flight, so session and trust effects follow the order of the actions; each answer is applied
when it arrives, and the verdicts that waited on one are finished (approvals, audit,
telemetry) last. Anything that fails along the way fails closed, as in `Governor.acheck`.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from magistrate.action import Action
from magistrate.risk import RiskAssessment
from magistrate.sofia import Counsel
from magistrate.verdict import Verdict

if TYPE_CHECKING:
    from magistrate.governor import Governor

T = TypeVar("T")


class SyncBridge:
    """One event loop in a daemon thread, so the synchronous `check` can consult System 2:
    the HTTP client, its connections, single-flight and the concurrency cap live on one loop
    shared by every calling thread, instead of a new loop (and client) per call."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the bridge's loop and wait for its result."""
        loop = self._start()
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("a synchronous check from the consultation loop itself")
        return asyncio.run_coroutine_threadsafe(coro, loop).result()

    def _start(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="magistrate-sofia", daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def close(self) -> None:
        """Stop the loop (a later `run` starts a new one)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
            loop.close()


async def check_many_with_counsel(
    gov: Governor,
    actions: Sequence[Action | Mapping[str, Any]],
    *,
    threaded: bool = False,
    context: Mapping[str, Any] | None = None,
) -> list[Verdict]:
    """Verdicts for a batch, in input order, System 2 consulted concurrently (needs an LLM)."""
    sofia = gov.sofia
    assert sofia is not None and sofia.llm is not None
    t0 = time.perf_counter_ns()
    items = [a if isinstance(a, Action) else Action.from_dict(a) for a in actions]
    gov.prime(items)
    version = gov.constitution.version
    assessed: list[tuple[RiskAssessment, str, bool] | Exception] = []
    tasks: dict[int, asyncio.Future[Counsel]] = {}
    for i, action in enumerate(items):
        try:
            found = gov.assess(action)
            reason = sofia.read_reason(action, found[0])
        except Exception as exc:  # fails closed below, as in `acheck`
            assessed.append(exc)
            continue
        assessed.append(found)
        if reason is not None:
            tasks[i] = asyncio.ensure_future(
                sofia.deliberate(action, found[0], found[1], version, context, reason)
            )
    started = time.perf_counter_ns()
    await asyncio.sleep(0)  # the requests go out; Justiça judges while they are in flight

    def judge() -> list[Verdict]:
        return [
            gov._fail_closed(a, f, t0)
            if isinstance(f, Exception)
            else gov._rule(a, f[0], f[1], f[2], None, t0, t0, finish=i not in tasks)
            for i, (a, f) in enumerate(zip(items, assessed, strict=True))
        ]

    verdicts = await asyncio.to_thread(judge) if threaded else judge()
    waits = []
    for i, task in tasks.items():
        entry = assessed[i]
        assert not isinstance(entry, Exception)
        waits.append(gov._counsel(verdicts[i], task, items[i], entry[0], started))
    await asyncio.gather(*waits)

    def finish() -> None:
        for i in tasks:
            verdicts[i] = gov._after(items[i], verdicts[i])

    if threaded:
        await asyncio.to_thread(finish)
    else:
        finish()
    return verdicts


__all__ = ["SyncBridge", "check_many_with_counsel"]
