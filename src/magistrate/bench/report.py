"""Benchmark output: console tables like the seed's, JSON, a Markdown report against the seed's
published figures, and PNG plots (when matplotlib is installed: `pip install magistrate[bench]`)."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from magistrate.bench.measure import Result
from magistrate.bench.probe import describe
from magistrate.bench.scenarios import SEED

_FIGURES = (
    ("ops", "Operations", "{:,.0f}"),
    ("seconds", "Duration", "{:.3f} s"),
    ("ops_per_s", "Throughput", "{:,.0f} ops/s"),
    ("p50_us", "p50", "{:,.2f} µs"),
    ("p95_us", "p95", "{:,.2f} µs"),
    ("p99_us", "p99", "{:,.2f} µs"),
    ("memory_mb", "Memory (RSS growth)", "{:.2f} MB"),
)


def machine() -> str:
    """A one-line description of where the figures were measured."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, {build()}"
    )


def build() -> str:
    """Which build of the checking path ran: compiled by mypyc (`make compiled`) or not."""
    import magistrate.risk

    compiled = not str(magistrate.risk.__file__).endswith(".py")
    return "checking path compiled (mypyc)" if compiled else "pure Python"


def _fmt(value: Any, fmt: str) -> str:
    return fmt.format(value) if isinstance(value, (int, float)) else str(value)


def console_table(result: Result) -> Table:
    """A table per scenario, in the seed report's shape, with the seed's figure beside ours."""
    fig = result.figures()
    seed = SEED.get(result.name, {})
    table = Table(title=f"{result.title}  [dim]({result.name})[/]", title_justify="left")
    table.add_column("metric")
    table.add_column("Magistrate", justify="right")
    table.add_column("seed (mock)", justify="right")
    for key, label, fmt in _FIGURES:
        if key in fig:
            spread = ""
            if key == "ops_per_s" and "ops_per_s_min" in fig:
                spread = f"  [dim]({fig['ops_per_s_min']:,.0f}–{fig['ops_per_s_max']:,.0f})[/]"
            table.add_row(
                label, _fmt(fig[key], fmt) + spread, _fmt(seed[key], fmt) if key in seed else ""
            )
    shown = {k for k, _, _ in _FIGURES} | {
        "ops_per_s_min",
        "ops_per_s_max",
        "repeats",
        "p50_us_min",
        "p50_us_max",
    }
    for key, value in fig.items():
        if key not in shown:
            text = json.dumps(value) if isinstance(value, dict) else _fmt(value, "{:,.2f}")
            table.add_row(key, text, _fmt(seed[key], "{:,.0f}") if key in seed else "")
    for t in result.targets:
        status = "[green]PASS[/]" if t.passed else "[red]MISS[/]"
        table.add_row(f"target: {t.label}", f"{_fmt(t.value, '{:,.2f}')}  {status}", "")
    if result.note:
        table.caption = result.note
    return table


def print_results(results: list[Result], console: Console) -> None:
    """Every scenario's table, then the targets."""
    for r in results:
        console.print(console_table(r))
    targets = [(r.name, t) for r in results for t in r.targets]
    if targets:
        summary = Table(title="Targets", title_justify="left")
        for col in ("scenario", "target", "measured", "status"):
            summary.add_column(col)
        for name, t in targets:
            summary.add_row(
                name,
                t.label,
                _fmt(t.value, "{:,.2f}"),
                "[green]PASS[/]" if t.passed else "[red]MISS[/]",
            )
        console.print(summary)


def to_json(results: list[Result]) -> dict[str, Any]:
    """One object: scenario name → figures (targets under `targets`)."""
    out: dict[str, Any] = {}
    for r in results:
        fig = r.figures()
        if r.targets:
            fig["targets"] = [t.to_dict() for t in r.targets]
        out[r.name] = fig
    return out


def _ratio(ours: float | None, seed: float | None, higher_is_better: bool) -> str:
    if not ours or not seed:
        return ""
    ratio = ours / seed if higher_is_better else seed / ours
    return f"{ratio:,.0f}×" if ratio >= 10 else f"{ratio:,.1f}×"


def _seed_row(name: str, f: dict[str, Any], seed: dict[str, Any]) -> str:
    """One scenario beside the seed's figures (a table row)."""
    rate = f.get("ops_per_s")
    spread = (
        f" ({f['ops_per_s_min']:,.0f}–{f['ops_per_s_max']:,.0f})" if "ops_per_s_min" in f else ""
    )
    cells = [
        name,
        f"{f.get('ops', ''):,}",
        f"{rate:,.0f}{spread}" if rate else "",
        f"{seed['ops_per_s']:,.0f}" if "ops_per_s" in seed else "",
        _ratio(rate, seed.get("ops_per_s"), True),
        f"{f['p50_us']:,.2f}" if "p50_us" in f else "",
        f"{seed['p50_us']:,.0f}" if "p50_us" in seed else "",
        f"{f['p99_us']:,.2f}" if "p99_us" in f else "",
        f"{seed['p99_us']:,.0f}" if "p99_us" in seed else "",
        _ratio(f.get("p50_us"), seed.get("p50_us"), False),
        f"{f['memory_mb']:.2f}" if "memory_mb" in f else "",
    ]
    return "| " + " | ".join(cells) + " |"


