"""What a command's arguments say: key files, container commands, commands hidden in options,
programs spelled with globs and braces (pure functions the shell analyzer reads words with)."""

from __future__ import annotations

import fnmatch
import re

from magistrate.analysis import commands as C
from magistrate.analysis.invocation import basename
from magistrate.analysis.shell_lex import Word, lex

EXPANSION = re.compile(r"\$\([^)]*\)|\$\{[^}]*\}|\$\w+|`[^`]*`")
BACKTICK_CODE = re.compile(r"`([^`\n]{1,400})`|\bqx\s*[{(]([^})\n]{1,400})[})]")


BRACE_LIST = re.compile(r"^\{[^{}\s]*,[^{}\s]*\}$")
_GUESSABLE = (
    C.DELETERS
    | C.SHELLS
    | C.FETCHERS
    | C.RAW_SOCKETS
    | frozenset(C.CODE_INTERPRETERS)
    | frozenset({"chmod", "chown", "dd", "shred", "mkfs", "kill", "pkill", "reboot", "shutdown"})
)


def serves_files(name: str, argv: list[str]) -> bool:
    """Local web servers and tunnels that publish a folder: `python3 -m http.server`, `ngrok`."""
    if name in ("python", "python3", "python2") and "-m" in argv:
        k = argv.index("-m")
        return k + 1 < len(argv) and argv[k + 1] in ("http.server", "SimpleHTTPServer")
    if name in ("ngrok", "cloudflared", "lt", "localtunnel", "serveo", "bore"):
        return True
    if name in ("http-server", "serve", "php") and any(
        a.startswith(("0.0.0.0", "-S")) for a in argv
    ):
        return True
    return (
        name in ("npx", "busybox") and bool(argv) and argv[0] in ("http-server", "serve", "httpd")
    )


def identity_files(argv: list[str]) -> set[str]:
    """Key files a command authenticates with (`ssh -i KEY`, `-o IdentityFile=KEY`)."""
    keys: set[str] = set()
    for k, a in enumerate(argv):
        if a == "-i" and k + 1 < len(argv):
            keys.add(argv[k + 1])
        elif a.startswith("-i") and len(a) > 2 and a[2] != "-":
            keys.add(a[2:])
        elif "IdentityFile=" in a:
            keys.add(a.split("IdentityFile=", 1)[1])
    return keys


def quote(arg: str) -> str:
    if arg and all(c.isalnum() or c in "-_./=:@%+,{}~*" for c in arg):
        return arg
    return "'" + arg.replace("'", "'\\''") + "'"


_CONTAINER_VERBS = frozenset({"exec", "run", "debug"})


def after_container(argv: list[str]) -> list[str]:
    if "--" in argv:
        return argv[argv.index("--") + 1 :]
    # `docker exec [-it] [-u x] CONTAINER CMD…`: first operand after the subcommand is the target
    # (`docker -H tcp://host:2375 exec …`, `docker container exec …`: after the global options).
    k = next((i + 1 for i, a in enumerate(argv[:8]) if a in _CONTAINER_VERBS), 1)
    valued = {
        "-u",
        "--user",
        "-w",
        "--workdir",
        "-e",
        "--env",
        "-c",
        "--container",
        "-n",
        "--namespace",
        "--name",
        "-v",
        "--volume",
        "-p",
        "--publish",
        "--entrypoint",
        "--network",
        "--env-file",
        "-l",
        "--label",
        "--image",
    }
    while k < len(argv) and argv[k].startswith("-"):
        k += 2 if argv[k] in valued else 1
    return argv[k + 1 :]


# Per-driver keys whose value git runs through the shell: `filter.<x>.clean`, `diff.<x>.textconv`.
_GIT_DRIVER_KEYS = re.compile(
    r"^(filter\.[^.]+\.(clean|smudge|process)|diff\.[^.]+\.(textconv|command)"
    r"|merge\.[^.]+\.driver|credential\.[^.]+\.helper)$"
)


def git_command_key(key: str, value: str) -> bool:
    """Whether git runs the value of configuration `key` (lower case) as a command."""
    return (
        key in C.GIT_COMMAND_KEYS
        or (key.startswith("alias.") and value[:1] == "!")
        or _GIT_DRIVER_KEYS.match(key) is not None
    )


def commands_in_options(name: str, argv: list[str]) -> list[str]:
    """Shell commands hidden in options: `vim -c ':!cmd'`, `vim +'!cmd'`, `git -c
    core.pager='cmd' …`, `git -c alias.x='!cmd' x`."""
    out: list[str] = []
    for k, a in enumerate(argv):
        if name == "git":
            if a == "-c" and k + 1 < len(argv) and "=" in argv[k + 1]:
                key, _, value = argv[k + 1].partition("=")
                key = key.lower()
                if git_command_key(key, value):
                    out.append(value.lstrip("!"))
            continue
        value = argv[k + 1] if a in ("-c", "--cmd") and k + 1 < len(argv) else a[1:]
        if a in ("-c", "--cmd") or a.startswith("+"):
            ex = value.lstrip(": ")
            if ex.startswith("!"):
                out.append(ex[1:])
    return out


