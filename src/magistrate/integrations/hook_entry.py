"""`magistrate hook claude-code` without the CLI framework: it runs once per tool use, so its
start-up is the latency the user feels.

The `magistrate` entry point (`magistrate.__main__:main`) hands its arguments here first. When
they are exactly the hook's — the global `--constitution/-c` and `--mode`, then `hook
claude-code` with `--principal/-p`, `--role/-r` and `--defer-allow` — the event is answered here:
through the server named by `MAGISTRATE_URL` (`hook_client`, standard library only), or with a
governor in this process, whose constitution and pattern databases come from the signed cache.
Anything else (`--help`, a typo) goes to the full CLI, which answers or explains.
"""

from __future__ import annotations

import os
import sys

from magistrate.integrations.hook_event import EXIT_BLOCK, HookAnswer

TYPE_CHECKING = False  # on the thin client's path: no `typing` at run time
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from magistrate.governor import Governor

_GLOBAL = {"-c": "constitution", "--constitution": "constitution", "--mode": "mode"}
_HOOK = {"-p": "principal", "--principal": "principal", "-r": "role", "--role": "role"}


class HookArgs:
    """The hook command's options, and the settings the global options override."""

    __slots__ = ("defer_allow", "overrides", "principal", "role")

    def __init__(
        self,
        principal: str = "agent:claude-code",
        role: str | None = None,
        defer_allow: bool = False,
        overrides: dict[str, Any] | None = None,
    ) -> None:
        self.principal = principal
        self.role = role
        self.defer_allow = defer_allow
        self.overrides: dict[str, Any] = overrides if overrides is not None else {}


def _option(argv: list[str], i: int, names: dict[str, str]) -> tuple[str, str, int] | None:
    """(name, value, next index) of the option at argv[i], in `-x V`, `--xx V` or `--xx=V`."""
    arg = argv[i]
    flag, eq, value = arg.partition("=")
    if flag not in names or (eq and not flag.startswith("--")):
        return None
    if eq:
        return names[flag], value, i + 1
    if i + 1 >= len(argv):
        return None
    return names[flag], argv[i + 1], i + 2


def parse_hook_args(argv: list[str]) -> HookArgs | None:
    """The hook's options when argv is a plain `hook claude-code` call; None otherwise."""
    args = HookArgs()
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        got = _option(argv, i, _GLOBAL)
        if got is None:
            return None
        args.overrides[got[0]] = got[1]
        i = got[2]
    if argv[i : i + 2] != ["hook", "claude-code"]:
        return None
    i += 2
    while i < len(argv):
        if argv[i] == "--defer-allow":
            args.defer_allow, i = True, i + 1
            continue
        got = _option(argv, i, _HOOK)
        if got is None:
            return None
        setattr(args, got[0], got[1])
        i = got[2]
    return args


def hook_governor(overrides: dict[str, Any]) -> Governor:
    """The configured governor for one hook process: session state on disk (each hook call is
    a new process), no metrics exporter (nothing scrapes a process that lives for one event)."""
    from pathlib import Path

    from magistrate.config import Settings
    from magistrate.governor import Governor

    settings = Settings(**overrides)
    stores: dict[str, Any] = {}
    if not settings.redis_url:
        from magistrate.provenance_store import SQLiteProvenanceStore
        from magistrate.sessions import SQLiteSessionStore

        state_file = str(Path(settings.spool_dir).parent / "hook-state.db")
        stores = {
            "sessions": SQLiteSessionStore(state_file, ttl_s=settings.session_ttl_s),
            "provenance": SQLiteProvenanceStore(state_file, ttl_s=settings.session_ttl_s),
        }
    otlp = bool(
        os.environ.get("OTEL_METRICS_EXPORTER", "").lower() == "otlp"
        or os.environ.get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")
    )
    if not otlp:  # Prometheus metrics: no one scrapes a process that lives for one event
        settings = settings.model_copy(update={"metrics": False})
    return Governor.from_settings(settings, **stores)


def standalone(raw: str, args: HookArgs) -> HookAnswer:
    """Answer with a governor in this process; fail closed when there is none."""
    from magistrate.integrations.hooks import claude_code

    try:
        governor = hook_governor(args.overrides)
    except Exception as exc:  # no governance, no tool call
        return HookAnswer(
            "",
            f"Magistrate: governance unavailable ({exc}); the tool call is blocked.\n",
            EXIT_BLOCK,
        )
    try:
        answer = claude_code(
            raw,
            governor,
            principal=args.principal,
            role=args.role,
            defer_allow=args.defer_allow,
        )
    except Exception as exc:  # fail closed: exit 2 blocks the call
        answer = HookAnswer(
            "", f"Magistrate: hook error ({type(exc).__name__}: {exc}); blocked.\n", EXIT_BLOCK
        )
    try:
        governor.close()  # the audit record is flushed before the answer is acted on
    except Exception as exc:  # the records are spooled; the answer stands
        answer.stderr += f"Magistrate: closing the governor: {type(exc).__name__}: {exc}\n"
    return answer


def answer(raw: str, args: HookArgs) -> HookAnswer:
    """The hook's answer to one event: through the server when `MAGISTRATE_URL` is set."""
    if not os.environ.get("MAGISTRATE_URL", "").strip():
        return standalone(raw, args)
    from magistrate.integrations.hook_client import claude_code_remote, server_from_env

    server = server_from_env()
    if server is None:
        return standalone(raw, args)
    if isinstance(server, str):
        return HookAnswer("", f"Magistrate: {server}; the tool call is blocked.\n", EXIT_BLOCK)
    return claude_code_remote(
        raw, server, principal=args.principal, role=args.role, defer_allow=args.defer_allow
    )


def emit(result: HookAnswer) -> int:
    """Print the answer; its exit status."""
    if result.stdout:
        sys.stdout.write(result.stdout + "\n")
        sys.stdout.flush()
    if result.stderr:
        sys.stderr.write(result.stderr)
        sys.stderr.flush()
    return result.exit_code


def respond(read: Callable[[], str], args: HookArgs) -> int:
    """Read the event, print the answer, give the exit status: 2 on any error (a traceback's
    exit 1 would let the tool call run)."""
    try:
        result = answer(read(), args)
    except Exception as exc:
        reason = f"Magistrate: hook error ({type(exc).__name__}: {exc}); blocked.\n"
        result = HookAnswer("", reason, EXIT_BLOCK)
    return emit(result)


def main(argv: list[str]) -> int | None:
    """The exit status of the hook when argv is a hook call; None to let the CLI answer."""
    args = parse_hook_args(argv)
    if args is None:
        return None
    return respond(lambda: sys.stdin.buffer.read().decode("utf-8"), args)


__all__ = [
    "HookArgs",
    "answer",
    "hook_governor",
    "main",
    "parse_hook_args",
    "respond",
    "standalone",
]
