"""Commands and file writes hidden in what looks like reading: options whose value is a
command line (`tar --to-command`, `rsync -e`, `zip -TT`, `man -P`, `git grep -O`), variables a
program runs (`PAGER`, `GIT_SSH_COMMAND`, `LESSOPEN`), the little languages of sed and awk
(`sed 'e CMD'`, `s/…/…/e`, `w FILE`; awk's `"CMD" | getline`, `print > "FILE"`), options that
name an output file (`find -fprint`, `sort -o`, `git log --output`), git's `ext::` transport,
make's `--eval '$(shell …)'`, and tmux's and screen's sessions.

What they run is read as if typed (the shell analysis follows it); what they write is a write.
Knowledge as data: one table per way, keyed by program, like the families' tables; the
GTFOBins project lists the same escapes from the attacker's side.
"""

from __future__ import annotations

import re

from magistrate.analysis.shell_args import quote

# program -> options whose value is a command line the program runs through the shell.
OPTION_COMMANDS: dict[str, frozenset[str]] = {
    "tar": frozenset(
        {"--to-command", "--checkpoint-action", "--use-compress-program", "-I",
         "--info-script", "-F", "--new-volume-script", "--rsh-command"}
    ),
    "gtar": frozenset({"--to-command", "--checkpoint-action", "--use-compress-program", "-I"}),
    "rsync": frozenset({"-e", "--rsh"}),
    "zip": frozenset({"-TT", "--unzip-command"}),
    "man": frozenset({"-P", "--pager", "-H", "--html"}),
    "tcpdump": frozenset({"-z"}),
    "mysql": frozenset({"--pager"}),
    "fzf": frozenset({"--preview"}),
}  # fmt: skip
# git subcommand -> its options whose value is a command (`git rebase -x CMD`; `git grep -O`
# takes its pager only glued: `-Ocmd`, `--open-files-in-pager=cmd`).
_GIT_OPTION_COMMANDS: dict[str, frozenset[str]] = {
    "grep": frozenset({"--open-files-in-pager"}),
    "rebase": frozenset({"-x", "--exec"}),
    "difftool": frozenset({"-x", "--extcmd"}),
    "clone": frozenset({"--upload-pack", "-u"}),
    "fetch": frozenset({"--upload-pack"}),
    "pull": frozenset({"--upload-pack"}),
    "ls-remote": frozenset({"--upload-pack"}),
    "push": frozenset({"--receive-pack", "--exec"}),
    "archive": frozenset({"--exec"}),
}
# Pagers whose `+CMD` option runs a pager command at start; `!` escapes to the shell.
_PAGERS = frozenset({"less", "more", "most"})
_DEBUGGERS = frozenset({"gdb", "lldb"})

# Variables a program runs as a command: name -> the word for `via`.
COMMAND_VARIABLES: dict[str, str] = {
    "PROMPT_COMMAND": "startup", "PAGER": "pager", "GIT_PAGER": "pager", "MANPAGER": "pager",
    "SYSTEMD_PAGER": "pager", "PSQL_PAGER": "pager", "LESSOPEN": "pager", "LESSCLOSE": "pager",
    "EDITOR": "editor", "VISUAL": "editor", "GIT_EDITOR": "editor", "GIT_SEQUENCE_EDITOR": "editor",
    "GIT_SSH_COMMAND": "git", "GIT_SSH": "git", "GIT_EXTERNAL_DIFF": "git",
    "GIT_PROXY_COMMAND": "git", "GIT_ASKPASS": "askpass", "SSH_ASKPASS": "askpass",
    "SUDO_ASKPASS": "askpass", "BROWSER": "browser", "RSYNC_RSH": "rsync",
    "FZF_DEFAULT_COMMAND": "fzf",
}  # fmt: skip
_ASSIGNED = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\+?=(.*)$", re.S)

