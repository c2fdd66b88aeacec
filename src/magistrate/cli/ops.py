"""Operators' commands: `bench`, `status` (from the stores), `eval` and `replay`."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from magistrate.cli.app import (
    EXIT_ERROR,
    _database,
    _governor,
    _offline_governor,
    _since,
    app,
    err,
    out,
    state,
)


@app.command()
def bench(
    quick: Annotated[bool, typer.Option("--quick", help="Fewer repeats; under a minute.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report", help="Folder for report.md, results.json and PNG plots.", metavar="<dir>"
        ),
    ] = Path("bench-results"),
    only: Annotated[
        str | None,
        typer.Option("--only", help="Comma-separated scenario names.", metavar="<names>"),
    ] = None,
    repeats: Annotated[
        int | None, typer.Option("--repeats", min=1, help="Measured repeats per scenario.")
    ] = None,
    fail_on_miss: Annotated[
        bool, typer.Option("--fail-on-miss", help="Exit 1 when any target is missed.")
    ] = False,
) -> None:
    """Run the seed's twelve benchmark scenarios (and more) on the real pipeline; each target
    is reported PASS or MISS (exit 1 on a MISS with --fail-on-miss)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from magistrate.bench.probe import describe, machine_probe
    from magistrate.bench.report import machine, print_results, to_json, write_report
    from magistrate.bench.scenarios import SCENARIOS, Bench, Config, run_scenario

    names = list(SCENARIOS)
    if only:
        names = [n.strip() for n in only.split(",") if n.strip()]
        unknown = [n for n in names if n not in SCENARIOS]
        if unknown:
            err.print(f"unknown scenario(s): {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
            raise typer.Exit(3)
    results = []
    with (
        Bench(Config(quick=quick, repeats=repeats)) as runner,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=err,
            transient=as_json,
        ) as progress,
    ):
        task = progress.add_task("benchmarks", total=len(names))
        for name in names:
            progress.update(task, description=f"{name:<18}")
            results.append(run_scenario(runner, name))
            progress.advance(task)
    if as_json:
        print(json.dumps(to_json(results), indent=2))
    else:
        print_results(results, out)
    probe = machine_probe()  # after the scenarios: it must not disturb them
    if report is not None:
        written = write_report(results, report, quick, probe)
        err.print("wrote " + ", ".join(str(p) for p in written))
    err.print(f"measured on: {machine()}; {describe(probe)}", markup=False)
    targets = [t for r in results for t in r.targets]
    missed = [t.label for t in targets if not t.passed]
    if targets:
        err.print(
            f"targets: {len(targets) - len(missed)} PASS, {len(missed)} MISS"
            + (f" ({'; '.join(missed)})" if missed else ""),
            markup=False,
        )
    if fail_on_miss and missed:
        raise typer.Exit(1)


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Constitution, mode, stores, and what the stores hold: decisions, approvals, suspensions."""
    from magistrate.ops.status import store_status
    from magistrate.ops.views import print_sofia, print_status

    info = store_status(_governor())
    if as_json:
        out.print_json(json.dumps(info))
        return
    print_status(info, out)
    print_sofia(info.get("sofia"), out)


@app.command("eval")
def evaluate(
    file: Annotated[Path, typer.Argument(help="Labelled JSONL: an action plus expect/expected.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON report on stdout.")] = False,
    show: Annotated[int, typer.Option("--show", min=0, help="Misses to list.")] = 50,
    min_recall: Annotated[
        float | None, typer.Option("--min-recall", help="Exit 1 below this recall.")
    ] = None,
    max_false_block: Annotated[
        float | None, typer.Option("--max-false-block", help="Exit 1 above this false-block.")
    ] = None,
) -> None:
    """Score a labelled corpus: recall, false-block and tier accuracy, overall, per category and
    per kind, with the misses (exit 3 on unreadable lines; 1 when a threshold is not met)."""
    from magistrate.ops import evaluate as ev
    from magistrate.ops.views import print_eval, progress

    try:
        cases, problems = ev.load(file)
    except OSError as exc:
        err.print(f"eval: cannot read {file}: {exc}", markup=False)
        raise typer.Exit(EXIT_ERROR) from None
    governor = _offline_governor()
    with progress(err, transient=as_json) as bar:
        task = bar.add_task("judging", total=len(cases))
        report = ev.evaluate(governor, cases, lambda: bar.advance(task))
    report.problems = problems
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        print_eval(report.to_dict(), out, show)
    if problems:
        for problem in problems[:20]:
            err.print(f"eval: {problem}", markup=False)
        raise typer.Exit(EXIT_ERROR)
    overall = report.overall.to_dict()
    if (min_recall is not None and (overall["recall"] or 0) < min_recall) or (
        max_false_block is not None and (overall["false_block"] or 0) > max_false_block
    ):
        raise typer.Exit(1)


@app.command()
def replay(
    constitution: Annotated[
        Path,
        typer.Option("--constitution", help="The candidate constitution YAML to judge under."),
    ],
    since: Annotated[str | None, typer.Option(help="ISO time or age (30m, 12h, 7d).")] = None,
    until: Annotated[str | None, typer.Option(help="ISO time or age; exclusive.")] = None,
    principal: Annotated[str | None, typer.Option()] = None,
    decision: Annotated[
        str | None, typer.Option(help="Only records recorded as allow, escalate or deny.")
    ] = None,
    risk: Annotated[str | None, typer.Option(help="LOW, MEDIUM, HIGH, CRITICAL")] = None,
    kind: Annotated[str | None, typer.Option(help="shell, sql, tool, …")] = None,
    rule: Annotated[str | None, typer.Option(help="Only records that cited this rule.")] = None,
    chain: Annotated[str | None, typer.Option(help="One chain id.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many records.")] = None,
    examples: Annotated[int, typer.Option("--examples", min=0, help="Examples per rule.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON report on stdout.")] = False,
) -> None:
    """Re-judge recorded traffic under a candidate constitution and show what would change:
    decisions that flip, per rule, with examples (nothing is written; secrets stay masked)."""
    from magistrate.db import AuditFilter
    from magistrate.ops import replay as rp
    from magistrate.ops.views import print_replay, progress

    where = AuditFilter(
        chain_id=chain,
        since=_since(since),
        until=_since(until),
        principal=principal,
        decision=decision,
        risk=risk.upper() if risk else None,
    )
    baseline = _offline_governor()
    candidate = _offline_governor(constitution)
    db = _database()
    state().closers.append(db.close)
    skipped: Counter[str] = Counter()
    total = rp.count(db, where, limit)  # streamed, not held: the bar's total is an upper bound
    records = rp.recorded(db, where, kind=kind, rule=rule, limit=limit, skipped=skipped)
    with progress(err, transient=as_json) as bar:
        task = bar.add_task("replaying", total=total)
        report = rp.replay(baseline, candidate, records, lambda: bar.advance(task))
        bar.update(task, total=report.records, completed=report.records)
    report.skipped = skipped
    data = report.to_dict()
    for change in data["by_rule"]:
        change["examples"] = change["examples"][:examples]
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        print_replay(data, out)
