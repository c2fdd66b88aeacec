"""The `magistrate` command.

Exit status of `magistrate check`: 0 allow, 1 deny, 2 escalate, 3 error (bad input or usage).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from magistrate.action import Action
from magistrate.errors import ConstitutionError, InvalidAction, MagistrateError
from magistrate.levels import Decision

EXIT_ALLOW, EXIT_DENY, EXIT_ESCALATE, EXIT_ERROR = 0, 1, 2, 3
EXIT_FOR = {Decision.ALLOW: EXIT_ALLOW, Decision.DENY: EXIT_DENY, Decision.ESCALATE: EXIT_ESCALATE}
RISK_STYLE = {"LOW": "green", "MEDIUM": "yellow", "HIGH": "dark_orange", "CRITICAL": "bold red"}
DECISION_STYLE = {"allow": "green", "escalate": "yellow", "deny": "bold red"}

app = typer.Typer(
    name="magistrate",
    help="Constitutional governance for AI agents: grade, judge and record actions.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
constitution_app = typer.Typer(help="Validate and show constitutions.", no_args_is_help=True)
app.add_typer(constitution_app, name="constitution")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class _Options:
    constitution: Path | None = None
    mode: str | None = None


_options = _Options()


@app.callback()
def _main(
    constitution: Annotated[
        Path | None,
        typer.Option(
            "--constitution",
            "-c",
            help="Constitution YAML (default: built-in).",
            envvar="MAGISTRATE_CONSTITUTION",
        ),
    ] = None,
    mode: Annotated[
        str | None,
        typer.Option(
            "--mode", help="coercive | normative | adaptive | shadow.", envvar="MAGISTRATE_MODE"
        ),
    ] = None,
) -> None:
    """Constitutional governance for AI agents."""
    _options.constitution = constitution
    _options.mode = mode


_opened: list[Any] = []


def _settings() -> Any:
    from magistrate.config import Settings

    overrides: dict[str, Any] = {}
    if _options.constitution is not None:
        overrides["constitution"] = _options.constitution
    if _options.mode is not None:
        overrides["mode"] = _options.mode
    try:
        return Settings(**overrides)
    except ValueError as exc:
        err.print(f"configuration error: {exc}", markup=False)
        raise typer.Exit(EXIT_ERROR) from None


def _governor(**overrides: Any) -> Any:
    """The governor the settings describe (closed, and its audit flushed, on exit)."""
    from magistrate.governor import Governor

    try:
        governor = Governor.from_settings(_settings(), **overrides)
    except ConstitutionError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(EXIT_ERROR) from None
    except (ValueError, MagistrateError) as exc:
        err.print(f"configuration error: {exc}", markup=False)
        raise typer.Exit(EXIT_ERROR) from None
    _opened.append(governor)
    return governor


# ---------------------------------------------------------------------- check
@app.command()
def check(
    text: Annotated[str | None, typer.Argument(help="The action text ('-' reads stdin).")] = None,
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            "-k",
            help="shell, sql, tool, prompt, tool_output, http, file, deploy or other.",
        ),
    ] = "shell",
    tool: Annotated[str | None, typer.Option("--tool", help="Tool name.")] = None,
    args: Annotated[str | None, typer.Option("--args", help="Tool arguments as JSON.")] = None,
    principal: Annotated[str | None, typer.Option("--principal", "-p")] = None,
    role: Annotated[str | None, typer.Option("--role", "-r")] = None,
    session: Annotated[str | None, typer.Option("--session")] = None,
    target: Annotated[str | None, typer.Option("--target")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
    jsonl: Annotated[
        str | None,
        typer.Option(
            "--jsonl",
            help="Check one JSON action per line of FILE ('-' = stdin); one JSON "
            "verdict per line out.",
        ),
    ] = None,
    carry_trust: Annotated[
        bool,
        typer.Option(
            "--carry-trust",
            help="With --jsonl: let trust and suspensions carry from line to "
            "line (by default each line is judged on its own).",
        ),
    ] = False,
) -> None:
    """Judge one action (exit 0 allow, 1 deny, 2 escalate, 3 error), or a JSONL stream."""
    if jsonl is not None:
        raise typer.Exit(_check_jsonl(jsonl, carry_trust))
    if text is None and tool is None and args is None:
        err.print("check: give the action TEXT, --tool/--args, or --jsonl FILE")
        raise typer.Exit(EXIT_ERROR)
    from magistrate import jsonin

    try:
        if text == "-":  # bytes, decoded here: bad UTF-8 is an error message, not a traceback
            text = sys.stdin.buffer.read().decode("utf-8")
        parsed_args = jsonin.parse(args, "--args") if args else None
    except UnicodeDecodeError as exc:
        err.print(f"stdin: not valid UTF-8 at byte {exc.start}", markup=False)
        raise typer.Exit(EXIT_ERROR) from None
    except InvalidAction as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(EXIT_ERROR) from None
    try:
        action = Action(
            kind=kind,
            text=text or "",
            tool=tool,
            args=parsed_args,
            principal=principal,
            role=role,
            session=session,
            target=target,
        )
    except InvalidAction as exc:
        err.print(f"invalid action: {exc}", markup=False)
        raise typer.Exit(EXIT_ERROR) from None
    verdict = _governor().check(action)
    if as_json:
        out.print_json(json.dumps(verdict.to_dict()))
    else:
        _print_verdict(verdict)
    raise typer.Exit(EXIT_FOR[verdict.decision])


def _print_verdict(verdict: Any) -> None:
    """One line: tier, decision, what decided it; and the approval id of an escalation."""
    risk, decision = verdict.risk.value, verdict.decision.value
    cited = (
        verdict.citations[0].short()
        if verdict.citations
        else (verdict.reasons[0] if verdict.reasons else "")
    )
    out.print(
        f"[{RISK_STYLE[risk]}]{risk:<8}[/]  [{DECISION_STYLE[decision]}]{decision:<8}[/]  ",
        end="",
    )
    out.print(cited, markup=False)
    if verdict.approval_id:
        out.print(
            f"  approval {verdict.approval_id} pending: an approver runs `magistrate "
            f"approvals approve {verdict.approval_id}` with their key",
            markup=False,
        )


def _check_jsonl(source: str, carry_trust: bool) -> int:
    """One verdict line per action line, in order; blank lines are skipped; a line that is not
    a valid action (bad UTF-8, bad JSON, too deep, a huge number) gets a deny with `error`.
    Returns the exit status summarising the run (see `jsonl_exit`)."""
    from magistrate.trust import MemoryTrustLedger

    # Lines judged on their own clear the ledger between lines: never clear a shared (Redis)
    # ledger for that, use a private one.
    governor = _governor() if carry_trust else _governor(trust=MemoryTrustLedger())
    try:
        # bytes, decoded line by line: one line of bad UTF-8 is that line's error, not the run's
        stream = sys.stdin.buffer if source == "-" else open(source, "rb")  # noqa: SIM115
    except OSError as exc:
        err.print(f"--jsonl: cannot read {source}: {exc}", markup=False)
        return EXIT_ERROR
    write = sys.stdout.write
    seen: set[str] = set()
    with stream:
        batch: list[tuple[Action | None, Any, str | None]] = []
        for line in stream:
            if not line.strip():
                continue
            batch.append(_parse_line(line))
            if len(batch) >= 512:
                seen |= _judge_batch(governor, batch, carry_trust, write)
                batch = []
        seen |= _judge_batch(governor, batch, carry_trust, write)
    sys.stdout.flush()
    return jsonl_exit(seen)


def jsonl_exit(outcomes: set[str]) -> int:
    """The exit status of a `--jsonl` run, with the codes of a single `check`, for the worst
    line: 3 if any line was not a valid action, else 1 if any was denied, else 2 if any was
    escalated, else 0 (every line allowed, or none)."""
    for outcome, code in (("error", EXIT_ERROR), ("deny", EXIT_DENY), ("escalate", EXIT_ESCALATE)):
        if outcome in outcomes:
            return code
    return EXIT_ALLOW


def _parse_line(line: bytes) -> tuple[Action | None, Any, str | None]:
    from magistrate import jsonin

    try:
        data = jsonin.parse(line, "line")
    except InvalidAction as exc:
        return None, None, f"invalid line: {exc}"
    action_id = data.get("id") if isinstance(data, dict) else None
    try:
        return Action.from_dict(data), action_id, None
    except InvalidAction as exc:
        return None, _echoable(action_id), f"invalid action: {exc}"


def _echoable(value: Any) -> Any:
    """An invalid line's id, when it can be written back (an integer, or a short string of
    valid Unicode); else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and len(value) <= 256:
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return None
    return None


