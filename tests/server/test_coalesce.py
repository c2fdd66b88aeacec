"""The coalescer: single checks queued on the event loop share hops to worker threads, each call
keeping its own result, exception and context; more drains start only as the queue grows."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from magistrate.server.coalesce import MAX_TOGETHER, Coalescer, Together

WHO: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")


def _call_as(name: str, fn: object) -> object:
    """A call that runs `fn` in a context where WHO is `name` (as the server builds its calls)."""
    ctx = contextvars.copy_context()
    ctx.run(WHO.set, name)
    return lambda: ctx.run(fn)  # type: ignore[arg-type]


def test_each_caller_gets_its_own_result_exception_and_context() -> None:
    def work() -> str:
        who = WHO.get()
        if who.endswith("7"):
            raise ValueError(f"refused {who}")
        return f"{who} in {threading.current_thread().name}"

    async def main() -> list[object]:
        with ThreadPoolExecutor(4, "judge") as pool:
            co = Coalescer(pool, 4)
            calls = [co.run(_call_as(f"agent:{i}", work)) for i in range(40)]  # type: ignore[arg-type]
            return await asyncio.gather(*calls, return_exceptions=True)

    results = asyncio.run(main())
    for i, result in enumerate(results):
        if i % 10 == 7:
            assert isinstance(result, ValueError) and str(result) == f"refused agent:{i}"
        else:
            assert isinstance(result, str) and result.startswith(f"agent:{i} in judge")


def test_queued_calls_share_hops_and_a_slow_queue_gets_more_drains() -> None:
    gate = threading.Event()
    inside: list[int] = []
    lock = threading.Lock()
    busiest = [0]

    def blocked() -> int:
        gate.wait(5)
        return 1

    def slow() -> int:
        with lock:
            inside.append(1)
            busiest[0] = max(busiest[0], len(inside))
        time.sleep(0.01)  # a store far away
        with lock:
            inside.pop()
        return 1

    async def main() -> tuple[int, int, float]:
        with ThreadPoolExecutor(8, "judge") as pool:
            co = Coalescer(pool, 8, per_drain=4)
            first = asyncio.ensure_future(co.run(blocked))  # one drain, held
            await asyncio.sleep(0.05)
            # queued behind it: three fit the running drain, the rest start more drains
            quick = [asyncio.ensure_future(co.run(lambda: 2)) for _ in range(3)]
            await asyncio.sleep(0.05)
            assert co.drains_started == 1 and not any(q.done() for q in quick)
            gate.set()
            assert await first == 1 and await asyncio.gather(*quick) == [2, 2, 2]
            started = co.drains_started
            t = time.perf_counter()
            assert sum(await asyncio.gather(*(co.run(slow) for _ in range(64)))) == 64
            return started, co.drains_started - started, time.perf_counter() - t

    started, more, elapsed = asyncio.run(main())
    assert started == 1  # four calls, one hop
    assert 2 <= more <= 8 and busiest[0] > 1  # a slow queue is drained in parallel…
    assert busiest[0] <= 8  # …by at most the pool's size
    assert elapsed < 64 * 0.01 * 0.75  # faster than one drain alone


def test_a_cancelled_caller_leaves_the_others_answered() -> None:
    gate = threading.Event()

    async def main() -> list[int]:
        with ThreadPoolExecutor(2, "judge") as pool:
            co = Coalescer(pool, 2)
            held = asyncio.ensure_future(co.run(lambda: gate.wait(5) and 0))
            others = [asyncio.ensure_future(co.run(lambda i=i: i)) for i in range(1, 4)]
            await asyncio.sleep(0.05)
            held.cancel()
            gate.set()
            with pytest.raises(asyncio.CancelledError):
                await held
            return await asyncio.gather(*others)

    assert asyncio.run(main()) == [1, 2, 3]


def test_a_shut_down_pool_fails_the_call_instead_of_hanging() -> None:
    async def main() -> None:
        pool = ThreadPoolExecutor(2, "judge")
        pool.shutdown()
        co = Coalescer(pool, 2)
        with pytest.raises(RuntimeError, match="shutdown"):
            await asyncio.wait_for(co.run(lambda: 1), 5)

    asyncio.run(main())


def test_limits_must_be_positive() -> None:
    with ThreadPoolExecutor(1) as pool, pytest.raises(ValueError):
        Coalescer(pool, 0)


def test_together_calls_queued_in_a_row_run_in_one_call_each_caller_its_result() -> None:
    """Calls for one `together` queued behind each other run as one group (up to
    MAX_TOGETHER); a plain call between them still runs, in its place; an exception among a
    group's results goes to its own caller; a group that raises hands its exception to each
    of its callers."""
    gate = threading.Event()
    groups: list[list[object]] = []
    ran: list[str] = []  # the order calls ran in

    def blocked() -> str:
        gate.wait(5)
        return "plain"

    def between() -> str:
        ran.append("between")
        return "between"

    def doubled(items: list[object]) -> list[object]:
        groups.append(list(items))
        ran.append(f"group of {len(items)}")
        if "boom" in items:
            raise RuntimeError("the group failed")
        return [ValueError(f"{item} refused") if item == "a1" else f"{item}x2" for item in items]

    async def main() -> list[object]:
        with ThreadPoolExecutor(1, "judge") as pool:
            co = Coalescer(pool, 1)
            first = asyncio.ensure_future(co.run(blocked))  # holds the only drain
            await asyncio.sleep(0.05)
            calls = [co.run(Together(doubled, f"a{i}")) for i in range(MAX_TOGETHER + 3)]
            calls.append(co.run(between))
            calls += [co.run(Together(doubled, "boom")), co.run(Together(doubled, "b"))]
            futures = [asyncio.ensure_future(c) for c in calls]
            await asyncio.sleep(0.05)
            gate.set()
            return [await first, *await asyncio.gather(*futures, return_exceptions=True)]

    results = asyncio.run(main())
    n = MAX_TOGETHER + 3
    assert results[0] == "plain"
    assert isinstance(results[2], ValueError)  # an exception as a result: its caller's only
    assert results[1:2] + results[3 : n + 1] == [f"a{i}x2" for i in range(n) if i != 1]
    assert results[n + 1] == "between"
    assert all(isinstance(r, RuntimeError) for r in results[n + 2 :])
    assert [len(g) for g in groups] == [MAX_TOGETHER, 3, 2]  # one call per group
    assert ran == [f"group of {MAX_TOGETHER}", "group of 3", "between", "group of 2"]
