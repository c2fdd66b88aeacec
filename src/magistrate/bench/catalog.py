"""The benchmark catalogue: the seed report's published figures and every scenario's title."""

from __future__ import annotations

# The seed report's published figures (its benchmarks timed a mock of the pipeline).
SEED: dict[str, dict[str, float]] = {
    "baseline": {
        "ops": 1000,
        "ops_per_s": 10327,
        "p50_us": 50,
        "p95_us": 60,
        "p99_us": 100,
        "memory_mb": 2.93,
    },
    "with_governance": {
        "ops": 1000,
        "ops_per_s": 439,
        "p50_us": 2280,
        "p95_us": 3240,
        "p99_us": 4830,
        "memory_mb": 16.92,
    },
    "risk_detection": {
        "ops": 10000,
        "ops_per_s": 78719,
        "p50_us": 10,
        "p95_us": 20,
        "p99_us": 20,
        "memory_mb": 0.54,
    },
    "concurrent_50": {
        "ops": 500,
        "ops_per_s": 425,
        "p50_us": 2080,
        "p95_us": 3160,
        "p99_us": 3890,
        "memory_mb": 4.53,
    },
    "mixed_risk": {
        "ops": 1000,
        "ops_per_s": 408,
        "p50_us": 2300,
        "p95_us": 3440,
        "p99_us": 5020,
        "memory_mb": 3.72,
    },
    "concurrent_1000": {
        "ops": 1000,
        "ops_per_s": 467,
        "p50_us": 1970,
        "p95_us": 3090,
        "p99_us": 4120,
        "memory_mb": 3.27,
    },
    "rapid_fire_risk": {
        "ops": 50000,
        "ops_per_s": 83333,
        "p50_us": 10,
        "p95_us": 10,
        "p99_us": 20,
        "memory_mb": 0.88,
    },
    "memory": {"ops": 5000, "memory_mb": 10.0},
    "degradation": {
        "ops": 2000,
        "ops_per_s": 10526,
        "p50_us": 50,
        "p95_us": 60,
        "p99_us": 90,
        "memory_mb": 0.0,
    },
    "comparison": {"ops_per_s": 397, "p50_us": 2520, "without_ops_per_s": 19058, "slowdown": 48.0},
    "realistic": {
        "ops": 100,
        "ops_per_s": 478,
        "p50_us": 1850,
        "p95_us": 2940,
        "p99_us": 3870,
        "memory_mb": 0.0,
    },
}

# name → (title, pytest marker)
SCENARIOS: dict[str, tuple[str, str]] = {
    "baseline": ("Baseline (no governance)", "latency"),
    "with_governance": ("With governance (MEDIUM risk)", "latency"),
    "risk_detection": ("Risk detection (10,000)", "latency"),
    "concurrent_50": ("Concurrent governance (500 ops, 50 in parallel)", "throughput"),
    "mixed_risk": ("Mixed risk levels", "throughput"),
    "concurrent_1000": ("High concurrency (1,000 at once)", "stress"),
    "rapid_fire_risk": ("Rapid-fire risk detection (50,000)", "stress"),
    "memory": ("Memory check (5,000 ops, RSS every 100)", "stress"),
    "degradation": ("Graceful degradation (governance disabled)", "stress"),
    "comparison": ("With versus without governance", "comparison"),
    "realistic": ("Realistic Maestro workflow (10 operations x 10)", "realistic"),
    "full_path_batched": ("Full path, audit batched", "latency"),
    "full_path_sync": ("Full path, audit sync", "latency"),
    "check_many": ("check_many, batches of 1,000, audit batched", "throughput"),
    "soak": ("Memory soak (1,000,000 decisions)", "stress"),
    "tracing": ("Tracing on versus off", "comparison"),
    "full_path_escalations": ("Full path, half escalate or deny, fresh principals", "latency"),
    "sofia_llm": ("Sofia System 2, 200 concurrent, LLM at 50 ms", "throughput"),
}

SEED_SCENARIOS = list(SEED)
