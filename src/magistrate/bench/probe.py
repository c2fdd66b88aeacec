"""How fast this machine is for what the checking path does, measured beside the figures.

First sight runs a few hundred interpreted steps over data spread through memory (the rules,
the Hyperscan database, the analyzers' tables): the same code measured 51 µs on one 2-core VM and
113 µs on another whose plain Python loop was only a fifth slower. What differed was memory:
on the second, a read that misses the cache cost 150 to 180 ns more. So a report names both
figures, and two runs are compared knowing whether their machines were alike.

Each figure is a chain of dependent reads (the next index depends on the value read), so the
processor cannot overlap them: one in a buffer that fits the cache, one in a buffer far larger
than any cache, at addresses a full-period LCG spreads over it (the value read, zero, is added).
"""

from __future__ import annotations

import time

_SMALL = 1 << 15  # 8-byte words: 256 KiB, inside any L2
_LARGE = 1 << 23  # 64 MiB, beyond a VM's share of L3
_STEPS = 400_000


def _chase(words: int, steps: int) -> float:
    """Nanoseconds per dependent read over a buffer of `words` 8-byte words."""
    # written, not only allocated: pages never written all map the one zero page (cached)
    view = memoryview(bytearray(b"\x00") * (words * 8)).cast("q")
    mask = words - 1
    j = 0
    for _ in range(steps // 4):  # touch the pages first: page faults are not memory latency
        j = (j * 1_664_525 + 12_345 + view[j]) & mask
    start = time.perf_counter_ns()
    for _ in range(steps):
        # a full-period LCG (modulus a power of two, odd increment, multiplier ≡ 1 mod 4); the
        # value read enters the next index, so each read waits for the one before
        j = (j * 1_664_525 + 12_345 + view[j]) & mask
    return (time.perf_counter_ns() - start) / steps


def machine_probe() -> dict[str, float]:
    """`step_ns`: one interpreted step reading cached memory; `miss_ns`: what a read from
    memory adds to it. Lower is faster; about half a second to measure."""
    step = min(_chase(_SMALL, _STEPS) for _ in range(2))
    large = min(_chase(_LARGE, _STEPS) for _ in range(2))
    return {"step_ns": round(step, 1), "miss_ns": round(max(0.0, large - step), 1)}


def describe(probe: dict[str, float]) -> str:
    """The probe in words, for a report's machine line."""
    return f"interpreted step {probe['step_ns']} ns, memory read +{probe['miss_ns']} ns"
