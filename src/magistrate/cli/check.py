"""`check` (one action, or JSONL), `demo` and `counsel`."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from magistrate.action import Action
from magistrate.cli.app import (
    DECISION_STYLE,
    EXIT_ALLOW,
    EXIT_DENY,
    EXIT_ERROR,
    EXIT_ESCALATE,
    EXIT_FOR,
    RISK_STYLE,
    _governor,
    app,
    err,
    out,
)
from magistrate.errors import InvalidAction


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
