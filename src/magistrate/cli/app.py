"""The `magistrate` application: its shared options and state (in the Typer context), output
consoles, exit codes, and the governor, database and settings every command group opens.

Command groups live in sibling modules that import this one; `magistrate.cli` imports them all.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from magistrate.errors import ConstitutionError, MagistrateError
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
audit_app = typer.Typer(help="Verify, read and export the audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
approvals_app = typer.Typer(help="List and resolve approval requests.", no_args_is_help=True)
app.add_typer(approvals_app, name="approvals")
keys_app = typer.Typer(
    help="Create, list and revoke API keys for the server.", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


@dataclass
class CliState:
    """One invocation's global options and what it opened (closed when the command ends)."""

    constitution: Path | None = None
    mode: str | None = None
    opened: list[Any] = field(default_factory=list)  # governors: closed, audit flushed
    closers: list[Callable[[], Any]] = field(default_factory=list)

    def overrides(self) -> dict[str, Any]:
        """The global options given on the command line, as settings overrides."""
        given = {"constitution": self.constitution, "mode": self.mode}
        return {name: value for name, value in given.items() if value is not None}

    def close(self) -> None:
        """Close every governor (flushing its audit log), then every other resource."""
        governors, self.opened = self.opened, []
        closers, self.closers = self.closers, []
        for governor in governors:
            governor.close()
        for close in closers:
            close()


_current: ContextVar[CliState | None] = ContextVar("magistrate_cli_state", default=None)


def state() -> CliState:
    """The running command's state: the object the root callback put on the Typer context."""
    current = _current.get()
    if current is None:
        raise RuntimeError("magistrate CLI state used outside a command")
    return current


@app.callback()
def _main(
    ctx: typer.Context,
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
    # The state lives on the root context, which closes what the command opened when it ends.
    options = CliState(constitution=constitution, mode=mode)
    ctx.obj = options
    ctx.call_on_close(options.close)
    _current.set(options)


def _settings() -> Any:
    from magistrate.config import Settings

    try:
        return Settings(**state().overrides())
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
    state().opened.append(governor)
    return governor


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
    state().opened.append(governor)
    return governor
