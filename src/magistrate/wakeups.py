"""Waking approval waiters: in this process directly, from other processes and servers through
PostgreSQL LISTEN/NOTIFY (the database notifies in the statement that resolves a request)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Protocol

APPROVALS_CHANNEL = "magistrate_approvals"


class Wakeups(Protocol):
    """Wakes the waiters of an approval when it changes, wherever it was changed."""

    def notify(self, approval_id: str) -> None:
        """Wake this process's waiters for the request (thread-safe)."""
        ...

    async def wait(self, approval_id: str, timeout: float) -> bool:
        """Wait at most `timeout` s for a change to the request; True when woken."""
        ...

    def close(self) -> None:
        """Stop listening."""
        ...


class LocalWakeups:
    """Waiters in this process, woken by changes made in this process (and, in subclasses, by
    changes other processes announce)."""

    def __init__(self) -> None:
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}
        self._lock = threading.Lock()

    def notify(self, approval_id: str) -> None:
        """Wake this process's waiters for the request (thread-safe)."""
        with self._lock:
            waiters = list(self._waiters.get(approval_id, ()))
        for loop, event in waiters:
            with contextlib.suppress(RuntimeError):  # that loop has closed: nobody waits there
                loop.call_soon_threadsafe(event.set)

    def notify_all(self) -> None:
        """Wake every waiter (after a listener reconnects, changes may have been missed)."""
        with self._lock:
            ids = list(self._waiters)
        for approval_id in ids:
            self.notify(approval_id)

    async def wait(self, approval_id: str, timeout: float) -> bool:
        """Wait at most `timeout` s for a change to the request; True when woken."""
        event = asyncio.Event()
        entry = (asyncio.get_running_loop(), event)
        with self._lock:
            self._waiters.setdefault(approval_id, set()).add(entry)
        try:
            self._listening()
            try:
                await asyncio.wait_for(event.wait(), timeout)
            except TimeoutError:
                return False
            return True
        finally:
            with self._lock:
                waiters = self._waiters.get(approval_id)
                if waiters is not None:
                    waiters.discard(entry)
                    if not waiters:
                        del self._waiters[approval_id]

    @property
    def waiting(self) -> int:
        """How many waits are in progress."""
        with self._lock:
            return sum(len(w) for w in self._waiters.values())

    def _listening(self) -> None:
        """Hook: make sure changes made elsewhere reach `notify` (subclasses)."""

    def close(self) -> None:
        """Stop listening (nothing to stop here)."""


class PostgresWakeups(LocalWakeups):
    """Also wakes waiters when any process, on any server, resolves a request in the same
    PostgreSQL database: one LISTEN connection per event loop, started by the first wait and
    reconnected after failures (waiters poll meanwhile, so nothing hangs)."""

    def __init__(self, url: str, channel: str = APPROVALS_CHANNEL, retry_s: float = 1.0) -> None:
        super().__init__()
        self.url = url
        self.channel = channel
        self.retry_s = retry_s
        self.connected = threading.Event()  # set while a LISTEN connection is up
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    def _listening(self) -> None:
        loop = asyncio.get_running_loop()
        running = self._task is not None and not self._task.done() and self._loop is loop
        if self._closed or running:
            return
        self._loop = loop
        self._task = loop.create_task(self._listen(), name="magistrate-approvals-listen")

    async def start(self) -> None:
        """Start listening now (a server does this at start-up instead of at the first wait)."""
        self._listening()

    async def _listen(self) -> None:
        import psycopg
        from psycopg import sql

        while not self._closed:
            try:
                conn = await psycopg.AsyncConnection.connect(
                    self.url, autocommit=True, connect_timeout=5
                )
                async with conn:
                    await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
                    self.connected.set()
                    self.notify_all()  # anything resolved while we were not listening
                    async for note in conn.notifies():
                        self.notify(note.payload)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database went away: waiters poll until we are back
                pass
            finally:
                self.connected.clear()
            await asyncio.sleep(self.retry_s)

    async def aclose(self) -> None:
        """Stop listening and wait for the listener to finish."""
        self._closed = True
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def close(self) -> None:
        """Stop listening (from any thread)."""
        self._closed = True
        task, loop = self._task, self._loop
        if task is not None and loop is not None and not task.done():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(task.cancel)
