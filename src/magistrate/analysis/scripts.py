"""Script-like files: the commands a shell script, Makefile, Dockerfile, CI file, systemd unit or
crontab holds, read out so that writing one is judged by the commands it will run."""

from __future__ import annotations

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
_BLOCK_RUN = re.compile(r"^(\s*)(?:-\s*)?(?:run|script)\s*:\s*[|>][-+]?\s*$", re.I)
# Files the shell runs whole, `#!` or not: scripts by their extension, shells' start-up files,
# init scripts, git hooks (a hook or `.bashrc` rarely has a shebang line).
_SHELL_SCRIPT = re.compile(
    r"\.(sh|bash|zsh|ksh|ps1|psm1|bat|cmd|command)$"
    r"|(^|/)\.(bashrc|bash_profile|bash_login|bash_logout|profile|zshrc|zprofile|zshenv|zlogin"
    r"|kshrc|mkshrc)$"
    r"|^/etc/(profile|bash\.bashrc|zshrc|rc\.local)$|^/etc/(profile\.d|init\.d)/[^/]+$"
    r"|(^|/)\.git/hooks/[^/]+$|(^|/)\.husky/[^/]+$",
    re.I,
)


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
        if m:
            out.append(next(g for g in m.groups() if g is not None).strip())
        elif CRON_SCHEDULE.match(line) and not line.lstrip().startswith("#"):
            out.append(CRON_SCHEDULE.sub("", line, count=1))
        k += 1
    return [c for c in out if c]


__all__ = ["MAX_SCRIPT_COMMANDS", "commands_in", "is_shell_script"]