# program -> options whose value is a file the program writes its output to.
OPTION_WRITES: dict[str, frozenset[str]] = {
    "find": frozenset({"-fprint", "-fprint0", "-fprintf", "-fls"}),
    "sort": frozenset({"-o", "--output"}),
    "git": frozenset({"--output"}),
    "shuf": frozenset({"-o", "--output"}),
}
_AWKS = frozenset({"awk", "gawk", "mawk", "nawk", "busybox awk"})
_SEDS = frozenset({"sed", "gsed"})


def _values(argv: list[str], options: frozenset[str]) -> list[str]:
    """The values of `options` in argv: `--opt=V`, `--opt V`, `-xV` (one-letter options)."""
    out: list[str] = []
    for k, a in enumerate(argv[:256]):
        if a == "--":
            break
        if a in options and k + 1 < len(argv):
            out.append(argv[k + 1])
        elif "=" in a and a.split("=", 1)[0] in options:
            out.append(a.split("=", 1)[1])
        elif len(a) > 2 and a[0] == "-" and a[1] != "-" and a[:2] in options:
            out.append(a[2:])
    return out


def option_effects(name: str, argv: list[str]) -> tuple[list[str], list[str]]:
    """The command lines a program runs from its options (and from what they name), and the
    files it writes because an option names them (`find -fprint F`, `sort -o F`, sed's `w F`);
    a sed or awk program is read once for both."""
    runs: list[str] = []
    writes: list[str] = []
    program: tuple[list[str], list[str]] = ([], [])  # what a sed or awk program runs, writes
    if options := OPTION_COMMANDS.get(name):
        runs += _values(argv, options - {"--checkpoint-action"})
    if options := OPTION_WRITES.get(name):
        writes += _values(argv, options)
    if name in ("tar", "gtar"):  # `--checkpoint-action=exec=CMD`: only `exec=` runs anything
        actions = _values(argv, frozenset({"--checkpoint-action"}))
        runs += [a[5:] for a in actions if a.startswith("exec=")]
    if name == "git":
        sub = _git_subcommand(argv)
        runs += _values(argv, _GIT_OPTION_COMMANDS.get(sub, frozenset()))
        if sub == "grep":  # (diff's and log's -O name an order file)
            runs += [a[2:] for a in argv[:64] if a.startswith("-O") and len(a) > 2]
        runs += [_ext_command(a) for a in argv[:64] if a.startswith("ext::")]
    elif name in _PAGERS:
        runs += [a[1:].lstrip(":")[1:] for a in argv[:64] if a.startswith("+") and "!" in a[:3]]
    elif name in _DEBUGGERS:
        runs += _debugger_commands(argv)
    elif name == "tmux":
        runs += _tmux_commands(argv)
    elif name == "screen":
        runs += _screen_commands(argv)
    elif name in ("make", "gmake"):
        runs += _make_commands(argv)
    elif name in _SEDS:
        program = sed_program(argv)
    elif name in _AWKS and (code := _first_operand(argv, frozenset({"-f", "-v", "-F"}))):
        program = awk_program(code)
    return (
        [c for c in runs + program[0] if c.strip()][:8],
        [w for w in writes + program[1] if w and not w.startswith("/dev/")][:8],
    )


def _git_subcommand(argv: list[str]) -> str:
    """git's subcommand, after its global options (`git -C dir -c k=v grep …`: grep)."""
    k = 0
    while k < len(argv) and argv[k].startswith("-"):
        k += 2 if argv[k] in ("-c", "-C", "--git-dir", "--work-tree", "--namespace") else 1
    return argv[k] if k < len(argv) else ""


def _ext_command(url: str) -> str:
    """git's `ext::CMD ARGS` remote runs CMD with ARGS (`% ` is a space inside one)."""
    words = re.split(r"(?<!%) ", url[5:])
    return " ".join(quote(w.replace("% ", " ").replace("%%", "%")) for w in words)


def _debugger_commands(argv: list[str]) -> list[str]:
    """`gdb -ex '!CMD'`, `-ex 'shell CMD'`, `-ex 'python import os; …'` is code (not here)."""
    out: list[str] = []
    for k, a in enumerate(argv[:64]):
        if a in ("-ex", "--ex", "-eval-command", "--eval-command") and k + 1 < len(argv):
            line = argv[k + 1].strip()
            if line.startswith("!"):
                out.append(line[1:])
            elif line.split(" ", 1)[0] in ("shell", "platform") and " " in line:
                out.append(line.split(" ", 1)[1].removeprefix("shell "))
    return out


