"""Script-like files: the commands a shell script, Makefile, Dockerfile, CI file, systemd unit or
crontab holds, read out so that writing one is judged by the commands it will run."""

from __future__ import annotations

import itertools
import json
import re
import shlex

import re2  # type: ignore[import-untyped]

from magistrate.analysis.dynamic import evaluate_substitution
from magistrate.analysis.shell_state import CRON_SCHEDULE

MAX_SCRIPT_COMMANDS = 512  # commands read out of a Makefile, Dockerfile, CI file…

_RECIPE = re.compile(
    r"^\t[@+-]*\s*(.+)$"  # Makefile recipe
    r"|^\s*RUN\s+(?:\[[^\]]*\]\s*)?(.+)$"  # Dockerfile
    r"|^\s*(?:-\s*)?(?:run|command|script|entrypoint|entry|shell|raw|cmd|job"  # CI, hooks
    r"|ansible\.builtin\.(?:shell|command|raw))\s*:\s*(?![|>]\s*$)(.+)$"  # Ansible tasks
    r"|^\s*Exec(?:Start|StartPre|StartPost|Stop|Reload)\s*=\s*[-@+!]*(.+)$",  # systemd
    re.I | re.M,
)
# `$(HOME)` and `${HOME}` in a recipe are make's variables (the environment's, by default):
# the shell sees their value, as `${HOME}`; `$$` is a dollar the shell sees.
_MAKE_VARIABLE = re.compile(r"(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
# In a recipe, `$(shell CMD)` is replaced by CMD's output before the shell reads the line: the
# shell runs what it prints (`$(shell printf '\x63\x75…')` is the command it decodes to).
_RECIPE_SHELL = re.compile(r"\$\(shell\s+((?:[^()]|\([^()]*\))*)\)")


def _make_output(m: re.Match[str]) -> str:
    printed, _ = evaluate_substitution(m.group(1))
    return printed if printed is not None else f"$({m.group(1)})"


# A YAML block scalar of commands: `run: |` (GitHub, CircleCI), `script: |`, Azure's `bash: |`,
# `pwsh: |`, `powershell: |`, `inlineScript: |`.
_BLOCK_RUN = re.compile(
    r"^\s*(?:-\s*)?(?:run|script|bash|pwsh|powershell|inline_?script|command|shell"
    r"|ansible\.builtin\.(?:shell|command))\s*:\s*[|>][-+]?\s*$",
    re.I,
)
# A YAML list of commands: GitLab's `script:`, `before_script:`, `after_script:`, CircleCI's
# and Buildkite's `commands:`, each item a command.
_LIST_RUN = re.compile(
    r"^\s*(?:-\s*)?(?:script|before_script|after_script|commands|cmds|install|before_install)"
    r"\s*:\s*$",
    re.I,
)
_LIST_ITEM = re.compile(r"^(\s*)-\s+(.+?)\s*$")
# A Jenkinsfile's shell steps: `sh 'cmd'`, `sh "cmd"`, `bat '…'`, `sh(script: '…')`, and the
# triple-quoted multi-line forms.
# RE2 (linear time): a file of unclosed quotes must not cost quadratic time.
_JENKINS_STEP = re2.compile(
    r"""\b(?:sh|bat|powershell|pwsh)(?:\s+|\s*\(\s*(?:script\s*:\s*)?)"""
    r"""(?:'{3}((?s:.*?))'{3}|"{3}((?s:.*?))"{3}|'([^'\n]*)'|"([^"\n]*)")"""
)
# Files the shell runs whole, `#!` or not: scripts by their extension, shells' start-up files,
# init scripts, git hooks (a hook or `.bashrc` rarely has a shebang line).
_SHELL_SCRIPT = re.compile(
    r"\.(sh|bash|zsh|ksh|ps1|psm1|bat|cmd|command)$"
    r"|(^|/)\.(bashrc|bash_profile|bash_login|bash_logout|bash_aliases|profile|zshrc|zprofile"
    r"|zshenv|zlogin|kshrc|mkshrc|envrc)$"
    r"|^/etc/(profile|bash\.bashrc|zshrc|rc\.local)$|^/etc/(profile\.d|init\.d)/[^/]+$"
    r"|(^|/)\.git/hooks/[^/]+$|(^|/)\.husky/[^/]+$"
    # a command put on the search path (`~/.local/bin/git`): what runs when it is called
    r"|(^|/)\.local/bin/[^/.]+$|^(/usr(/local)?|~|\$HOME|/home/[^/]+)/s?bin/[^/.]+$",
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
    r"|(^|/)\.devcontainer\.json$"
    # Package manifests whose install hooks the package manager runs on every install.
    r"|(^|/)(package|composer)\.json$",
    re.I,
)
_JSON_COMMAND = re.compile(
    r'"(?:command|initializeCommand|onCreateCommand|updateContentCommand|postCreateCommand'
    r"|postStartCommand|postAttachCommand"
    # npm's and composer's install hooks (a composer hook may be a list of commands)
    r"|preinstall|install|postinstall|prepare|prepublish|preuninstall|postuninstall"
    r"|(?:pre|post)-(?:install|update)-cmd|post-autoload-dump|post-root-package-install"
    r'|post-create-project-cmd)"\s*:\s*("(?:[^"\\\n]|\\.)*"|\[[^\]]*\])'
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
    out: list[str] = []
    for j in _JSON_COMMAND.finditer(content):
        try:
            value = json.loads(j.group(1))
        except (ValueError, RecursionError):
            value = j.group(1)[1:-1]
        out += [str(v) for v in value] if isinstance(value, list) else [str(value)]
    for m in _CONFIG_COMMAND.finditer(content):
        value = next(g for g in m.groups() if g is not None)
        if len(value) > 1 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        out.append(value.replace('\\"', '"'))
    return out[: MAX_SCRIPT_COMMANDS + 1]


# Files that hold commands among other things: Makefiles, Dockerfiles, CI workflows, crontabs,
# systemd and desktop units (`commands_in` reads them out).
_HOLDS_COMMANDS = re.compile(
    r"(^|/)(makefile|gnumakefile|[\w.-]*\.mk|justfile|taskfile\.ya?ml|jenkinsfile"
    r"|([\w.-]*\.)?(dockerfile|containerfile)(\.[\w.-]+)?"
    r"|\.gitlab-ci\.ya?ml|\.(github|gitea|forgejo)/workflows/[^/]+\.ya?ml|\.github/actions/[^/]+"
    r"/action\.ya?ml|azure-pipelines[\w.-]*\.ya?ml|\.circleci/config\.ya?ml"
    r"|bitbucket-pipelines\.ya?ml|\.buildkite/[\w.-]*\.ya?ml|\.drone\.ya?ml|\.travis\.ya?ml"
    r"|cloudbuild\.ya?ml|buildspec\.ya?ml|appveyor\.ya?ml|\.woodpecker\.ya?ml"
    r"|crontab|[^/]*\.(service|timer|desktop)"
    # Ansible's tasks and playbooks: `shell:`, `command:`, a cron job's `job:` run on hosts
    r"|roles/[^/]+/(tasks|handlers)/[^/]+\.ya?ml|playbooks?/[^/]+\.ya?ml|[\w.-]*playbook[\w.-]*\.ya?ml)$",
    re.I,
)


def holds_commands(path: str) -> bool:
    """Whether a file at `path` is script-like: some of its lines are commands that will run."""
    return _HOLDS_COMMANDS.search(path) is not None


def is_shell_script(path: str) -> bool:
    """Whether a file at `path` is run by a shell as a whole (its content is all commands)."""
    return _SHELL_SCRIPT.search(path) is not None


# A line ending in a backslash goes on (Dockerfiles, Makefiles, shell in CI): one command.
_CONTINUED = re.compile(r"\\\r?\n[ \t]*")
_MAKE_SHELL = "$(shell "
_PARENS = re.compile(r"[()]")


def make_shell_calls(content: str) -> list[str]:
    """The commands of make's `$(shell CMD)` (run when make reads the file, whatever target is
    asked for), to the parenthesis that closes each."""
    out: list[str] = []
    start = content.find(_MAKE_SHELL)
    while start >= 0 and len(out) <= MAX_SCRIPT_COMMANDS:
        depth, k = 1, start + len(_MAKE_SHELL)
        for paren in _PARENS.finditer(content, k):  # to the parenthesis that closes it
            depth += 1 if paren.group() == "(" else -1
            k = paren.end()
            if not depth:
                break
        else:
            k = len(content)
        out.append(content[start + len(_MAKE_SHELL) : k - 1 if not depth else k].strip())
        start = content.find(_MAKE_SHELL, k)
    return out


# A Dockerfile's exec form (`RUN`, `CMD`, `ENTRYPOINT` with a JSON list), and the shell form of
# CMD and ENTRYPOINT: what the container runs when it starts.
_EXEC_FORM = re.compile(
    r"^\s*(?:RUN|CMD|ENTRYPOINT)\s+(\[.*\])\s*$|^\s*(?:CMD|ENTRYPOINT)\s+(.+)$", re.I
)


def _joined(words: str) -> str:
    """A JSON list of words as one shell line (each word quoted); the text itself when it is
    not a list (the shell form)."""
    try:
        parsed = json.loads(words)
    except (ValueError, RecursionError):
        return words
    if not isinstance(parsed, list):
        return words
    return " ".join(shlex.quote(str(w)) for w in parsed)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _yaml_block(lines: list[str], k: int, indent: int) -> tuple[list[str], int]:
    """The more-indented lines from `k` (a block scalar's body), and the index after them."""
    body = []
    while k < len(lines) and (not lines[k].strip() or _indent(lines[k]) > indent):
        body.append(lines[k].strip())
        k += 1
    return [b for b in body if b and not b.startswith("#")], k


def _yaml_list(lines: list[str], k: int, indent: int) -> tuple[list[str], int]:
    """The items of a YAML list from `k` (at the key's indentation or deeper), unquoted."""
    items = []
    while k < len(lines) and (not lines[k].strip() or _indent(lines[k]) >= indent):
        item = _LIST_ITEM.match(lines[k])
        if lines[k].strip() and item is None:
            break
        if item is not None and item.group(2) in ("|", ">", "|-", ">-", "|+", ">+"):
            body, k = _yaml_block(lines, k + 1, len(item.group(1)))  # `- |`: a block item
            items += body
            continue
        if item is not None:
            text = item.group(2)
            if len(text) > 1 and text[0] == text[-1] and text[0] in "\"'":
                text = text[1:-1]
            items.append(text)
        k += 1
    return items, k


def commands_in(content: str) -> list[str]:
    """The commands a script-like file holds: the whole file for shell scripts; recipe, RUN,
    `run:`/`script:` lines, blocks and lists, Jenkins' `sh` steps, Exec= and crontab lines
    (continued lines joined), and make's `$(shell …)` for the rest."""
    if content.startswith("#!"):
        return [content]
    content = _CONTINUED.sub(" ", content)
    out: list[str] = make_shell_calls(content) if _MAKE_SHELL in content else []
    if "sh" in content or "bat" in content:
        steps = itertools.islice(_JENKINS_STEP.finditer(content), MAX_SCRIPT_COMMANDS + 1)
        out += [next(g for g in m.groups() if g is not None).strip() for m in steps]
    lines = content.splitlines()
    k = 0
    while k < len(lines) and len(out) <= MAX_SCRIPT_COMMANDS:
        line = lines[k]
        block = _BLOCK_RUN.match(line) is not None
        if block or _LIST_RUN.match(line):  # a YAML block scalar, or a list, of commands
            key_column = len(line) - len(line.lstrip(" \t-"))  # `- bash: |`: its siblings'
            found, k = (_yaml_block if block else _yaml_list)(lines, k + 1, key_column)
            out.extend(found)
            continue
        m = _RECIPE.match(line)
        exec_form = _EXEC_FORM.match(line)
        if exec_form:  # `ENTRYPOINT ["/bin/bash", "-c", "…"]`: the words, as the shell would
            out.append(_joined(exec_form.group(1) or exec_form.group(2)))
        elif m and m.group(1) is not None:  # a Makefile recipe: make's variables, then `$$`
            recipe = _RECIPE_SHELL.sub(_make_output, m.group(1))
            out.append(_MAKE_VARIABLE.sub(r"${\1}", recipe).replace("$$", "$").strip())
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