_GIT_CONFIG_SCOPES = frozenset({"--global", "--system", "--local", "--worktree", "--add"})
_GIT_CONFIG_VALUED = frozenset({"--file", "-f", "--blob", "--type", "--comment"})
_NPM_SCRIPT = re.compile(r"^scripts\.[\w:-]+=(.+)$", re.S)


def commands_configured(name: str, argv: list[str]) -> list[str]:
    """Commands a configuring command stores for a program to run later by itself: `git config
    [--global] core.sshCommand CMD`, `git config alias.x '!CMD'`, `npm pkg set
    scripts.postinstall=CMD`, `kubectl config set-credentials --exec-command=CMD`."""
    if name == "git" and "config" in argv:
        rest = argv[argv.index("config") + 1 :]
        words: list[str] = []
        k = 0
        while k < len(rest):
            if rest[k] in _GIT_CONFIG_VALUED:
                k += 2
                continue
            if rest[k] not in _GIT_CONFIG_SCOPES and rest[k] != "set":
                words.append(rest[k])
            k += 1
        if len(words) >= 2 and not words[0].startswith("-"):
            key, value = words[0].lower(), words[1]
            if git_command_key(key, value):
                return [value.lstrip("!")]
        return []
    if name in ("npm", "pnpm", "yarn") and argv[:1] == ["set-script"]:
        return argv[2:3]  # npm 7's `npm set-script NAME CMD`
    if name in ("npm", "pnpm", "yarn") and argv[:2] == ["pkg", "set"]:
        return [m.group(1) for a in argv[2:] if (m := _NPM_SCRIPT.match(a))]
    if name in ("kubectl", "oc") and "set-credentials" in argv:
        return [a.split("=", 1)[1] for a in argv if a.startswith("--exec-command=")] + [
            argv[k + 1] for k, a in enumerate(argv[:-1]) if a == "--exec-command"
        ]
    return []


# ssh and the programs that take its options: `-o ProxyCommand=…` and the like run a command
# on this machine (through the shell) before or after connecting.
SSH_OPTION_USERS = frozenset({"ssh", "scp", "sftp", "autossh", "sshfs", "ssh.exe", "scp.exe"})
_SSH_COMMAND_OPTION = re.compile(
    r"^(proxycommand|localcommand|knownhostscommand)\s*(?:=|\s)\s*(.+)$", re.I | re.S
)


def ssh_option_commands(argv: list[str]) -> list[str]:
    """Commands in ssh's options: `-o ProxyCommand='sh -c …'`, `-oLocalCommand=…`."""
    out: list[str] = []
    for k, a in enumerate(argv):
        if a == "-o" and k + 1 < len(argv):
            option = argv[k + 1]
        elif a.startswith("-o") and len(a) > 2:
            option = a[2:]
        else:
            continue
        m = _SSH_COMMAND_OPTION.match(option.strip())
        if m and m.group(2).strip().lower() != "none":
            out.append(m.group(2).strip())
    return out


def spelled_program(head: str) -> str | None:
    """The program a globbed or partly expanded name must be: `/???/?m` → rm (the only known
    program it matches), `r${x}m` → rm (unknown expansions may be empty)."""
    tail = head.rsplit("/", 1)[-1]
    if len(tail) > 64:  # program names are short (and fnmatch.translate is quadratic on `[[[…`)
        return None
    if "$" in tail or "`" in tail:
        stripped = EXPANSION.sub("", tail)
        return stripped if stripped in _GUESSABLE else None
    if "?" not in tail and "*" not in tail and "[" not in tail:
        return None
    pattern = re.compile(fnmatch.translate(tail))
    found = sorted(p for p in _GUESSABLE if pattern.match(p))
    return found[0] if found else None


def substitution_source(subs: list[str]) -> str | None:
    """ "network" when a substitution downloads, "decoder" when it decodes, else None."""
    for sub in subs:
        if runs_fetcher(sub):
            return "network"
        words = [t.text for t in lex(sub) if isinstance(t, Word)]
        if any(basename(w) in C.DECODERS for w in words) and {"-d", "--decode", "-D"} & set(words):
            return "decoder"
    return None


def runs_fetcher(code: str) -> bool:
    for tok in lex(code):
        if isinstance(tok, Word) and basename(tok.text) in C.FETCHERS | C.RAW_SOCKETS:
            return True
    return False


def replace_string(options: list[str]) -> str | None:
    """The mark `xargs` replaces with each input item: `-I X`, `-IX`, `-i`, `--replace[=X]`."""
    for k, a in enumerate(options):
        if a == "-I":
            return options[k + 1] if k + 1 < len(options) and options[k + 1] else None
        if a in ("-i", "--replace"):
            return "{}"
        if a.startswith("--replace="):
            return a.split("=", 1)[1] or "{}"
        if a.startswith(("-I", "-i")) and len(a) > 2:
            return a[2:]
    return None


def parallel_lines(argv: list[str], limit: int = 4) -> list[str]:
    """The command lines GNU parallel runs from a template and its `:::` values (the first
    `limit`): `{}` replaced by each value, or the value appended."""
    template, values = argv[0], []
    if ":::" in argv:
        values = [v for v in argv[argv.index(":::") + 1 :] if v not in (":::", "::::")]
    if not values:
        return [template]
    return [
        template.replace("{}", v) if "{}" in template else f"{template} {quote(v)}"
        for v in values[:limit]
    ]