# tmux commands that start a shell command (their last operands), and keys typed into a pane.
_TMUX_STARTS = frozenset(
    "new-session new new-window neww split-window splitw respawn-pane respawnp respawn-window"
    " respawnw run-shell run".split()
)
_TMUX_VALUED = frozenset("-s -n -c -t -x -y -e -f -F -l -p -S -L".split())


def _tmux_commands(argv: list[str]) -> list[str]:
    """`tmux new -d -s x 'CMD'` runs CMD; `tmux send-keys -t x 'CMD' Enter` types it."""
    k = 0
    while k < len(argv) and argv[k].startswith("-"):
        k += 2 if argv[k] in ("-S", "-L", "-f") else 1
    if k >= len(argv) or argv[k] not in _TMUX_STARTS | {"send-keys", "send"}:
        return []
    sub, rest, operands = argv[k], argv[k + 1 :], []
    j = 0
    while j < len(rest):
        if rest[j].startswith("-") and rest[j] != "-":
            # (a cluster's last letter may take the value: `new -ds NAME`)
            j += 2 if rest[j] in _TMUX_VALUED or "-" + rest[j][-1] in _TMUX_VALUED else 1
            continue
        operands.append(rest[j])
        j += 1
    if sub in ("send-keys", "send"):
        keys = [o for o in operands if o not in ("Enter", "C-m", "KPEnter")]
        return [" ".join(keys)] if keys else []
    return [" ".join(operands)] if operands else []


# screen: the options that take a value (a cluster ending in one: `-dmS NAME`), and those that
# attach to or list sessions (their operand is a session's name, not a command).
_SCREEN_VALUED = frozenset("S c e h p t T s Logfile".split())
_SCREEN_ATTACH = frozenset("-r -R -x -D -ls -list -wipe -Q -v -version".split())


def _screen_commands(argv: list[str]) -> list[str]:
    """`screen -dmS x CMD` runs CMD; `screen -S x -X stuff 'CMD^M'` types it; `-X exec CMD`."""
    if "-X" in argv:
        rest = argv[argv.index("-X") + 1 :]
        if rest[:1] == ["stuff"] and rest[1:]:
            return [rest[1].replace("^M", "\n").replace("\\n", "\n").strip()]
        return [" ".join(quote(w) for w in rest[1:])] if rest[:1] in (["exec"], ["screen"]) else []
    k = 0
    while k < len(argv) and argv[k].startswith("-"):
        if argv[k] in _SCREEN_ATTACH:
            return []
        k += 2 if argv[k][1:] in _SCREEN_VALUED or argv[k][-1:] == "S" else 1
    return [" ".join(quote(w) for w in argv[k:])] if k < len(argv) else []


_MAKE_SHELL = re.compile(r"\$[({]shell\s+([^)}]{1,2000})[)}]")


def _make_commands(argv: list[str]) -> list[str]:
    """make's `--eval`/`-E` text runs its `$(shell …)`; `SHELL=PROG` runs every recipe with
    PROG (read as PROG run)."""
    out: list[str] = []
    for text in _values(argv, frozenset({"--eval", "-E"})):
        out += _MAKE_SHELL.findall(text)
    out += [a.split("=", 1)[1] for a in argv[:64] if a.startswith(("SHELL=", ".SHELLFLAGS="))]
    return [c for c in out if c not in ("/bin/sh", "/bin/bash", "/usr/bin/bash", "bash", "sh")]


def command_variable(assignment: str) -> tuple[str, str] | None:
    """The command an assignment hands a program to run, and why (`PAGER='sh -c …'`,
    `LESSOPEN='| CMD %s'`); None for other variables."""
    m = _ASSIGNED.match(assignment)
    if m is None or m.group(1) not in COMMAND_VARIABLES:
        return None
    value = m.group(2).strip().strip("'\"")
    if m.group(1) in ("LESSOPEN", "LESSCLOSE"):
        value = value.lstrip("|").replace("%s", "FILE")
    return (value, COMMAND_VARIABLES[m.group(1)]) if value.strip() else None


