"""Blocking governance work sent from the event loop to worker threads, several calls per hop.

A thread-pool hop per call (queue the call, wake a thread, hand the result back to the loop)
cost a shared-mode check more CPU than judging it: under load the event loop and the judging
threads pass the GIL back and forth for every call. Here calls queue on the loop; a worker
thread (a drain) takes queued calls one after another until none is left and hands results
back in groups. A new drain starts when none runs, or when the queue outgrows what the running
drains take up soon (a slow store: Redis or PostgreSQL far away), up to the pool's size, so
waits on stores still overlap. Each call keeps its own context (contextvars) and its own result
or exception; a caller cancelled while its call runs leaves the call to finish unobserved, as
with `run_in_executor`.

A `Together` call names a function that runs many such calls at once (`together(items)`, one
result per item): a drain runs the queued ones that follow each other in one call — a server's
concurrent checks are judged together, their trust updates settled with Redis in one round
trip (`trust_settlement.check_each`).
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
Done = list[tuple["asyncio.Future[Any]", Any, BaseException | None]]
Entry = tuple["Callable[[], Any] | Together", "asyncio.Future[Any]"]
MAX_TOGETHER = 64  # calls one `together` runs at most


@dataclass(frozen=True, slots=True)
class Together:
    """One item for `together`, which runs many items in one call and returns one result for
    each, in order: an exception among them is raised to that item's caller only (`together`
    itself raises only when none has a result)."""

    together: Callable[[list[Any]], list[Any]]
    item: Any


class Coalescer:
    """Runs calls from one event loop in an executor's threads, coalescing queued calls."""

    def __init__(
        self, executor: Executor, max_drains: int, *, per_drain: int = 4, group: int = 8
    ) -> None:
        if max_drains < 1 or per_drain < 1 or group < 1:
            raise ValueError("max_drains, per_drain and group must be at least 1")
        self.executor = executor
        self.max_drains = max_drains
        self.per_drain = per_drain  # queued calls per running drain before another starts
        self.group = group  # results handed back to the loop together
        # appended on the loop, taken in drains: deque's append and popleft are atomic
        self._queue: collections.deque[Entry] = collections.deque()
        self._running = 0  # drains started and not yet finished (read and written on the loop)
        self.drains_started = 0  # figures for tests and benchmarks

    async def run(self, call: Callable[[], T] | Together) -> T:
        """The result of `call()` (or of `call.together` for its item), run in a worker
        thread (raises what it raises)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.append((call, future))
        if self._wants_drain():
            self._start(loop)
        return await future

    def _wants_drain(self) -> bool:
        """Queued calls and no drain, or more queued than the running drains take up soon."""
        queued, running = len(self._queue), self._running
        return queued > 0 and (
            running == 0 or (running < self.max_drains and queued > running * self.per_drain)
        )

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._running += 1
        try:
            self.executor.submit(self._drain, loop)
        except RuntimeError as exc:  # the executor was shut down: nobody will run the queue
            self._running -= 1
            if self._running == 0:
                self._fail_queued(exc)
            return
        self.drains_started += 1

    def _fail_queued(self, exc: BaseException) -> None:
        while self._queue:
            _, future = self._queue.popleft()
            if not future.done():
                future.set_exception(exc)

    def _drain(self, loop: asyncio.AbstractEventLoop) -> None:
        """In a worker thread: run queued calls until none is left."""
        done: Done = []
        queue = self._queue
        taken: Entry | None = None  # popped after a run of `Together` calls, not yet run
        while True:
            if taken is not None:
                entry, taken = taken, None
            else:
                try:
                    entry = queue.popleft()
                except IndexError:
                    break
            call, future = entry
            if isinstance(call, Together):
                group = [entry]
                while len(group) < MAX_TOGETHER:
                    try:
                        after = queue.popleft()
                    except IndexError:
                        break
                    if isinstance(after[0], Together) and after[0].together == call.together:
                        group.append(after)
                    else:
                        taken = after
                        break
                _run_together(group, done)
            else:
                try:
                    done.append((future, call(), None))
                except BaseException as exc:  # handed to the caller, as run_in_executor does
                    done.append((future, None, exc))
            if len(done) >= self.group:
                loop.call_soon_threadsafe(_settle, done)
                done = []
        loop.call_soon_threadsafe(self._finished, done, loop)

    def _finished(self, done: Done, loop: asyncio.AbstractEventLoop) -> None:
        """On the loop: a drain found the queue empty; start another if calls came since."""
        self._running -= 1
        _settle(done)
        if self._wants_drain():
            self._start(loop)


def _settle(done: Done) -> None:
    for future, value, exc in done:
        if future.done():  # its caller was cancelled
            continue
        if exc is not None:
            future.set_exception(exc)
        else:
            future.set_result(value)


def _run_together(group: list[Entry], done: Done) -> None:
    """Run a group of `Together` calls for one function; each caller gets its own result."""
    first = group[0][0]
    assert isinstance(first, Together)
    try:
        results = first.together([call.item for call, _ in group])  # type: ignore[union-attr]
        pairs = list(zip(group, results, strict=True))
    except BaseException as exc:
        done.extend((future, None, exc) for _, future in group)
        return
    for (_, future), result in pairs:  # an exception as a result is its caller's alone
        if isinstance(result, BaseException):
            done.append((future, None, result))
        else:
            done.append((future, result, None))
