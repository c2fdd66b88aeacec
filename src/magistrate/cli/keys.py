"""`keys create | list | revoke`: API keys for the server (an admin key after the first)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from magistrate.cli.app import (
    EXIT_ERROR,
    _database,
    err,
    keys_app,
    out,
    state,
)
from magistrate.cli.approvals import _operator


def _keys() -> Any:
    from magistrate.keys import Keys

    db = _database()
    state().closers.append(db.close)
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
