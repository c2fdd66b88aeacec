"""The environment a command works in: what assignments before it select, env files, loops.

`RAILS_ENV=test rails db:reset`, `MIX_ENV=dev mix ecto.reset`, `export NODE_ENV=test && …`
select a test or development environment: a database reset there is ordinary work.
`AWS_PROFILE=prod aws …` and `DATABASE_URL=$PROD_DATABASE_URL …` name production. Families
give a resource effect the classes its arguments name; these add what the assignments name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import replace

from magistrate.analysis import commands as C
from magistrate.analysis.effects import PATH_OPS, Effect
from magistrate.analysis.families import families_of
from magistrate.analysis.families.base import assigned_environment, environment_classes
from magistrate.analysis.feeds import LISTERS
from magistrate.analysis.invocation import Invocation, basename
from magistrate.analysis.shell_lex import Word, lex

# Programs that act on remote control planes: what they touch is named in their arguments, so
# an assignment like `RAILS_ENV=test` before them makes nothing throw-away (production still
# counts: `AWS_PROFILE=prod aws …`).
_REMOTE_FAMILIES = frozenset({"cloud", "kubernetes", "infrastructure", "accounts", "containers"})
# Database clients and admin tools connect to the server their arguments or PG*/MYSQL_* name;
# a framework's RAILS_ENV or NODE_ENV before them chooses nothing.
_CLIENTS = (
    C.DB_CLIENTS
    | frozenset(C.SQL_CLIENTS)
    | C.DB_DUMPERS
    | frozenset("dropdb pg_dropcluster mysqladmin mariadb-admin mongo mongosh cockroach".split())
    | frozenset("redis-cli valkey-cli keydb-cli".split())
)
# Env files: `NAME=value` lines that `source`/`.` load into the shell without showing them.
_ENV_FILE = re.compile(r"(^|/)(\.env(\.[\w.-]+)?|[\w.-]+\.env|\.envrc)$", re.I)


def run_environment(inv: Invocation) -> frozenset[str]:
    """The environment classes an invocation's `NAME=value` assignments give it."""
    if not inv.env:
        return frozenset()
    found = assigned_environment(inv.env)
    if "scratch" in found and (
        inv.name in _CLIENTS or any(f.name in _REMOTE_FAMILIES for f in families_of(inv.name))
    ):
        return found - {"scratch"}
    return found


def scratch_run(inv: Invocation) -> bool:
    """`RAILS_ENV=test rails db:reset`: told to work on a test or development environment, and
    nothing in its arguments names production."""
    return run_environment(inv) == {"scratch"} and "production" not in (
        environment_classes(inv.argv)
    )


def is_env_file(path: str) -> bool:
    """`.env`, `.env.test`, `config/app.env`, `.envrc`."""
    return bool(_ENV_FILE.search(path))


def in_environment(inv: Invocation, effects: Iterable[Effect]) -> Iterator[Effect]:
    """A family's effects with the environment the assignments name added to resource effects
    (`RAILS_ENV=test rails db:drop` destroys a scratch database); production named by the
    arguments is never made scratch."""
    where = run_environment(inv)
    for e in effects:
        if where and e.op not in PATH_OPS and "production" not in e.classes:
            e = replace(e, classes=e.classes | where)
        yield e


def loop_value(w: Word, env: dict[str, str]) -> str:
    """A stand-in value for a loop variable: `for f in $(ls /)` iterates over entries of `/`."""
    for sub in w.subs:
        toks = [t.text for t in lex(sub) if isinstance(t, Word)]
        if toks and basename(toks[0]) in _LISTERS:
            # Switches are not folders: `-type d`, cmd's `dir /b`.
            roots = [t for t in toks[1:] if not t.startswith("-") and not _CMD_SWITCH.match(t)]
            return (roots[0].rstrip("/") + "/*") if roots else "*"
    return w.text


# Programs whose output a loop walks as a folder's entries (POSIX, cmd and PowerShell).
_LISTERS = LISTERS | {"find"}
_CMD_SWITCH = re.compile(r"^/[a-z](?::\w+)?$", re.I)


