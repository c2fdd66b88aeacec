"""`approvals list | show | approve | deny | lift-suspension`: resolving needs an approver's key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from magistrate.action import Action
from magistrate.cli.app import (
    _database,
    _governor,
    _settings,
    approvals_app,
    err,
    out,
    state,
)
from magistrate.errors import InvalidAction, MagistrateError


def _approvals() -> Any:
    from magistrate.approvals import Approvals
    from magistrate.audit.keyring import audit_log_from_settings

    settings = _settings()
    db = _database()
    audit = audit_log_from_settings(db, settings, durability="sync")
    state().closers.extend([audit.close, db.close])
    # no name-based approvers: whoever resolves proves it with a key (operator_key)
    return Approvals(db, ttl_s=settings.approval_ttl_s, audit=audit)


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
    state().closers.append(db.close)
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
