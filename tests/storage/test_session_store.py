"""The in-process session store: bounded, and equal mark sets held once."""

from __future__ import annotations

from magistrate.sessions import MAX_SHARED_MARKS, MemorySessionStore


def _marks(*names: str) -> frozenset[str]:
    # Built from fresh strings each time, as marks_of builds them on every check.
    return frozenset("".join(list(n)) for n in names)


def test_equal_marks_are_stored_as_one_object() -> None:
    store = MemorySessionStore()
    first, second = _marks("read", "read:secret"), _marks("read", "read:secret")
    assert first == second and first is not second
    store.add("s1", first)
    store.add("s2", second)
    store.add("s1", second)
    held = store.recent("s1", 60) + store.recent("s2", 60)
    assert held == [first, first, first]
    assert all(m is held[0] for m in held)


def test_the_shared_table_is_bounded_and_keeps_what_was_stored() -> None:
    store = MemorySessionStore()
    for i in range(MAX_SHARED_MARKS + 10):
        store.add(f"s{i % 7}", _marks(f"exec@tool{i}.sh"))
    assert len(store._shared) <= MAX_SHARED_MARKS
    # Histories are untouched by the table's restart: the last events are still there.
    assert _marks(f"exec@tool{MAX_SHARED_MARKS + 9}.sh") in store.recent(
        f"s{(MAX_SHARED_MARKS + 9) % 7}", 60
    )


def test_sessions_and_events_stay_bounded() -> None:
    store = MemorySessionStore(max_sessions=3, max_events=2)
    for i in range(5):
        store.add(f"s{i}", _marks("send"))
        store.add(f"s{i}", _marks("read"))
        store.add(f"s{i}", _marks("exec"))
    assert len(store._sessions) == 3
    assert store.recent("s4", 60) == [_marks("read"), _marks("exec")]
    assert store.recent("s0", 60) == []
    store.add("s9", frozenset())  # empty marks are not stored
    assert "s9" not in store._sessions