def _first_operand(argv: list[str], valued: frozenset[str]) -> str | None:
    k = 0
    while k < len(argv):
        a = argv[k]
        if a == "--":
            return argv[k + 1] if k + 1 < len(argv) else None
        if a in valued:
            k += 2
            continue
        if not a.startswith("-") or a == "-":
            return a
        k += 1
    return None


# sed: an address (`1`, `$`, `/re/`, `1~2`), optionally a range and `!`, before a command.
_SED_ADDR = r"(?:\d+(?:~\d+)?|\$|/(?:[^/\\\n]|\\.)*/[IM]*)"
_SED_START = rf"(?:^|[;\n{{}}])\s*(?:{_SED_ADDR}(?:\s*,\s*{_SED_ADDR})?\s*!?\s*)?"
_SED_EXEC = re.compile(_SED_START + r"e\s*([^\s;}][^\n]*)")
_SED_WRITE = re.compile(_SED_START + r"[wW]\s*([^\s;}][^\n;}]*)")
# `s` with any delimiter; its flags (`e` runs the result, `w FILE` writes it).
_SED_SUBST = re.compile(
    r"s([^\w\s\\])((?:(?!\1)[^\\\n]|\\.)*)\1((?:(?!\1)[^\\\n]|\\.)*)\1([gpiImMe0-9]*)(w\s*[^\n;}]+)?"
)


def sed_program(argv: list[str]) -> tuple[list[str], list[str]]:
    """The commands a sed program runs (`e CMD`, `s/…/CMD/e`) and the files it writes
    (`w FILE`, `s/…/…/w FILE`)."""
    scripts = _values(argv, frozenset({"-e", "--expression"}))
    if not scripts and (first := _first_operand(argv, frozenset({"-f", "-l"}))):
        scripts = [first]
    runs: list[str] = []
    writes: list[str] = []
    for script in scripts[:8]:
        script = script[:4000]
        rest = script
        for m in _SED_SUBST.finditer(script):
            if "e" in m.group(4):
                runs.append(m.group(3).replace("\\" + m.group(1), m.group(1)))
            if m.group(5):
                writes.append(m.group(5)[1:].strip())
            rest = rest.replace(m.group(0), " ", 1)
        runs += [c.strip() for c in _SED_EXEC.findall(rest)]
        writes += [w.strip() for w in _SED_WRITE.findall(rest)]
    return runs, writes


_AWK_GETLINE = re.compile(r'"((?:[^"\\]|\\.){1,400})"\s*\|&?\s*getline\b')
_AWK_PIPE_TO = re.compile(r'(?<![|"])\|&?\s*"((?:[^"\\]|\\.){1,400})"')
# `print "CMD" | "sh"`: what is printed into a shell is what it runs (GTFOBins' form)
_AWK_INTO_SHELL = re.compile(
    r'\bprintf?\s*\(?\s*"((?:[^"\\]|\\.){1,400})"\s*\)?\s*\|&?\s*"(?:/bin/|/usr/bin/)?(?:ba|z|da|k)?sh"'
)
_AWK_TO_FILE = re.compile(r'\bprintf?\b[^;{}\n|]{0,200}?>>?\s*"((?:[^"\\]|\\.){1,400})"')


def awk_program(code: str) -> tuple[list[str], list[str]]:
    """The commands an awk program runs through pipes (`"CMD" | getline`, `print | "CMD"`)
    and the files it prints into (`print > "FILE"`); `system()` is read as program code."""
    code = code[:20_000]
    runs = _AWK_GETLINE.findall(code) + _AWK_PIPE_TO.findall(code) + _AWK_INTO_SHELL.findall(code)
    writes = _AWK_TO_FILE.findall(code)
    return [r.replace('\\"', '"') for r in runs], writes
