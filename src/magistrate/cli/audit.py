"""`audit verify | tail | export`."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from magistrate.cli.app import (
    DECISION_STYLE,
    EXIT_ERROR,
    _database,
    _settings,
    _since,
    audit_app,
    err,
    out,
)


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
