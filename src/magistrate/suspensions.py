"""Suspensions that outlive caches: the database records every suspension and lift; the trust
ledger (memory, or Redis shared by servers) is a cache of them.

`DurableTrustLedger` wraps a ledger. A principal is suspended when the ledger says so *or* the
database does: losing Redis's data (a restart without persistence, FLUSHALL) never un-suspends
anyone. Each process keeps the database's suspensions in memory, re-read every
`refresh_s` by a short-lived background thread (never on the decision path), and puts them back
into a Redis that lost them. When the suspensions have never been read (the database was down
since this process started) decisions fail closed; once read, a database outage keeps the last
copy read, plus whatever the ledger itself holds.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

from magistrate.breaker import Breaker
from magistrate.db.base import Database, StoreUnavailable
from magistrate.errors import SuspensionError
from magistrate.levels import Decision, Risk
from magistrate.trust import TrustLedger, TrustPolicy, TrustState
from magistrate.trust_settlement import Settled, Settlement


class DurableTrustLedger:
    """A trust ledger whose suspensions are recorded in the database."""

    def __init__(
        self,
        inner: TrustLedger,
        db: Database,
        *,
        refresh_s: float = 1.0,
        breaker: Breaker | None = None,
    ) -> None:
        self.inner = inner
        self.db = db
        self.refresh_s = refresh_s
        self.breaker = breaker or Breaker("database")
        self._held: dict[str, str] = {}  # principal -> reason, as the database last said
        self._pending: dict[str, str] = {}  # suspensions not yet written (database down)
        self._loaded_at: float | None = None  # monotonic time of the last successful read
        self._refreshing = threading.Lock()
        self._lock = threading.Lock()  # guards _held and _changes
        self._local = threading.local()  # `holding`: this thread's batch holds its updates
        self._load_lock = threading.Lock()  # one read of the database at a time
        # While a read is in flight: this process's suspensions (reason) and lifts (None) made
        # meanwhile, applied over what the read returns (it may predate them).
        self._changes: dict[str, str | None] | None = None
        self.last_error: str | None = None
        self.restored = 0  # suspensions put back into a ledger that had lost them
        self._try_load()

    @property
    def policy(self) -> TrustPolicy:
        """The wrapped ledger's policy."""
        return self.inner.policy

    # ------------------------------------------------------------------ decision path
    def state(self, principal: str) -> TrustState:
        """The principal's state: suspended if the ledger or the database says so."""
        state = self.inner.state(principal)
        loaded = self._loaded_at
        if loaded is None:
            self._load()  # never read yet: read now, or raise (the verdict fails closed)
        elif time.monotonic() - loaded > self.refresh_s:
            self._refresh_soon()
        if not state.suspended:
            reason = self._held.get(principal)
            if reason is not None:
                return TrustState(state.score, state.updated, True, reason)
        return state

    def record(self, principal: str, decision: Decision, risk: Risk) -> tuple[float, float]:
        """Apply a verdict; a suspension it causes is recorded in the database."""
        before, after = self.inner.record(principal, decision, risk)
        if not getattr(self._local, "holding", False):  # else once the batch is settled
            self._note_outcome(principal, decision, risk, after)
        return before, after

    def _note_outcome(self, principal: str, decision: Decision, risk: Risk, after: float) -> None:
        """Record the suspension a verdict caused (trust `after` it), if it caused one."""
        if decision is not Decision.ALLOW and principal not in self._held:
            p = self.inner.policy
            reason = ""
            if decision is Decision.DENY and risk.rank == 3 and p.suspend_on_critical_deny:
                reason = "denied a CRITICAL action"  # the same reasons as trust.apply_outcome
            elif after < p.suspend_below:
                reason = f"trust {after:.2f} fell below {p.suspend_below}"
            if reason:
                self._record_suspension(principal, reason)

    @contextlib.contextmanager
    def holding(self, principals: Iterable[str]) -> Iterator[Settlement | None]:
        """The wrapped ledger's held batch (`trust_settlement`), None when it has none; the
        suspensions its updates cause are recorded once they are settled."""
        holding = getattr(self.inner, "holding", None)
        if holding is None:
            yield None
            return
        with holding(principals) as settlement:
            self._local.holding = True
            try:
                yield _NotedSettlement(self, settlement)
            finally:
                self._local.holding = False

    # ------------------------------------------------------------------ suspending, lifting
    def suspend(self, principal: str, reason: str) -> None:
        """Suspend a principal: in the database (or pending, while it is down) and the ledger."""
        self._record_suspension(principal, reason)
        self.inner.suspend(principal, reason)

    def lift_suspension(self, principal: str, by: str, approvers: frozenset[str]) -> None:
        """Lift a suspension: recorded in the database first (a lift that cannot be recorded
        fails: it would come back), then in the ledger."""
        if by == principal:
            raise SuspensionError(f"{by} cannot lift their own suspension")
        if by not in approvers:
            raise SuspensionError(f"{by} is not an approver")
        self._flush_pending()
        lifted = self.db.suspension_lift(principal, by, time.time())
        try:
            self.inner.lift_suspension(principal, by, approvers)
        except SuspensionError:
            if not lifted:
                raise  # suspended nowhere
            # Only the database held it (the ledger lost it): the lift above is the one that counts.
        self._note(principal, None)

    def clear(self) -> None:
        """Forget every principal's trust (suspensions the database records stay)."""
        self.inner.clear()

    def __getattr__(self, name: str) -> Any:
        # ping(), close(), __len__-like helpers: the wrapped ledger's.
        return getattr(self.inner, name)

    # ------------------------------------------------------------------ the database's copy
    def _note(self, principal: str, reason: str | None) -> None:
        """Change this process's copy: a suspension (reason) or a lift (None)."""
        with self._lock:
            if reason is None:
                self._held.pop(principal, None)
            else:
                self._held[principal] = reason
            if self._changes is not None:
                self._changes[principal] = reason

    def _record_suspension(self, principal: str, reason: str) -> None:
        self._note(principal, reason)  # in force here at once, whatever the database does
        try:
            self.breaker.check()
            self.db.suspension_put(principal, reason, time.time())
            self.breaker.succeeded()
        except StoreUnavailable as exc:
            self.breaker.failed(exc)
            self._pending[principal] = reason  # written by the next refresh that reaches it
            self.last_error = str(exc)

    def _flush_pending(self) -> None:
        for principal, reason in list(self._pending.items()):
            self.db.suspension_put(principal, reason, time.time())
            self._pending.pop(principal, None)

    def _load(self) -> None:
        """Read the database's suspensions (raises StoreUnavailable when it cannot)."""
        self.breaker.check()
        with self._load_lock:
            with self._lock:
                self._changes = {}
            try:
                self._flush_pending()
                active = self.db.suspension_active()
            except StoreUnavailable as exc:
                self.breaker.failed(exc)
                self.last_error = str(exc)
                with self._lock:
                    self._changes = None
                raise
            self.breaker.succeeded()
            held = {principal: reason for principal, reason, _ in active}
            with self._lock:
                held.update(self._pending)
                for principal, reason in self._changes.items():
                    if reason is None:
                        held.pop(principal, None)
                    else:
                        held[principal] = reason
                self._held = held
                self._changes = None
            self._loaded_at = time.monotonic()
        restore = getattr(self.inner, "restore_suspensions", None)
        if restore is not None and active:
            try:  # a Redis that lost its data gets them back (for every server's reads)
                self.restored += restore([(p, r) for p, r, _ in active])
            except StoreUnavailable as exc:
                self.last_error = str(exc)

    def _try_load(self) -> None:
        try:
            self._load()
        except StoreUnavailable:
            pass  # state() retries, failing closed until a read succeeds

    def _refresh_soon(self) -> None:
        if not self._refreshing.acquire(blocking=False):
            return  # one refresh at a time
        self._loaded_at = time.monotonic()  # the next due time, whether this read works or not

        def run() -> None:
            try:
                self._try_load()
            finally:
                self._refreshing.release()

        threading.Thread(target=run, name="magistrate-suspensions", daemon=True).start()


class _NotedSettlement:
    """A held batch whose settled updates record the suspensions they caused."""

    def __init__(self, ledger: DurableTrustLedger, inner: Settlement) -> None:
        self.ledger = ledger
        self.inner = inner

    @property
    def held(self) -> int:
        """How many updates are held so far."""
        return self.inner.held

    def settle(self) -> list[Settled | Exception]:
        """The wrapped settlement's outcomes, suspensions recorded."""
        outcomes = self.inner.settle()
        for outcome in outcomes:
            if isinstance(outcome, Settled):
                p, decision, risk, _, after = outcome
                self.ledger._note_outcome(p, decision, risk, after)
        return outcomes
