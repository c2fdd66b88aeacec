"""How the operator commands print (status, eval, replay): rich text for a terminal."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

RISK_STYLE = {"LOW": "green", "MEDIUM": "yellow", "HIGH": "dark_orange", "CRITICAL": "bold red"}
DECISION_STYLE = {"allow": "green", "escalate": "yellow", "deny": "bold red"}


def print_status(info: dict[str, Any], out: Console) -> None:
    """`magistrate status` as text."""
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
    decisions = info.get("decisions")
    if decisions is None:
        out.print("decisions     unknown (the audit log is off or unreachable)")
    else:
        total = sum(decisions.values())
        parts = "  ".join(
            f"[{DECISION_STYLE.get(d, '')}]{d}[/] {decisions.get(d, 0)}"
            for d in ("allow", "escalate", "deny")
        )
        extra = f"  ungoverned {decisions['ungoverned']}" if decisions.get("ungoverned") else ""
        out.print(f"decisions     {parts}{extra}   ({total} in the audit log)")
        by_risk = info.get("by_risk") or {}
        out.print(
            "by tier       "
            + "  ".join(
                f"[{RISK_STYLE[r]}]{r}[/] {by_risk.get(r, 0)}"
                for r in ("LOW", "MEDIUM", "HIGH", "CRITICAL")
            )
        )
    pending = info.get("pending_approvals")
    out.print(f"approvals     {'unknown' if pending is None else pending} pending")
    suspended = info.get("suspended")
    if suspended is None:
        out.print("suspended     unknown")
    else:
        source = info.get("suspended_source", "")
        out.print(f"suspended     {len(suspended)} (from the {source})", markup=False)
        for s in suspended:
            out.print(f"  {s['principal']}: {s['reason']}", markup=False)
    for store, problem in (info.get("errors") or {}).items():
        out.print(f"[bold red]error[/] reading {store}: ", end="")
        out.print(problem, markup=False)


def progress(console: Console, transient: bool = False) -> Progress:
    """The progress bar of eval and replay (on stderr, so stdout stays the report)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=transient,
    )


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _score_table(title: str, rows: dict[str, dict[str, Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("", no_wrap=True, min_width=12)
    for col in ("n", "block", "allow", "recall", "false-block", "tier"):
        table.add_column(col, justify="right")
    for name, s in rows.items():
        recall, false_block = s["recall"], s["false_block"]
        table.add_row(
            name,
            str(s["actions"]),
            str(s["dangerous"]),
            str(s["benign"]),
            f"[{'red' if recall is not None and recall < 0.97 else 'green'}]{_pct(recall)}[/]",
            f"[{'red' if false_block else 'green'}]{_pct(false_block)}[/]",
            _pct(s["tier_accuracy"]),
        )
    return table


def print_eval(report: dict[str, Any], out: Console, show: int) -> None:
    """`magistrate eval` as text: overall, per category, per kind, then the misses."""
    out.print(_score_table("Overall", {"all": report["overall"]}))
    out.print(_score_table("By category", report["by_category"]))
    out.print(_score_table("By kind", report["by_kind"]))
    misses = report["misses"]
    out.print(f"{len(misses)} miss(es); {report['tier_misses']} tier difference(s)")
    for m in misses[:show]:
        style = "red" if m["miss"] == "missed" else "yellow"
        out.print(
            f"  [{style}]{m['miss']:<11}[/] {m['id']} [{m['kind']}/{m['category']}] "
            f"{m['decision']} {m['risk']} ",
            end="",
        )
        rules = f" ({', '.join(m['rules'])})" if m["rules"] else ""
        out.print(f"{m['what'][:120]}{rules}", markup=False)
    if len(misses) > show:
        out.print(f"  … {len(misses) - show} more (--show N, or --json)")


def print_replay(report: dict[str, Any], out: Console) -> None:
    """`magistrate replay` as text: totals, flips, per rule with examples."""
    b, c = report["baseline"], report["candidate"]
    out.print(f"baseline   {b['name']} (version {b['version'][:12]}) {b['source']}", markup=False)
    out.print(f"candidate  {c['name']} (version {c['version'][:12]}) {c['source']}", markup=False)
    edited = ", ".join(report["edited_rules"]) or "none (only settings or paths differ)"
    out.print(f"edited     {edited}", markup=False)
    skipped = report["skipped"]
    extra = f"; skipped {', '.join(f'{n} {k}' for k, n in skipped.items())}" if skipped else ""
    out.print(f"records    {report['records']} re-judged{extra}", markup=False)
    if report["recorded_differs_from_baseline"]:
        out.print(
            f"           {report['recorded_differs_from_baseline']} recorded decision(s) differ "
            "from the baseline's replay (trust, suspensions, approvals or another version at "
            "the time, or what the log does not keep: masked secrets, the action's context); "
            "flips below compare baseline and candidate only",
            markup=False,
        )
        for ex in report["recorded_differs_examples"]:
            out.print(
                f"             e.g. {ex['action'][:80]}: recorded {ex['recorded']}, "
                f"replayed {ex['replayed']}",
                markup=False,
            )
    out.print(f"[bold]{report['changed']} decision(s) would change[/]")
    for flip, n in report["decision_flips"].items():
        out.print(f"  {flip:<20} {n}", markup=False)
    if report["tier_changes"]:
        tiers = ", ".join(f"{k} {n}" for k, n in report["tier_changes"].items())
        out.print(f"tier changes: {tiers}", markup=False)
    for change in report["by_rule"]:
        flips = ", ".join(f"{k} {n}" for k, n in change["flips"].items())
        out.print(f"\n[bold]{change['rule']}[/]  {change['count']} change(s): {flips}")
        for ex in change["examples"]:
            out.print(
                f"  {ex['time'][:19]}  {ex['principal']}  [{ex['kind']}] {ex['action'][:110]}",
                markup=False,
            )
            out.print(f"      was {ex['was']}  →  now {ex['now']}", markup=False)


def print_sofia(sofia: dict[str, Any] | None, out: Console) -> None:
    """What Sofia's System 2 reads, and where it runs."""
    if not sofia:
        return
    llm = sofia["system2"]
    where = f"{llm['model']} at {llm['endpoint']}" if llm else "off (System 1 only)"
    out.print(f"sofia         System 2: {where}", markup=False)
    if not llm:
        return
    r = sofia["reads"]
    out.print(
        f"  budget {sofia['budget_s']:g} s   fallback {sofia['fallback']}   json "
        f"{sofia['structured']}   concurrency {sofia['concurrency']}",
        markup=False,
    )
    out.print(f"  reads kinds: {', '.join(r['kinds']) or '-'}", markup=False)
    out.print(f"  reads facts: {', '.join(r['facts']) or '-'}", markup=False)
    out.print(
        f"  reads calls that {', '.join(r['effects']) or '-'}; tool words: "
        f"{', '.join(r['tool_words']) or '-'}",
        markup=False,
    )
    out.print(
        f"  reads tool output with findings: {'yes' if r['tool_outputs_with_findings'] else 'no'}"
        f"   what System 1 is unsure of: {'yes' if r['unsure'] else 'no'} (unknown programs: "
        f"{r['unknown_programs']})",
        markup=False,
    )
    out.print(f"  and what the constitution asks counsel for: {r['constitution']}", markup=False)
    out.print(f"  never reads: {r['never']}", markup=False)
