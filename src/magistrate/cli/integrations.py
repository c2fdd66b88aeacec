"""The integration commands of the `magistrate` CLI: `mcp-proxy` and `hook claude-code`."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Annotated

import typer

from magistrate.cli.app import EXIT_ERROR, _governor, _settings, app, err, state


def register(root: typer.Typer) -> None:
    """Add `mcp-proxy` and `hook` to the command line."""
    hook_app = typer.Typer(
        help="Coding-agent hooks (Claude Code PreToolUse, PostToolUse, UserPromptSubmit).",
        no_args_is_help=True,
    )
    root.add_typer(hook_app, name="hook")
    root.command(
        "mcp-proxy",
        context_settings={"allow_interspersed_args": False},
    )(mcp_proxy)
    hook_app.command("claude-code")(hook_claude_code)


def mcp_proxy(
    command: Annotated[
        list[str] | None,
        typer.Argument(help="The real MCP server's command and arguments, after --."),
    ] = None,
    http: Annotated[
        str | None,
        typer.Option("--http", help="Front a streamable-HTTP MCP server at this URL instead."),
    ] = None,
    principal: Annotated[
        str, typer.Option("--principal", "-p", help="The agent the calls are judged as.")
    ] = "agent:mcp",
    role: Annotated[
        str | None, typer.Option("--role", "-r", help="The constitution role of the agent.")
    ] = None,
    hide_tools: Annotated[
        bool,
        typer.Option("--hide-tools", help="Leave out of tools/list the tools --role may not use."),
    ] = False,
    escalation: Annotated[
        str | None,
        typer.Option(
            "--escalation",
            help="wait (for approval, then deny) or return (answer with the approval id). "
            "Default: MAGISTRATE_ESCALATION, else wait.",
        ),
    ] = None,
    approval_timeout: Annotated[
        float | None,
        typer.Option(
            "--approval-timeout",
            help="Seconds to wait for an approval (default: MAGISTRATE_APPROVAL_TIMEOUT_S, 300).",
        ),
    ] = None,
    no_output_check: Annotated[
        bool,
        typer.Option("--no-output-check", help="Do not judge tool results (not recommended)."),
    ] = False,
    host: Annotated[str, typer.Option("--host", help="With --http: address to serve on.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port", help="With --http: port to serve on.")] = 8765,
    path: Annotated[str, typer.Option("--path", help="With --http: endpoint path.")] = "/mcp",
    server_name: Annotated[
        str | None,
        typer.Option("--server-name", help="Name of the server in the audit (default: derived)."),
    ] = None,
    server_principal: Annotated[
        str | None,
        typer.Option(
            "--server-principal",
            help="Principal tool results are judged as (default: mcp-server:NAME).",
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Log only errors to stderr.")
    ] = False,
) -> None:
    """Govern an MCP server: every tools/call is judged, every tool result checked.

    \b
    magistrate mcp-proxy -p agent:desktop -- npx -y @modelcontextprotocol/server-filesystem ~/src
    magistrate mcp-proxy --http http://127.0.0.1:9000/mcp --port 8765
    """
    from magistrate.integrations.mcp import (
        ProxyOptions,
        serve_http,
        serve_stdio,
        server_label,
    )

    if (http is None) == (not command):
        err.print("mcp-proxy: give either --http URL or the server's COMMAND after --")
        raise typer.Exit(EXIT_ERROR)
    if hide_tools and role is None:
        err.print("mcp-proxy: --hide-tools needs --role (the role whose tools are shown)")
        raise typer.Exit(EXIT_ERROR)
    settings = _settings()
    server = server_name or server_label(http if http is not None else list(command or []))
    try:
        options = ProxyOptions(
            principal=principal,
            role=role,
            hide_tools=hide_tools,
            escalation=escalation or settings.escalation,  # type: ignore[arg-type]
            approval_timeout_s=(
                approval_timeout if approval_timeout is not None else settings.approval_timeout_s
            ),
            server=server[:200],
            server_principal=server_principal,
            check_output=not no_output_check,
        )
    except ValueError as exc:
        err.print(f"mcp-proxy: {exc}", markup=False)
        raise typer.Exit(EXIT_ERROR) from None
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("magistrate mcp-proxy: %(message)s"))
    proxy_log = logging.getLogger("magistrate.mcp")
    proxy_log.addHandler(handler)
    proxy_log.setLevel(logging.ERROR if quiet else logging.INFO)
    proxy_log.propagate = False
    governor = _governor()
    if role is not None and role not in governor.constitution.model.roles:
        known = ", ".join(sorted(governor.constitution.model.roles))
        err.print(f"mcp-proxy: --role: unknown role {role!r} (known: {known})", markup=False)
        raise typer.Exit(EXIT_ERROR)
    try:
        if http is not None:

            def ready(url: str) -> None:
                logging.getLogger("magistrate.mcp").info("serving streamable HTTP at %s", url)

            code = asyncio.run(
                serve_http(http, governor, options, host=host, port=port, path=path, ready=ready)
            )
        else:
            code = asyncio.run(serve_stdio(list(command or []), governor, options))
    except ValueError as exc:
        err.print(f"mcp-proxy: {exc}", markup=False)
        raise typer.Exit(EXIT_ERROR) from None
    except KeyboardInterrupt:
        code = 0
    raise typer.Exit(code)


def hook_claude_code(
    principal: Annotated[
        str, typer.Option("--principal", "-p", help="The agent the tool uses are judged as.")
    ] = "agent:claude-code",
    role: Annotated[str | None, typer.Option("--role", "-r")] = None,
    defer_allow: Annotated[
        bool,
        typer.Option(
            "--defer-allow",
            help="On allow, print nothing: Claude Code's own permission rules then apply.",
        ),
    ] = False,
) -> None:
    """Answer a Claude Code hook event (JSON on stdin): PreToolUse with allow, deny or ask;
    UserPromptSubmit and PostToolUse record the prompt and the result (provenance). With
    MAGISTRATE_URL and MAGISTRATE_KEY, a running `magistrate serve` judges (a thin client)."""
    # `magistrate hook claude-code` is normally answered before this CLI loads
    # (magistrate.__main__); this is the same answer for the forms that reach here.
    from magistrate.integrations.hook_entry import HookArgs, respond

    args = HookArgs(principal, role, defer_allow, state().overrides())
    raise typer.Exit(respond(sys.stdin.read, args))


register(app)  # importing this module adds its commands