def markdown(results: list[Result], quick: bool, probe: dict[str, float] | None = None) -> str:
    """The Markdown report: side by side with the seed, beyond-seed figures, targets."""
    speed = f" ({describe(probe)})" if probe else ""
    lines = [
        "# Magistrate benchmarks",
        "",
        f"Machine: {machine()}{speed}. Mode: {'--quick' if quick else 'full'}. Figures are medians "
        "over repeats (throughput spread in parentheses); latencies are per operation.",
        "Produced by `magistrate bench" + (" --quick" if quick else "") + "`.",
        "",
        "## The seed's scenarios, on the real pipeline",
        "",
        "The seed timed a mock; we time the real constitution, trust ledger and audit log "
        "(batched SQLite). Ratio: how many times better than the seed (throughput: ours/seed; "
        "latency: seed/ours).",
        "",
        "| scenario | ops | ops/s | seed ops/s | ratio | p50 µs | seed p50 µs | p99 µs | "
        "seed p99 µs | ratio p50 | memory MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    by_name = {r.name: r for r in results}
    for name, seed in SEED.items():
        if name not in by_name:
            continue
        lines.append(_seed_row(name, by_name[name].figures(), seed))
    lines += ["", "## Beyond the seed", "", "| scenario | figures |", "|---|---|"]
    for r in results:
        if r.name in SEED:
            continue
        f = r.figures()
        parts = [
            f"{k} {v:,.2f}" if isinstance(v, float) else f"{k} {v}"
            for k, v in f.items()
            if k not in ("repeats",)
        ]
        lines.append(f"| {r.name} | {'; '.join(parts)} |")
    notes = [(r.name, r.note) for r in results if r.note]
    extras = [(r.name, r.extra) for r in results if r.name in SEED and r.extra]
    if notes or extras:
        lines += ["", "Notes:", ""]
        lines += [f"- `{n}`: {note}" for n, note in notes]
        lines += [f"- `{n}`: " + json.dumps(e) for n, e in extras]
    targets = [(r.name, t) for r in results for t in r.targets]
    if targets:
        lines += [
            "",
            "## Targets",
            "",
            "| scenario | target | measured | status |",
            "|---|---|---:|---|",
        ]
        lines += [
            f"| {n} | {t.label} | {_fmt(t.value, '{:,.2f}')} | {'PASS' if t.passed else 'MISS'} |"
            for n, t in targets
        ]
    return "\n".join(lines) + "\n"


def plots(results: list[Result], out_dir: Path) -> list[Path]:
    """PNG plots: latency distribution with and without governance; throughput versus
    concurrency. Returns the files written (none when matplotlib is missing)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    written = []
    by_name = {r.name: r for r in results}
    pairs = [
        (n, label)
        for n, label in (
            ("baseline", "without governance"),
            ("with_governance", "with governance (MEDIUM)"),
            ("full_path_batched", "Governor.check, audit batched"),
        )
        if n in by_name and by_name[n].best_latencies
    ]
    if pairs:
        fig, ax = plt.subplots(figsize=(8, 4.5))
        for name, label in pairs:
            lat = [x / 1000 for x in by_name[name].best_latencies]
            ax.hist(
                lat,
                bins=[10 ** (i / 20) for i in range(-20, 101)],
                histtype="step",
                label=label,
                linewidth=1.5,
            )
        ax.set_xscale("log")
        ax.set_xlabel("latency per operation (µs, log scale)")
        ax.set_ylabel("operations")
        ax.set_title("Latency distribution")
        ax.axvline(2280, color="grey", linestyle="--", linewidth=1)
        ax.text(2280, ax.get_ylim()[1] * 0.9, " seed p50 (mock)", color="grey")
        ax.legend()
        fig.tight_layout()
        path = out_dir / "latency.png"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        written.append(path)
    sweep = by_name.get("concurrent_1000")
    if sweep is not None and "sweep_ops_per_s" in sweep.extra:
        data = sweep.extra["sweep_ops_per_s"]
        xs = [int(k) for k in data]
        fig, ax = plt.subplots(figsize=(8, 4.5))
        ax.plot(xs, list(data.values()), marker="o", label="Magistrate (real pipeline)")
        ax.plot(
            [50, 1000], [425, 467], marker="s", linestyle="--", color="grey", label="seed (mock)"
        )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("operations in flight")
        ax.set_ylabel("operations per second")
        ax.set_title("Throughput versus concurrency (Maestro, 1,000 operations)")
        ax.legend()
        fig.tight_layout()
        path = out_dir / "throughput_concurrency.png"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        written.append(path)
    return written


def write_report(
    results: list[Result], out_dir: Path, quick: bool, probe: dict[str, float] | None = None
) -> list[Path]:
    """report.md, results.json and the plots under `out_dir` (`probe`: `machine_probe()`)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    images = plots(results, out_dir)
    text = markdown(results, quick, probe)
    if images:
        text += "\n## Plots\n\n" + "".join(f"![{p.stem}]({p.name})\n\n" for p in images)
    (out_dir / "report.md").write_text(text)
    (out_dir / "results.json").write_text(
        json.dumps(
            {
                "machine": machine(),
                "machine_probe": probe,
                "build": build(),
                "quick": quick,
                "scenarios": to_json(results),
            },
            indent=2,
        )
    )
    return [out_dir / "report.md", out_dir / "results.json", *images]
