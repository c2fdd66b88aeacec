"""Script-like files: the commands a shell script, Makefile, Dockerfile, CI file, systemd unit or
crontab holds, read out so that writing one is judged by the commands it will run."""

from __future__ import annotations

import json
import re

from magistrate.analysis.shell_state import CRON_SCHEDULE

MAX_SCRIPT_COMMANDS = 512  # commands read out of a Makefile, Dockerfile, CI file…

_RECIPE = re.compile(
    r"^\t[@+-]*\s*(.+)$"  # Makefile recipe
    r"|^\s*RUN\s+(?:\[[^\]]*\]\s*)?(.+)$"  # Dockerfile
    r"|^\s*(?:-\s*)?(?:run|command|script|entrypoint|entry)\s*:\s*(?![|>]\s*$)(.+)$"  # CI, hooks
    r"|^\s*Exec(?:Start|StartPre|StartPost|Stop|Reload)\s*=\s*[-@+!]*(.+)$",  # systemd
    re.I | re.M,
)
# `$(HOME)` and `${HOME}` in a recipe are make's variables (the environment's, by default):
# the shell sees their value, as `${HOME}`; `$$` is a dollar the shell sees.
_MAKE_VARIABLE = re.compile(r"(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
_BLOCK_RUN = re.compile(r"^(\s*)(?:-\s*)?(?:run|script)\s*:\s*[|>][-+]?\s*$", re.I)
# Files the shell runs whole, `#!` or not: scripts by their extension, shells' start-up files,
# init scripts, git hooks (a hook or `.bashrc` rarely has a shebang line).
_SHELL_SCRIPT = re.compile(
    r"\.(sh|bash|zsh|ksh|ps1|psm1|bat|cmd|command)$"
    r"|(^|/)\.(bashrc|bash_profile|bash_login|bash_logout|bash_aliases|profile|zshrc|zprofile"
    r"|zshenv|zlogin|kshrc|mkshrc|envrc)$"
    r"|^/etc/(profile|bash\.bashrc|zshrc|rc\.local)$|^/etc/(profile\.d|init\.d)/[^/]+$"
    r"|(^|/)\.git/hooks/[^/]+$|(^|/)\.husky/[^/]+$",
    re.I,
)


# Configuration files some of whose values are commands a program runs through the shell: git
# (`!` aliases and credential helpers, core.sshCommand, core.fsmonitor, editor, pager) and ssh
# (ProxyCommand, LocalCommand, KnownHostsCommand, `Match exec`).
_COMMAND_CONFIG = re.compile(
    r"(^|/)\.gitconfig$|(^|/)\.git/config$|(^|/)\.config/git/config$|^/etc/gitconfig$"
    r"|(^|/)\.ssh/config$|^/etc/ssh/ssh_config(\.d/[^/]+)?$"
    # Editors' tasks (VS Code runs a task on opening the folder) and dev containers' lifecycle
    # commands (run when the container is made or started).
    r"|(^|/)\.vscode/tasks\.json$|(^|/)\.devcontainer(/[^/]+)?/devcontainer\.json$"
    r"|(^|/)\.devcontainer\.json$",
    re.I,
)
_JSON_COMMAND = re.compile(
    r'"(?:command|initializeCommand|onCreateCommand|updateContentCommand|postCreateCommand'
    r'|postStartCommand|postAttachCommand)"\s*:\s*("(?:[^"\\\n]|\\.)*")'
)
_CONFIG_COMMAND = re.compile(
    r"^\s*(?:proxycommand|localcommand|knownhostscommand)\s*[= ]\s*(.+?)\s*$"
    r"|^\s*match\s+(?:.*\s)?exec\s+(.+?)\s*$"
    r"|^\s*(?:sshcommand|fsmonitor|editor|pager|askpass|clean|smudge|process|textconv|driver)"
    r"\s*=\s*(.+?)\s*$"
    r"|^\s*[\w.-]+\s*=\s*\"?!(.+?)\"?\s*$",
    re.I | re.M,
)


def is_command_config(path: str) -> bool:
    """Whether a file at `path` is a configuration some of whose values are commands (git, ssh,
    editor tasks, dev containers)."""
    return _COMMAND_CONFIG.search(path) is not None


def config_commands(content: str) -> list[str]:
    """The commands a git, ssh, editor-task or dev-container configuration holds, unquoted as
    the shell will see them."""
    out = []
    for j in _JSON_COMMAND.finditer(content):
        try:
            out.append(str(json.loads(j.group(1))))
        except ValueError:
            out.append(j.group(1)[1:-1])
    for m in _CONFIG_COMMAND.finditer(content):
        value = next(g for g in m.groups() if g is not None)
        if len(value) > 1 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        out.append(value.replace('\\"', '"'))
    return out[: MAX_SCRIPT_COMMANDS + 1]


# Files that hold commands among other things: Makefiles, Dockerfiles, CI workflows, crontabs,
# systemd and desktop units (`commands_in` reads them out).
_HOLDS_COMMANDS = re.compile(
    r"(^|/)(makefile|dockerfile|jenkinsfile|\.gitlab-ci\.ya?ml|\.github/workflows/[^/]+\.ya?ml"
    r"|crontab|[^/]*\.(service|timer|desktop))$",
    re.I,
)


def holds_commands(path: str) -> bool:
    """Whether a file at `path` is script-like: some of its lines are commands that will run."""
    return _HOLDS_COMMANDS.search(path) is not None


def is_shell_script(path: str) -> bool:
    """Whether a file at `path` is run by a shell as a whole (its content is all commands)."""
    return _SHELL_SCRIPT.search(path) is not None


def commands_in(content: str) -> list[str]:
    """The commands a script-like file holds: the whole file for shell scripts; recipe, RUN,
    `run:`/`script:`, Exec= and crontab lines for the rest."""
    if content.startswith("#!"):
        return [content]
    out: list[str] = []
    lines = content.splitlines()
    k = 0
    while k < len(lines) and len(out) <= MAX_SCRIPT_COMMANDS:
        line = lines[k]
        block = _BLOCK_RUN.match(line)
        if block:  # a YAML block scalar: the more-indented lines that follow
            indent = len(block.group(1))
            body = []
            k += 1
            while k < len(lines) and (
                not lines[k].strip() or len(lines[k]) - len(lines[k].lstrip()) > indent
            ):
                body.append(lines[k].strip())
                k += 1
            out.extend(b for b in body if b and not b.startswith("#"))
            continue
        m = _RECIPE.match(line)
        if m and m.group(1) is not None:  # a Makefile recipe: make's variables, then `$$`
            out.append(_MAKE_VARIABLE.sub(r"${\1}", m.group(1)).replace("$$", "$").strip())
        elif m:
            out.append(next(g for g in m.groups() if g is not None).strip())
        elif CRON_SCHEDULE.match(line) and not line.lstrip().startswith("#"):
            out.append(CRON_SCHEDULE.sub("", line, count=1))
        k += 1
    return [c for c in out if c]


__all__ = [
    "MAX_SCRIPT_COMMANDS",
    "commands_in",
    "config_commands",
    "holds_commands",
    "is_command_config",
    "is_shell_script",
]