def _judge_batch(
    governor: Any, batch: list[tuple[Action | None, Any, str | None]], carry_trust: bool, write: Any
) -> set[str]:
    """Write each line's verdict; returns the outcomes seen (decisions, and `error`)."""
    governor.prime([a for a, _, _ in batch if a is not None])  # one scan for the batch
    seen: set[str] = set()
    for action, action_id, problem in batch:
        if action is None:
            line = {
                "id": action_id,
                "decision": "deny",
                "risk": "CRITICAL",
                "citations": [],
                "reasons": [problem],
                "error": problem,
            }
            seen.add("error")
        else:
            if not carry_trust:
                governor.trust.clear()
            line = governor.check(action).to_dict()
            seen.add(line["decision"])
        write(json.dumps(line, ensure_ascii=False) + "\n")
    return seen


# ---------------------------------------------------------------------- demo
@app.command()
def demo(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Run the seed's realistic ten-operation Maestro workflow through real governance."""
    from magistrate.bench.workload import DEMO_WORKFLOW
    from magistrate.maestro import Maestro

    governor = _governor()
    maestro = Maestro(governor)

    async def worker(task: Any) -> str:
        return "done"

    async def run() -> list[tuple[str, str, Any]]:
        results = []
        for name, seed_tier, task in DEMO_WORKFLOW:
            response = await maestro.execute_with_governance(worker, dict(task))
            results.append((name, seed_tier, response))
        return results

    results = asyncio.run(run())
    if as_json:
        out.print_json(
            json.dumps([{"operation": n, "seed_tier": s, **r.to_dict()} for n, s, r in results])
        )
        return
    table = Table(title="Maestro workflow under governance (seed's ten operations)")
    for col in ("operation", "seed tier", "tier", "decision", "ran", "cited", "µs"):
        table.add_column(col)
    for name, seed_tier, r in results:
        v = r.verdict
        table.add_row(
            name,
            seed_tier,
            f"[{RISK_STYLE[v.risk.value]}]{v.risk.value}[/]",
            f"[{DECISION_STYLE[v.decision.value]}]{v.decision.value}[/]",
            "yes" if r.success else "no",
            v.citations[0].short() if v.citations else "-",
            f"{v.timings_ns.get('total', 0) / 1000:.0f}",
        )
    out.print(table)


# ---------------------------------------------------------------------- bench
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

    from magistrate.bench.report import print_results, to_json, write_report
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
    if report is not None:
        written = write_report(results, report, quick)
        err.print("wrote " + ", ".join(str(p) for p in written))
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


# ---------------------------------------------------------------------- status
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


# ---------------------------------------------------------------------- eval, replay
def _offline_governor(constitution: Path | None = None) -> Any:
    """A governor that writes nothing (no audit, no approvals) and keeps trust and sessions in
    its own memory: for evaluating and replaying, which are not traffic."""
    from magistrate.governor import Governor
    from magistrate.sessions import MemorySessionStore
    from magistrate.trust import MemoryTrustLedger

    update: dict[str, Any] = {"audit": False, "redis_url": None}
    if constitution is not None:
        update["constitution"] = constitution
    settings = _settings().model_copy(update=update)
    try:
        governor = Governor.from_settings(
            settings, trust=MemoryTrustLedger(), sessions=MemorySessionStore()
        )
    except ConstitutionError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(EXIT_ERROR) from None
    _opened.append(governor)
    return governor


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
    _closers.append(db.close)
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


# ---------------------------------------------------------------------- constitution
@constitution_app.command("validate")
def constitution_validate(
    file: Annotated[Path, typer.Argument(help="The constitution YAML to check.")],
) -> None:
    """Check a constitution file and run its examples; list every problem (exit 0 when valid,
    3 otherwise)."""
    from magistrate.constitution import load_constitution

    try:
        loaded = load_constitution(file)
    except ConstitutionError as exc:
        for problem in exc.problems:
            err.print(f"error: {problem}", markup=False)
        err.print(f"{len(exc.problems)} problem(s) in {file}", markup=False)
        raise typer.Exit(EXIT_ERROR) from None
    report = _run_examples(loaded)
    m = loaded.model
    if report.failed:
        err.print(f"{report.failed} example(s) failed in {file}", markup=False)
        raise typer.Exit(EXIT_ERROR)
    out.print(
        f"valid: {m.name} — {len(m.articles)} articles, {len(m.rules)} rules, "
        f"{len(m.roles)} roles; version {loaded.version}; {report.passed} examples pass",
        markup=False,
    )


def _run_examples(loaded: Any, show: bool = True) -> Any:
    """Every rule's examples through the real detector; failures printed with their rule id."""
    from magistrate.rulecheck import check_examples

    report = check_examples(loaded)
    for failure in report.failures if show else ():
        err.print(f"FAIL {failure}", markup=False)
    return report


@constitution_app.command("test")
def constitution_test(
    file: Annotated[
        str | None, typer.Argument(help="Constitution: a file or a built-in name (default).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Figures as JSON.")] = False,
) -> None:
    """Run every rule's examples through the engine (exit 0 when all pass, 1 otherwise)."""
    from magistrate.constitution import load_constitution

    ref = file or (str(_options.constitution) if _options.constitution else "default")
    try:
        loaded = load_constitution(ref)
    except ConstitutionError as exc:
        for problem in exc.problems:
            err.print(f"error: {problem}", markup=False)
        raise typer.Exit(EXIT_ERROR) from None
    report = _run_examples(loaded, show=not as_json)
    if as_json:
        out.print(json.dumps(report.to_dict()), markup=False)
    else:
        out.print(
            f"{loaded.name}: {report.rules} rules, {report.with_examples} with examples, "
            f"{report.passed} examples pass, {report.failed} fail; "
            f"{len(report.without)} rules lack a match or no_match example",
            markup=False,
        )
    if report.failed:
        raise typer.Exit(1)


@constitution_app.command("show")
def constitution_show(
    as_json: Annotated[
        bool, typer.Option("--json", help="The whole constitution as JSON.")
    ] = False,
) -> None:
    """Show the articles and rules in force."""
    governor = _governor()
    loaded = governor.constitution
    m = loaded.model
    if as_json:
        out.print_json(
            json.dumps({"version": loaded.version, **m.model_dump(mode="json", by_alias=True)})
        )
        return
    out.print(f"[bold]{m.name}[/]  version {loaded.version}")
    out.print(m.description.strip(), markup=False)
    by_article: dict[str, list[Any]] = {}
    for rule in m.rules:
        by_article.setdefault(rule.article, []).append(rule)
    for seq in m.sequences:
        by_article.setdefault(seq.article, []).append(seq)
    for article in m.articles:
        out.print(f"\n[bold]Art. {article.number} — {article.title}[/] ({article.id})")
        out.print(article.text.strip(), markup=False)
        for rule in by_article.get(article.id, []):
            decision = f" → {rule.decision.value}" if rule.decision else ""
            out.print(
                f"  [{RISK_STYLE[rule.risk.value]}]{rule.risk.value:<8}[/] {rule.id}{decision}: ",
                end="",
            )
            out.print(rule.description, markup=False)
    policy = m.policy
    out.print(
        f"\npolicy: LOW→{policy.LOW.value}, MEDIUM→{policy.MEDIUM.value}, "
        f"HIGH→{policy.HIGH.value}, CRITICAL→{policy.CRITICAL.value}"
    )
    for name, role in m.roles.items():
        out.print(
            f"role {name}: kinds {', '.join(role.kinds)}; max risk {role.max_risk.value}",
            markup=False,
        )


def main() -> None:
    """Entry point: usage errors exit 3 (so that 2 keeps meaning 'escalate')."""
    command = typer.main.get_command(app)
    try:
        try:
            code = command.main(args=sys.argv[1:], prog_name="magistrate", standalone_mode=False)
        finally:
            for governor in _opened:
                governor.close()
            for close in _closers:
                close()
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        err.print("aborted")
        code = 130
    except Exception as exc:
        show = getattr(exc, "show", None)
        if callable(show) and hasattr(exc, "exit_code"):  # a usage error
            show()
            code = EXIT_ERROR
        else:
            raise
    sys.exit(code if isinstance(code, int) else 0)


# ---------------------------------------------------------------------- audit
audit_app = typer.Typer(help="Verify, read and export the audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


def _database() -> Any:
    from magistrate.db import open_database

    settings = _settings()
    try:
        return open_database(settings.database_url)
    except Exception as exc:  # an unreachable or invalid store: a clear message, exit 3
        err.print(f"cannot open {settings.database_url}: {exc}", markup=False)
        raise typer.Exit(EXIT_ERROR) from None


def _since(value: str | None) -> str | None:
    """ISO date/time, or a relative age such as 30m, 12h, 7d, into the stored time format."""
    from magistrate.audit.query import parse_time

    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError as exc:
        err.print(f"--since: {exc}", markup=False)
        raise typer.Exit(EXIT_ERROR) from None


@audit_app.command("verify")
def audit_verify(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Check every chain; exit 0 when all are intact, 1 with the first bad record otherwise."""
    from magistrate.audit import verify
    from magistrate.audit.keyring import (
        anchors_from_settings,
        previous_signers,
        signer_from_settings,
    )

    settings = _settings()
    db = _database()
    try:
        signer = signer_from_settings(settings, create=False)  # verify never creates a key
        signers = ([signer] if signer else []) + previous_signers(settings)
        reports = verify(db, signers, anchors_from_settings(settings, signer))
    finally:
        db.close()
    if as_json:
        out.print_json(json.dumps([{k: getattr(r, k) for k in r.__slots__} for r in reports]))
    else:
        if not reports:
            out.print("no audit records yet")
        for report in reports:
            out.print(str(report), markup=False, style=None if report.ok else "bold red")
    raise typer.Exit(0 if all(r.ok for r in reports) else 1)


@audit_app.command("tail")
def audit_tail(
    n: Annotated[int, typer.Option("-n", "--lines", min=1, help="How many records.")] = 20,
) -> None:
    """The newest records, oldest first, one line each."""
    from magistrate.db import AuditFilter

    db = _database()
    try:
        rows = list(db.audit_rows(AuditFilter(), limit=n, newest_first=True))
    finally:
        db.close()
    for row in reversed(rows):
        body = json.loads(row.body)
        what = body.get("text") or body.get("tool") or body.get("summary") or ""
        if body.get("type") == "approval":
            what = f"{body.get('status')} by {body.get('resolved_by')}: {body.get('summary', '')}"
        style = DECISION_STYLE.get(row.decision, "")
        out.print(
            f"{row.time}  {row.chain_id}:{row.seq:<6} {row.type:<8} "
            f"[{style}]{row.decision:<10}[/] {row.risk:<8} {row.principal:<20} ",
            end="",
        )
        out.print(" ".join(str(what).split())[:100], markup=False)


@audit_app.command("export")
def audit_export(
    fmt: Annotated[str, typer.Option("--format", help="Only jsonl.")] = "jsonl",
    since: Annotated[str | None, typer.Option(help="ISO time or age (30m, 12h, 7d).")] = None,
    principal: Annotated[str | None, typer.Option()] = None,
    decision: Annotated[str | None, typer.Option(help="allow, escalate, deny, ungoverned")] = None,
    risk: Annotated[str | None, typer.Option(help="LOW, MEDIUM, HIGH, CRITICAL")] = None,
    chain: Annotated[str | None, typer.Option(help="One chain id.")] = None,
) -> None:
    """Every matching record as JSON lines on stdout (secrets are masked in the store)."""
    from magistrate.db import AuditFilter

    if fmt != "jsonl":
        err.print(f"--format: only jsonl is supported; got {fmt!r}")
        raise typer.Exit(EXIT_ERROR)
    if risk is not None:
        risk = risk.upper()
    db = _database()
    try:
        rows = db.audit_rows(
            AuditFilter(
                chain_id=chain,
                since=_since(since),
                principal=principal,
                decision=decision,
                risk=risk,
            )
        )
        write = sys.stdout.write
        for row in rows:
            body = json.loads(row.body)
            body["hash"] = row.hash
            write(json.dumps(body, ensure_ascii=False, sort_keys=True) + "\n")
    finally:
        db.close()


# ---------------------------------------------------------------------- approvals
approvals_app = typer.Typer(help="List and resolve approval requests.", no_args_is_help=True)
app.add_typer(approvals_app, name="approvals")


def _approvals() -> Any:
    from magistrate.approvals import Approvals
    from magistrate.audit.keyring import audit_log_from_settings

    settings = _settings()
    db = _database()
    audit = audit_log_from_settings(db, settings, durability="sync")
    _closers.extend([audit.close, db.close])
    # no name-based approvers: whoever resolves proves it with a key (operator_key)
    return Approvals(db, ttl_s=settings.approval_ttl_s, audit=audit)


_closers: list[Any] = []


def _show_request(request: Any) -> None:
    d = request.to_dict()
    out.print(f"[bold]{d['id']}[/]  {d['status']}  risk {d['risk']}  by {d['principal']}")
    out.print(f"  action     {d['summary']}", markup=False)
    for c in d["citations"][:3]:
        out.print(
            f'  cites      art. {c["article_number"]} "{c["article_title"]}" '
            f"({c['rule_id']}): {c['evidence']}",
            markup=False,
        )
    import time as _time

    fmt = "%Y-%m-%d %H:%M:%S UTC"
    out.print(
        f"  requested  {_time.strftime(fmt, _time.gmtime(d['requested_at']))}; expires "
        f"{_time.strftime(fmt, _time.gmtime(d['expires_at']))}"
    )
    if d.get("resolved_by"):
        note = f" — {d['note']}" if d.get("note") else ""
        out.print(f"  resolved   {d['status']} by {d['resolved_by']}{note}", markup=False)


@approvals_app.command("list")
def approvals_list(
    status: Annotated[
        str | None, typer.Option(help="pending, approved, denied, expired or used (default: all).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Approval requests, newest first."""
    requests = _approvals().list(status)
    if as_json:
        out.print_json(json.dumps([r.to_dict() for r in requests]))
        return
    if not requests:
        out.print("no approval requests" + (f" with status {status}" if status else ""))
    for r in requests:
        out.print(f"{r.id}  {r.effective_status:<9} {r.risk:<8} {r.principal:<20} ", end="")
        out.print(r.summary[:90], markup=False)


@approvals_app.command("show")
def approvals_show(
    approval_id: str, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """One approval request in full."""
    from magistrate.approvals import ApprovalError

    try:
        request = _approvals().get(approval_id)
    except ApprovalError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(1) from None
    if as_json:
        out.print_json(json.dumps(request.to_dict()))
    else:
        _show_request(request)


KeyFile = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        help="File holding your approver or admin key (else MAGISTRATE_KEY, else a prompt).",
    ),
]
By = Annotated[
    str | None,
    typer.Option("--by", help="Optional check: must be your key's name (the key says who)."),
]


def _operator(keys: Any, key_file: Path | None, roles: tuple[str, ...], doing: str) -> Any:
    """The operator's key (exit 1 with the reason when there is none or it may not)."""
    from magistrate.operator_key import CredentialError, operator_key

    try:
        return operator_key(keys, key_file, roles, doing)  # type: ignore[arg-type]
    except CredentialError as exc:
        err.print(f"refused: {exc}", markup=False)
        raise typer.Exit(1) from None


def _approver(key_file: Path | None, by: str | None, doing: str) -> Any:
    from magistrate.keys import Keys

    db = _database()
    _closers.append(db.close)
    key = _operator(Keys(db, cache_s=0), key_file, ("approver", "admin"), doing)
    if by is not None and by != key.name:
        err.print(f"refused: --by {by!r} is not the key's name {key.name!r}", markup=False)
        raise typer.Exit(1)
    return key


def _resolve(
    approval_id: str, key_file: Path | None, by: str | None, note: str | None, approve: bool
) -> None:
    from magistrate.approvals import ApprovalError

    key = _approver(key_file, by, "approving" if approve else "denying")
    approvals = _approvals()
    try:
        request = (approvals.approve if approve else approvals.deny)(approval_id, key, note)
    except ApprovalError as exc:
        err.print(f"refused: {exc}", markup=False)
        raise typer.Exit(1) from None
    _show_request(request)


@approvals_app.command("approve")
def approvals_approve(
    approval_id: str,
    key_file: KeyFile = None,
    by: By = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
) -> None:
    """Approve a pending request with your approver or admin key (exit 1 with the reason
    when refused)."""
    _resolve(approval_id, key_file, by, note, approve=True)


@approvals_app.command("deny")
def approvals_deny(
    approval_id: str,
    key_file: KeyFile = None,
    by: By = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
) -> None:
    """Deny a pending request with your approver or admin key (exit 1 with the reason when
    refused)."""
    _resolve(approval_id, key_file, by, note, approve=False)


@approvals_app.command("lift-suspension")
def approvals_lift(
    principal: str,
    key_file: KeyFile = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
) -> None:
    """Lift a principal's suspension with your approver or admin key (recorded in the audit
    log; nobody lifts their own). Trust must live in a shared store (MAGISTRATE_REDIS_URL)."""
    import secrets

    from magistrate.errors import SuspensionError

    key = _approver(key_file, None, "lifting a suspension")
    governor = _governor()
    try:
        name = Action(kind="other", text="-", principal=principal).principal
        governor.lift_suspension(name, key)
    except (InvalidAction, SuspensionError, MagistrateError) as exc:
        err.print(f"refused: {exc}", markup=False)
        raise typer.Exit(1) from None
    if governor.audit is not None:
        governor.audit.record_event(
            "suspension",
            f"lift-{secrets.token_hex(8)}",
            name,
            "allow",
            "LOW",
            {"status": "lifted", "resolved_by": key.name, "note": note},
        )
    out.print(f"lifted the suspension of {name} (by {key.name})", markup=False)


# ---------------------------------------------------------------------- counsel
@app.command()
def counsel(
    question: Annotated[str, typer.Argument(help="The question or planned action.")],
    as_json: Annotated[bool, typer.Option("--json", help="The structured answer.")] = False,
) -> None:
    """Ask Sofia, the ethical counsel (System 2 when an LLM is configured, else System 1)."""
    governor = _governor()
    assessment = governor.detector.assess(Action(kind="prompt", text=question))
    answer = asyncio.run(governor.sofia.ask_question(question, assessment))
    if as_json:
        out.print_json(json.dumps(answer.to_dict()))
        return
    style = {
        "proceed": "green",
        "caution": "yellow",
        "escalate": "dark_orange",
        "refuse": "bold red",
    }.get(answer.recommendation, "")
    source = answer.source + (
        f" ({answer.model}, {answer.latency_ms:.0f} ms)" if answer.source != "system1" else ""
    )
    out.print(f"[{style}]{answer.recommendation}[/]  — Sofia, {source}")
    out.print(answer.counsel, markup=False)
    if answer.requires_professional:
        out.print("[bold]A person may be at risk: involve a human and professional help.[/]")
    for label, items in (("concerns", answer.concerns), ("questions", answer.questions)):
        if items:
            out.print(f"{label}:")
            for item in items:
                out.print(f"  - {item}", markup=False)
    if answer.error:
        err.print(f"System 2 unavailable: {answer.error}", markup=False)


# ---------------------------------------------------------------------- integrations
from magistrate.integrations.commands import register as _register_integrations  # noqa: E402

_register_integrations(app)  # mcp-proxy, hook claude-code

# ---------------------------------------------------------------------- keys
keys_app = typer.Typer(
    help="Create, list and revoke API keys for the server.", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")


def _keys() -> Any:
    from magistrate.keys import Keys

    db = _database()
    _closers.append(db.close)
    return Keys(db, cache_s=0)


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option("--role", help="agent (check only), approver or admin.")],
    name: Annotated[str, typer.Option("--name", help="The principal the key acts as.")],
    may_act_as: Annotated[
        str | None,
        typer.Option(
            "--may-act-as",
            help="Agent keys for gateways: other principals it may name, as a shell pattern "
            "('agent:*').",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help='Print {"name", "role", "key"}.')] = False,
    key_file: Annotated[
        Path | None,
        typer.Option("--key-file", help="File holding your admin key (else MAGISTRATE_KEY)."),
    ] = None,
) -> None:
    """Create a key and print it once (only its hash is stored). Needs an admin key, except
    for the first key of an empty store, which must be an admin key itself."""
    from magistrate.keys import KeysError

    keys = _keys()
    try:
        created = None
        if keys.is_empty():
            if role != "admin":
                err.print(
                    "keys create: the store has no key yet: the first must be an admin key "
                    "(--role admin), which then creates the others",
                    markup=False,
                )
                raise typer.Exit(EXIT_ERROR)
            created = keys.create_first(role, name, may_act_as)
        if created is None:
            _operator(keys, key_file, ("admin",), "creating a key")
            created = keys.create(role, name, may_act_as)
    except KeysError as exc:
        err.print(f"keys create: {exc}", markup=False)
        raise typer.Exit(EXIT_ERROR) from None
    key, token = created
    if as_json:
        sys.stdout.write(json.dumps({"name": key.name, "role": key.role, "key": token}) + "\n")
        return
    acts = f", may act as {key.may_act_as!r}" if key.may_act_as else ""
    out.print(f"created {key.role} key {key.id} for {key.name}{acts}", markup=False)
    out.print(token, markup=False)
    err.print("This is the only time the key is shown: store it now.")


@keys_app.command("list")
def keys_list(
    include_revoked: Annotated[bool, typer.Option("--all", help="Include revoked keys.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Keys (never the secrets): id, name, role, pattern, created, revoked."""
    import time as _time

    keys = _keys().list(include_revoked)
    if as_json:
        out.print_json(json.dumps([k.to_dict() for k in keys]))
        return
    if not keys:
        out.print("no keys")
    for k in keys:
        created = _time.strftime("%Y-%m-%d %H:%M", _time.gmtime(k.created_at))
        revoked = (
            "  revoked " + _time.strftime("%Y-%m-%d %H:%M", _time.gmtime(k.revoked_at))
            if k.revoked_at
            else ""
        )
        acts = f"  acts as {k.may_act_as}" if k.may_act_as else ""
        out.print(f"{k.id}  {k.role:<8} {k.name}{acts}  created {created}{revoked}", markup=False)


@keys_app.command("revoke")
def keys_revoke(
    id_or_name: Annotated[str, typer.Argument(help="A key id, or a name (all its keys).")],
    key_file: Annotated[
        Path | None,
        typer.Option("--key-file", help="File holding your admin key (else MAGISTRATE_KEY)."),
    ] = None,
) -> None:
    """Revoke a key with your admin key (servers stop accepting it within
    MAGISTRATE_KEY_CACHE_S, default 5 s)."""
    from magistrate.keys import KeysError

    keys = _keys()
    _operator(keys, key_file, ("admin",), "revoking a key")
    try:
        revoked = keys.revoke(id_or_name)
    except KeysError as exc:
        err.print(f"keys revoke: {exc}", markup=False)
        raise typer.Exit(1) from None
    out.print(f"revoked {', '.join(revoked)}", markup=False)


# ---------------------------------------------------------------------- serve
@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option("--host", help="Address to bind (MAGISTRATE_HOST, 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", help="Port (MAGISTRATE_PORT, 8080).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Worker processes (MAGISTRATE_WORKERS, 1)."),
    ] = None,
    log_level: Annotated[str, typer.Option("--log-level")] = "info",
) -> None:
    """Run the governance server: HTTP API, approvals dashboard, /metrics, /healthz, /readyz."""
    import os

    settings = _settings()
    host = host or settings.host
    port = port if port is not None else settings.port
    workers = workers or settings.workers
    # Worker processes read their settings from the environment: pass the global options on.
    if _options.constitution is not None:
        os.environ["MAGISTRATE_CONSTITUTION"] = str(_options.constitution)
    if _options.mode is not None:
        os.environ["MAGISTRATE_MODE"] = _options.mode
    if workers > 1 and not settings.redis_url:
        err.print(
            f"warning: {workers} workers without MAGISTRATE_REDIS_URL: each worker keeps its own "
            "trust ledger, suspensions and session history in memory, so a principal suspended "
            "by one worker is not suspended by the others. Set MAGISTRATE_REDIS_URL to share "
            "them (docs/scaling.md).",
            markup=False,
        )
    from magistrate.ops import serving

    code = serving.run(
        settings,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        say=lambda line: out.print(line, markup=False),
    )
    raise typer.Exit(code)
