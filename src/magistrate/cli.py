"""The `magistrate` command.

Exit status of `magistrate check`: 0 allow, 1 deny, 2 escalate, 3 error (bad input or usage).
"""

from __future__ import annotations

import asyncio
import json
import sys
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
    if text == "-":
        text = sys.stdin.read()
    try:
        parsed_args = json.loads(args) if args else None
    except json.JSONDecodeError as exc:
        err.print(f"--args: not valid JSON: {exc}", markup=False)
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
    raise typer.Exit(EXIT_FOR[verdict.decision])


def _check_jsonl(source: str, carry_trust: bool) -> int:
    """One verdict line per input line, in order; malformed lines get a deny with an error."""
    from magistrate.trust import MemoryTrustLedger

    # Lines judged on their own clear the ledger between lines: never clear a shared (Redis)
    # ledger for that, use a private one.
    governor = _governor() if carry_trust else _governor(trust=MemoryTrustLedger())
    try:
        stream = sys.stdin if source == "-" else open(source, encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        err.print(f"--jsonl: cannot read {source}: {exc}", markup=False)
        return EXIT_ERROR
    write = sys.stdout.write
    with stream:
        batch: list[tuple[Action | None, Any, str | None]] = []
        for line in stream:
            if not line.strip():
                continue
            batch.append(_parse_line(line))
            if len(batch) >= 512:
                _judge_batch(governor, batch, carry_trust, write)
                batch = []
        _judge_batch(governor, batch, carry_trust, write)
    sys.stdout.flush()
    return EXIT_ALLOW


def _parse_line(line: str) -> tuple[Action | None, Any, str | None]:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, None, f"malformed JSON: {exc}"
    action_id = data.get("id") if isinstance(data, dict) else None
    try:
        return Action.from_dict(data), action_id, None
    except InvalidAction as exc:
        return None, action_id, f"invalid action: {exc}"


def _judge_batch(
    governor: Any, batch: list[tuple[Action | None, Any, str | None]], carry_trust: bool, write: Any
) -> None:
    governor.prime([a for a, _, _ in batch if a is not None])  # one scan for the batch
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
        else:
            if not carry_trust:
                governor.trust.clear()
            line = governor.check(action).to_dict()
        write(json.dumps(line, ensure_ascii=False) + "\n")


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
) -> None:
    """Run the seed's twelve benchmark scenarios (and more) on the real pipeline."""
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


# ---------------------------------------------------------------------- status
@app.command()
def status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Constitution, mode, stores and counts (the seed's `maestro agent governance`)."""
    info = _governor().status()
    if as_json:
        out.print_json(json.dumps(info))
        return
    c = info["constitution"]
    out.print(f"constitution  {c['name']} (version {c['version']})", markup=False)
    out.print(f"source        {c['source']}", markup=False)
    out.print(
        f"articles      {c['articles']}   rules {c['rules']}   sequence rules "
        f"{c['sequence_rules']}   roles {', '.join(c['roles'])}",
        markup=False,
    )
    out.print(
        f"mode          {info['mode']}   governance "
        f"{'on' if info['enabled'] else 'OFF (ungoverned)'}   on error {info['on_error']}"
    )
    for store, kind in info["stores"].items():
        out.print(f"{store:<13} {kind}", markup=False)
    counts = info["counts"]
    out.print(
        f"decisions     allow {counts['allow']}  escalate {counts['escalate']}  deny "
        f"{counts['deny']}  errors {counts['errors']}"
    )


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

    db = _database()
    try:
        reports = verify(db)
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
    from magistrate.audit.log import AuditLog

    settings = _settings()
    db = _database()
    audit = AuditLog(
        db, chain_id=settings.chain_id, durability="sync", spool_dir=settings.spool_dir
    )
    _closers.extend([audit.close, db.close])
    return Approvals(db, frozenset(settings.approvers), ttl_s=settings.approval_ttl_s, audit=audit)


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


def _resolve(approval_id: str, by: str, note: str | None, approve: bool) -> None:
    from magistrate.approvals import ApprovalError

    approvals = _approvals()
    try:
        request = (approvals.approve if approve else approvals.deny)(approval_id, by, note)
    except ApprovalError as exc:
        err.print(f"refused: {exc}", markup=False)
        raise typer.Exit(1) from None
    _show_request(request)


@approvals_app.command("approve")
def approvals_approve(
    approval_id: str,
    by: Annotated[str, typer.Option("--by", help="The approver (a configured principal).")],
    note: Annotated[str | None, typer.Option("--note")] = None,
) -> None:
    """Approve a pending request (exit 1 with the reason when refused)."""
    _resolve(approval_id, by, note, approve=True)


@approvals_app.command("deny")
def approvals_deny(
    approval_id: str,
    by: Annotated[str, typer.Option("--by", help="The approver (a configured principal).")],
    note: Annotated[str | None, typer.Option("--note")] = None,
) -> None:
    """Deny a pending request (exit 1 with the reason when refused)."""
    _resolve(approval_id, by, note, approve=False)


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
) -> None:
    """Create a key and print it once (only its hash is stored)."""
    from magistrate.keys import KeysError

    try:
        key, token = _keys().create(role, name, may_act_as)
    except KeysError as exc:
        err.print(f"keys create: {exc}", markup=False)
        raise typer.Exit(EXIT_ERROR) from None
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
) -> None:
    """Revoke a key (servers stop accepting it within MAGISTRATE_KEY_CACHE_S, default 5 s)."""
    from magistrate.keys import KeysError

    try:
        revoked = _keys().revoke(id_or_name)
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

    import uvicorn

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
    if settings.bootstrap_admin:
        _bootstrap_admin()
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    shown = f"[{shown}]" if ":" in shown else shown
    out.print(
        f"Magistrate server: http://{shown}:{port}/  ({workers} worker(s); API at "
        f"/v1, spec at /openapi.json)",
        markup=False,
    )
    sys.stdout.flush()
    uvicorn.run(
        "magistrate.server.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        timeout_graceful_shutdown=5,
        proxy_headers=True,
        server_header=False,
    )


def _bootstrap_admin() -> None:
    """On the first start (no key in the database), create an admin key and print it."""
    from magistrate.keys import Keys

    db = _database()
    try:
        created = Keys(db).bootstrap_admin()
    except Exception as exc:  # the server reports an unreachable store itself (readyz)
        err.print(f"could not check for API keys: {exc}", markup=False)
        return
    finally:
        db.close()
    if created is not None:
        key, token = created
        out.print(
            f"First start: created admin key {key.id} (name {key.name!r}). It is shown only now:",
            markup=False,
        )
        out.print(f"  {token}", markup=False)
        out.print(
            "Sign in to the dashboard with it; create more with `magistrate keys create`.",
            markup=False,
        )