# A path led by a variable (`$X/…`, `${X}/…`; not `${X:?…}`, which stops when X is unset).
_VARIABLE_PREFIX = re.compile(r"^(?:\$(?:\{(\w+)\}|(\w+))|\$env:(\w+)|%(\w+)%)/", re.I)
_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")  # `${X:?}` and `${X:-d}` are not matched
_DEFAULTED = re.compile(r"^\$\{(\w+):?-([^}]*)\}(.*)$")  # `${X:-default}rest`
_SLASHES = re.compile(r"/{2,}")
# A whole operand, or its folder, cut out of a variable (substring, trimmed, replaced):
# `${HOME:0:1}` is `/`, `${HOME%/*}` every home folder, `${X%/}` empty when X is.
_CUT = re.compile(r"^\$\{(\w+)(?::\s*-?\d|%|#|/)[^}]*\}(/.*)?$")
# Variables every shell has (HOME, PWD, TMPDIR…), and those toolchains and CI runners set.
_ALWAYS_SET = re.compile(
    r"^(HOME|PWD|OLDPWD|USER|LOGNAME|TMPDIR|TMP|TEMP|SHELL|PATH|XDG_\w+|VIRTUAL_ENV|CONDA_PREFIX"
    r"|JAVA_HOME|GOPATH|GOROOT|CARGO_HOME|RUSTUP_HOME|NVM_DIR|PYENV_ROOT|HOMEBREW_PREFIX"
    r"|GITHUB_WORKSPACE|RUNNER_TEMP|RUNNER_TOOL_CACHE|CI_PROJECT_DIR|WORKSPACE|BUILD_DIR"
    # Windows sets these for every session
    r"|USERPROFILE|APPDATA|LOCALAPPDATA|PROGRAMDATA|PROGRAMFILES|PROGRAMFILES\(X86\)|SYSTEMROOT"
    r"|WINDIR|HOMEDRIVE|HOMEPATH|SYSTEMDRIVE|PUBLIC|ALLUSERSPROFILE|USERNAME|COMPUTERNAME)$"
)


def _unset(name: str, env: dict[str, str]) -> bool:
    return name not in env and not _ALWAYS_SET.match(name) and not _ALWAYS_SET.match(name.upper())


def unset_path(operand: str, env: dict[str, str]) -> tuple[str, str] | None:
    """(variable, path) for an operand led by a variable nothing on the line set: the path it
    is when that variable is empty (and every later unset one, where that leaves a glob:
    `$APP/$REL/*` is `/*`; the shell only stops at `${X:?}` or under `set -u`); None
    otherwise."""
    c = _CUT.match(operand)
    if c is not None and (_unset(c.group(1), env) or c.group(1).upper() == "HOME"):
        # `${HOME:0:1}`, `${HOME%/*}`, `${DIR%/}`: a part of the value, or none of it
        return c.group(1), _SLASHES.sub("/", "/" + (c.group(2) or ""))
    d = _DEFAULTED.match(operand)
    if d is not None and _unset(d.group(1), env) and d.group(2)[:1] in ("/", "~", "$"):
        # `${TARGET:-/}`: unset, the variable is its default
        return d.group(1), _SLASHES.sub("/", d.group(2) + d.group(3))
    m = _VARIABLE_PREFIX.match(operand)
    variable = next((g for g in m.groups() if g), "") if m else ""
    if m is None or not _unset(variable, env):
        return None
    rest = "/" + operand[m.end() :]
    emptied = _SLASHES.sub(
        "/",
        _VARIABLE.sub(lambda v: "" if _unset(v.group(1) or v.group(2), env) else v.group(0), rest),
    )
    # `$OUT/$NAME/*` is `/*` (rm deletes every entry under root); `$OUT/$NAME` alone is `/`,
    # which rm refuses: there the later variables are kept, as before
    return variable, emptied if emptied.endswith("/*") else _SLASHES.sub("/", rest)
