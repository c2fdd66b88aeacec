"""How the operator commands print (status, eval, replay): rich text for a terminal."""

from __future__ import annotations

from typing import Any

from rich.console import Console

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
