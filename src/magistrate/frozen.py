"""A dict that refuses change once built, for values shared between callers (the assessment
cache hands one RiskAssessment to every caller of the same action).

It stays a dict so that `json` and `orjson` serialise it as one (a MappingProxyType is refused
by orjson); every method that would change it raises TypeError, as a MappingProxyType does.
"""

from __future__ import annotations

from typing import Any, NoReturn, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class FrozenDict(dict[K, V]):
    """A dict whose items cannot change after construction (mutators raise TypeError)."""

    __slots__ = ()

    def _refuse(self) -> NoReturn:
        raise TypeError(f"{type(self).__name__} is immutable")

    def __setitem__(self, key: K, value: V) -> NoReturn:
        self._refuse()

    def __delitem__(self, key: K) -> NoReturn:
        self._refuse()

    def __ior__(self, other: Any) -> NoReturn:  # type: ignore[misc]
        self._refuse()

    def clear(self) -> NoReturn:
        self._refuse()

    def pop(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._refuse()

    def popitem(self) -> NoReturn:
        self._refuse()

    def setdefault(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._refuse()

    def update(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._refuse()

    def __reduce__(self) -> tuple[Any, ...]:
        # pickle and copy rebuild through the constructor, not item by item
        return (type(self), (dict(self),))


__all__ = ["FrozenDict"]
