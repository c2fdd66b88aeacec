"""A circuit breaker for a store: after a failure, calls fail at once for a short while instead
of each waiting out a timeout (no retry storm against a store that is down or frozen).

Closed: calls go through. A failure opens it for `open_s` seconds: calls raise StoreUnavailable
at once. When the time is up, one caller probes the store (the others keep failing fast until
the probe's own window ends); success closes the breaker.
"""

from __future__ import annotations

import time

from magistrate.db.base import StoreUnavailable


class Breaker:
    """Fails calls to a store fast for `open_s` seconds after it failed."""

    __slots__ = ("_until", "last_error", "name", "open_s", "trips")

    def __init__(self, name: str, open_s: float = 2.0) -> None:
        self.name = name
        self.open_s = open_s
        self._until = 0.0  # 0: closed
        self.trips = 0
        self.last_error = ""

    def check(self) -> None:
        """Raise StoreUnavailable while open; when the window ends, let this caller probe."""
        if not self._until:
            return
        now = time.monotonic()
        if now < self._until:
            raise StoreUnavailable(
                f"{self.name} unavailable ({self.last_error}); "
                f"not retried for {self._until - now:.1f} s"
            )
        self._until = now + self.open_s  # this caller probes; the others still fail fast

    def failed(self, exc: BaseException) -> None:
        """Open the breaker after a failure."""
        self.trips += 1
        self.last_error = f"{type(exc).__name__}: {exc}"[:200]
        if self.open_s > 0:
            self._until = time.monotonic() + self.open_s

    def succeeded(self) -> None:
        """Close the breaker (the store answered)."""
        if self._until:
            self._until = 0.0

    @property
    def is_open(self) -> bool:
        """True while calls fail fast."""
        return bool(self._until) and time.monotonic() < self._until
