"""The assessment cache: risk assessments by exact action content and constitution version.

An assessment depends only on the action and the constitution, so it is shared; it is
immutable (`RiskAssessment` is frozen, its facts a `FrozenDict`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from magistrate.risk import RiskAssessment


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
