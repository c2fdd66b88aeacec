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
    governor = _governor()
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
# The seed report's realistic workflow: its ten operations, with the tier the seed gave each.
DEMO_WORKFLOW: list[tuple[str, str, dict[str, Any]]] = [
    (
        "Read user profile",
        "LOW",
        {"kind": "sql", "text": "SELECT id, name, email FROM users WHERE id = 42"},
    ),
    (
        "Update preferences",
        "MEDIUM",
        {"kind": "sql", "text": "UPDATE user_preferences SET theme = 'dark' WHERE user_id = 42"},
    ),
    (
        "Delete logs",
        "MEDIUM",
        {"kind": "shell", "text": "find ./logs -name '*.log' -mtime +30 -delete"},
    ),
    (
        "Deploy to staging",
        "HIGH",
        {"kind": "deploy", "text": "deploy api v2.3.1", "args": {"environment": "staging"}},
    ),
    (
        "Refactor authentication",
        "CRITICAL",
        {"kind": "prompt", "text": "Refactor the authentication middleware into smaller functions"},
    ),
    ("Run tests", "LOW", {"kind": "shell", "text": "pytest -q tests/"}),
    (
        "Generate report",
        "LOW",
        {
            "kind": "tool",
            "tool": "generate_report",
            "args": {"name": "weekly-usage", "format": "pdf"},
        },
    ),
    (
        "Backup database",
        "HIGH",
        {"kind": "shell", "text": "pg_dump -Fc appdb > backups/appdb-2026-11-27.dump"},
    ),
    (
        "Modify API",
        "HIGH",
        {
            "kind": "file",
            "text": "write src/api/routes.py",
            "args": {"operation": "write", "path": "src/api/routes.py"},
        },
    ),
    ("Read docs", "LOW", {"kind": "file", "text": "docs/README.md"}),
]


@app.command()
def demo(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Run the seed's realistic ten-operation Maestro workflow through real governance."""
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
    """Check a constitution file; list every problem (exit 0 when valid, 3 otherwise)."""
    from magistrate.constitution import load_constitution

    try:
        loaded = load_constitution(file)
    except ConstitutionError as exc:
        for problem in exc.problems:
            err.print(f"error: {problem}", markup=False)
        err.print(f"{len(exc.problems)} problem(s) in {file}", markup=False)
        raise typer.Exit(EXIT_ERROR) from None
    m = loaded.model
    out.print(
        f"valid: {m.name} — {len(m.articles)} articles, {len(m.rules)} rules, "
        f"{len(m.roles)} roles; version {loaded.version}",
        markup=False,
    )


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
            code = command.main(args=sys.argv[1:], prog_name="magistrate",
                                standalone_mode=False)
        finally:
            for governor in _opened:
                governor.close()
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
