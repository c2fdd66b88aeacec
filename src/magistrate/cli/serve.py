"""`serve`: the governance server."""

from __future__ import annotations

from typing import Annotated

import typer

from magistrate.cli.app import (
    _settings,
    app,
    err,
    out,
    state,
)


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

    settings = _settings()
    host = host or settings.host
    port = port if port is not None else settings.port
    workers = workers or settings.workers
    # Worker processes read their settings from the environment: pass the global options on.
    options = state()
    if options.constitution is not None:
        os.environ["MAGISTRATE_CONSTITUTION"] = str(options.constitution)
    if options.mode is not None:
        os.environ["MAGISTRATE_MODE"] = options.mode
    if workers > 1 and not settings.redis_url:
        err.print(
            f"warning: {workers} workers without MAGISTRATE_REDIS_URL: each worker keeps its own "
            "trust scores, session history and provenance in memory (suspensions are shared "
            "through the database, re-read every second). Set MAGISTRATE_REDIS_URL to share "
            "them (docs/scaling.md).",
            markup=False,
        )
    from magistrate.ops import serving

    code = serving.run(
        settings,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        say=lambda line: out.print(line, markup=False),
    )
    raise typer.Exit(code)
