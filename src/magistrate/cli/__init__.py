"""The `magistrate` command.

Exit status of `magistrate check`: 0 allow, 1 deny, 2 escalate, 3 error (bad input or usage).
Each command group is its own module; importing them registers their commands on `app`.
"""

from __future__ import annotations

import sys

import typer

from magistrate.cli import (  # noqa: F401  (registers the commands)
    approvals,
    audit,
    check,
    constitution,
    integrations,
    keys,
    ops,
    serve,
)
from magistrate.cli.app import EXIT_ERROR, app, err

__all__ = ["app", "main"]


def main() -> None:
    """Entry point: usage errors exit 3 (so that 2 keeps meaning 'escalate')."""
    command = typer.main.get_command(app)
    try:
        # the root context closes what the command opened (CliState.close), also on errors
        code = command.main(args=sys.argv[1:], prog_name="magistrate", standalone_mode=False)
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
