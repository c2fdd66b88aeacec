"""Shell analysis, third part: the code a command runs, followed where the shell would —
nested shells (`bash -c`, `eval`, encoded PowerShell), interpreters' inline code and scripts,
code fed on stdin (heredocs, pipes from downloads and decoders), `find -exec`, remote and
scheduled commands."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import replace

from magistrate.analysis import commands as C
from magistrate.analysis.code import MAX_CODE, analyze_code
from magistrate.analysis.dynamic import cmd_variables, decode_literal, evaluate_substitution
from magistrate.analysis.environments import is_env_file
from magistrate.analysis.facts import Fact
from magistrate.analysis.families.disposable import disposable_database, stays_put
from magistrate.analysis.feeds import find_name
from magistrate.analysis.feeds import find_target as _find_target
from magistrate.analysis.feeds import listed_paths as _listed_paths
from magistrate.analysis.feeds import option_value as _option_value
from magistrate.analysis.invocation import Invocation
from magistrate.analysis.loops import PER_ITEM_BLOCKS, bind_item, block_words, feeder
from magistrate.analysis.option_commands import option_effects
from magistrate.analysis.prose_commands import COMMON_COMMANDS
from magistrate.analysis.runners import fleet_command as _fleet_command
from magistrate.analysis.shell_args import (
    BACKTICK_CODE,
    SSH_OPTION_USERS,
    after_container,
    commands_configured,
    commands_in_options,
    quote,
    runs_fetcher,
    serves_files,
    ssh_option_commands,
)
from magistrate.analysis.shell_effects import EffectsRun
from magistrate.analysis.shell_lex import Word
from magistrate.analysis.shell_state import NET_DEVICE, SimpleCommand, read_variables
from magistrate.analysis.transfer_sessions import TRANSFER_CLIENTS, session_lines

__all__ = ["FollowRun"]

_SHELL_C_FLAG = re.compile(r"^-[a-zA-Z]*c[a-zA-Z]*$")
_VALUED_SHELL_OPTIONS = frozenset({"-O", "+O", "-o", "+o", "--rcfile", "--init-file"})
_PWSH_COMMAND = frozenset({"-command", "-c", "/c", "-commandwithargs"})
_PWSH_ENCODED = frozenset({"-encodedcommand", "-enc", "-e", "-ec"})
# Decoded text that is not a script: control characters, bytes that were not UTF-16.
_NOT_PLAIN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]")


def _hidden_window(argv: list[str]) -> bool:
    """`-w hidden`, `-WindowStyle Hidden`: PowerShell run where nobody sees it."""
    lower = [a.lower() for a in argv]
    return any(
        a in ("-w", "-win", "-window", "-windowstyle")
        and k + 1 < len(lower)
        and lower[k + 1] == "hidden"
        for k, a in enumerate(lower)
    )


# A value that reads as code rather than a file name or a word: blanks or shell punctuation.
_LOOKS_LIKE_CODE = re.compile(r"[\s;|&$()`'\"<>=]")
# Options that hand a program inline code, whatever the program (for names we cannot see).
_INLINE_CODE_OPTIONS = frozenset({"-c", "-e", "-E", "-r", "--eval", "-command", "-Command"})
# A payload that is nothing but an expansion the analysis could not resolve: `$CMD`, `"${X}"`.
_UNRESOLVED = re.compile(r'^\s*"?(?:\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\$[0-9@*])"?\s*$')


_STDIN_FILES = frozenset({"/dev/stdin", "/dev/fd/0", "/proc/self/fd/0", "-"})
_SCRIPT_READERS = C.SHELLS | {"source", "."}  # `bash <(…)`, `source <(…)`: what it prints runs


class FollowRun(EffectsRun):
    """The code the commands of a line run, read as what it is (shell, program code, SQL)."""

    def _follow(
        self,
        inv: Invocation,
        s: SimpleCommand,
        words: list[Word],
        depth: int,
        via: tuple[str, ...],
        env: dict[str, str],
        where: tuple[int, int],
    ) -> None:
        name, argv = inv.name, inv.argv
        nested_via = (*via, name)
        stdin_code = self._stdin_code(s)
        if name in C.SHELLS:
            if any(r.target is not None and NET_DEVICE.match(r.target.text) for r in s.redirects):
                self.out.facts.setdefault(Fact.REVERSE_SHELL, " ".join([name, *argv])[:120])
            script = self._shell_script_arg(name, argv)
            if script is not None:
                self._code_from_words(script, words, depth, nested_via, env, where)
                if name in C.POWERSHELLS:  # .NET calls in the script: read it as code too
                    self._program_code(script, depth, nested_via, env, where, [])
            elif inv.operands and inv.operands[0] != "-" and not inv.flags & {"s"}:
                self._exec_file(inv.operands[0], name, words)
            else:
                self._stdin_exec(s, stdin_code, "shell", depth, nested_via, env, where)
        elif name == "$dynamic":
            self._dynamic(inv, s, stdin_code, words, depth, nested_via, env, where)
        elif name in PER_ITEM_BLOCKS and (block := block_words(inv)) is not None:
            self._per_item_block(s, block, depth, nested_via, env, where)
        elif name in C.SCRIPT_BLOCK_RUNNERS or name in C.PROCESS_STARTERS:
            self._powershell_block(inv, depth, nested_via, env, where)
        elif name == "eval" or name == "iex" or name == "invoke-expression":
            self._code_from_words(" ".join(argv), words, depth, nested_via, env, where)
        elif name == "trap" and inv.operands and inv.operands[0] not in ("-", "''", '""'):
            self.script(inv.operands[0], depth + 1, nested_via, dict(env), span=where)  # runs later
        elif (name in ("source", ".") or name in C.ENV_LOADERS) and (inv.operands or s.prev):
            if not inv.operands or inv.operands[0] in _STDIN_FILES:  # `curl … | source` (fish)
                self._stdin_exec(s, stdin_code, "shell", depth, nested_via, env, where)
            else:  # direnv's loaders as `source`: an env file's variables loaded, not shown
                self._exec_file(inv.operands[0], "source" if name in C.ENV_LOADERS else name, words)
        elif name in ("awk", "gawk", "mawk", "nawk") and inv.operands:
            self._program_code(inv.operands[0], depth, nested_via, env, where, words)
        elif name in C.CODE_INTERPRETERS:
            self._interpreter(inv, s, stdin_code, words, depth, nested_via, env, where)
        elif name in C.SQL_CLIENTS:
            self._sql_client(inv, s, stdin_code)
        elif (remote := _fleet_command(name, argv)) is not None:
            # `ssh host CMD`, `ansible all -m shell -a CMD --become`, `salt '*' cmd.run CMD`,
            # `pdsh -w h CMD`, `runas /user:Administrator CMD`: run elsewhere or as another user.
            self.script(remote, depth + 1, nested_via, {}, span=where)
        elif name in ("su", "runuser", "script", "flock") and (
            "c" in inv.flags or "command" in inv.flags
        ):  # `su -c CMD`, `script -qc CMD /dev/null`, `flock /tmp/l -c CMD`
            code = _option_value(argv, frozenset({"-c", "--command"}))
            if code is not None:
                self.script(code, depth + 1, nested_via, dict(env), span=where)
        elif name in ("docker", "podman", "kubectl", "oc") and inv.subcommand.removeprefix(
            "container "
        ).startswith(("exec", "run", "debug")):
            rest = after_container(argv)
            if rest:
                self.script(" ".join(quote(a) for a in rest), depth + 1, nested_via, {}, span=where)
        elif name == "find":
            self._find(inv, depth, nested_via, env, where)
        elif name in C.EX_EDITORS or name == "git":
            for command in commands_in_options(name, argv):
                self.script(command, depth + 1, nested_via, {}, span=where)
        elif name in ("wmic", "wmic.exe") and "create" in [a.lower() for a in argv]:
            self.script(argv[-1], depth + 1, nested_via, {}, span=where)
        elif name in ("schtasks", "schtasks.exe", "at.exe"):
            task = _option_value(argv, frozenset({"/tr", "/TR", "-tr"}))
            if task:
                self.script(task, depth + 1, nested_via, {}, span=where)
        elif serves_files(name, argv):
            self._add("send", "0.0.0.0", name)  # a server anyone on the network can read
        elif name in TRANSFER_CLIENTS:  # `sftp host <<< 'put ~/.ssh/id_rsa'`: as scp would
            self._transfer(inv, s, stdin_code, depth, nested_via, where)
        elif name in _STDIN_SCRIPTS and stdin_code is not None:  # `at`, `make -f - <<EOF`
            self.script(_fed(name, argv, stdin_code), depth + 1, nested_via, dict(env), span=where)
        self._commands_in_settings(name, argv, depth, nested_via, where, stdin_code, env)

    def _transfer(
        self,
        inv: Invocation,
        s: SimpleCommand,
        stdin_code: str | None,
        depth: int,
        via: tuple[str, ...],
        where: tuple[int, int],
    ) -> None:
        """A file-transfer session's commands, fed or given by option, as plain commands."""
        fed = stdin_code if stdin_code is not None else s.prev.literal if s.prev else None
        for line in session_lines(inv.name, inv.argv, fed):
            self.script(line, depth + 1, via, {}, span=where)

    def _commands_in_settings(
        self,
        name: str,
        argv: list[str],
        depth: int,
        via: tuple[str, ...],
        where: tuple[int, int],
        stdin_code: str | None,
        env: dict[str, str],
    ) -> None:
        """Commands given as settings (ssh's and other options, sed's and awk's programs, aliases,
        values a program runs later by itself), and the variables `read` assigns."""
        if name == "read" and stdin_code is not None:
            read_variables(argv, stdin_code, env)  # `IFS=, read -r a b <<< 'x,y'`: a=x, b=y
        if name in SSH_OPTION_USERS:  # `ssh -o ProxyCommand=… host [cmd]`: runs here first
            for command in ssh_option_commands(argv):
                self.script(command, depth + 1, via, {}, span=where)
        runs, writes = option_effects(name, argv)  # `tar --to-command=…`, `sed 'e …'`, `sort -o`
        if name == "touch":  # `touch -- --x=…`, `touch ./-e…`: names a glob passes as options
            made = argv[argv.index("--") + 1 :] if "--" in argv else []
            made += [a[2:] for a in argv if a.startswith("./-")]
            self.option_files += [a for a in made if a[:1] == "-"][:8]
        elif self.option_files and "*" in argv:  # `tar cf b.tar *`: the glob passes them
            globbed = option_effects(name, [*argv, *self.option_files])
            if globbed[0] != runs:
                evidence = f"a command passed as file names to {name}: {self.option_files[-1]}"
                self.out.facts.setdefault(Fact.DECODED_EXEC, evidence[:160])
            runs, writes = globbed
        for command in runs:
            self.script(command, depth + 1, (*via, name), {}, span=where)
        for path in writes:
            self._add("write", path, name)
        if name == "alias":
            self._define_aliases(argv, depth, via, where)
        for command in commands_configured(name, argv)[:8]:  # `git config alias.x '!…'`
            self.script(command, depth + 1, (*via, "config"), {}, span=where)

    def _define_aliases(
        self, definitions: list[str], depth: int, via: tuple[str, ...], where: tuple[int, int]
    ) -> None:
        """`alias name='command'`: remembered, so that a later use on the line runs the
        command (`alias ll='rm -rf /'; ll`); one that shadows a common command (`ls`, `sudo`,
        `git`) is a trap every later use falls into, so its command is read now."""
        for word in definitions:
            name, eq, value = word.partition("=")
            if not eq or not value.strip():
                continue
            self.aliases[name] = value
            if name in COMMON_COMMANDS:
                self.script(value, depth + 1, via, {}, span=where)

    def _interpreter(
        self,
        inv: Invocation,
        s: SimpleCommand,
        stdin_code: str | None,
        words: list[Word],
        depth: int,
        nested_via: tuple[str, ...],
        env: dict[str, str],
        where: tuple[int, int],
    ) -> None:
        """python -c, node -e, perl -e…: inline code, a script file, or code read from stdin."""
        name, argv = inv.name, inv.argv
        code = _option_value(argv, C.CODE_INTERPRETERS[name])
        if code is not None:
            self._program_code(code, depth, nested_via, env, where, words)
            if name in C.BACKTICK_INTERPRETERS:  # ruby -e '`rm -rf /`', perl qx{…}
                for cmd in BACKTICK_CODE.findall(code[:20_000]):
                    self.script(next(c for c in cmd if c), depth + 1, nested_via, {}, span=where)
        elif inv.operands and inv.operands[0] != "-":
            ops = inv.operands
            script = (
                ops[1] if ops[0] == "run" and len(ops) > 1 and name in ("deno", "bun") else ops[0]
            )
            if script.startswith(("https://", "http://")):  # `deno run -A https://…/mod.ts`
                self.out.facts.setdefault(Fact.REMOTE_CODE, f"{name} runs {script[:100]}")
            self._exec_file(script, name, words)
        else:
            self._stdin_exec(s, stdin_code, "code", depth, nested_via, env, where)

    def _sql_client(self, inv: Invocation, s: SimpleCommand, stdin_code: str | None) -> None:
        """psql -c, mysql -e, sqlite3 DB SQL, or SQL piped in: handed to the SQL analyzer."""
        if inv.name == "bq":  # `bq query --use_legacy_sql=false 'SQL'`: its last operand
            if any(a.startswith(("--dry_run", "--dry-run")) for a in inv.argv):
                return  # the query is validated and priced, not run
            after = inv.argv[inv.argv.index("query") + 1 :] if "query" in inv.argv else []
            queries = [a for a in after if a[:1] != "-"]
            sql = queries[-1] if queries else None
        else:
            sql = _option_value(inv.argv, C.SQL_CLIENTS[inv.name])
        if sql is None and inv.name in ("sqlite3", "duckdb") and len(inv.operands) >= 2:
            sql = inv.operands[1]
        if sql is None:
            sql = stdin_code if stdin_code is not None else s.prev.literal if s.prev else None
        if sql is None:
            return
        given = sum(a in C.SQL_CLIENTS[inv.name] for a in inv.argv)  # `psql -c A -c B`: one
        if (
            given <= 1
            and stays_put(sql)
            and disposable_database(inv, self.out.invocations) is not None
        ):
            self.out.sql_disposable.append((sql, inv.name))
        else:
            self.out.sql.append(sql)

    def _dynamic(
        self,
        inv: Invocation,
        s: SimpleCommand,
        stdin_code: str | None,
        words: list[Word],
        depth: int,
        via: tuple[str, ...],
        env: dict[str, str],
        where: tuple[int, int],
    ) -> None:
        """A program whose name is unknown: its payload is judged as a shell would run it."""
        payload = _option_value(inv.argv, _INLINE_CODE_OPTIONS)
        shown = " ".join(["$dynamic", *inv.argv])[:120]
        if payload is not None:
            if _LOOKS_LIKE_CODE.search(payload):  # not `$X -c config.yaml`
                self.out.facts.setdefault(Fact.DYNAMIC_COMMAND_PAYLOAD, shown)
            self._code_from_words(payload, words, depth, via, env, where)
            self._program_code(payload, depth, via, env, where, [])
        elif s.prev is not None or stdin_code is not None or any(r.op == "<" for r in s.redirects):
            self.out.facts.setdefault(Fact.DYNAMIC_COMMAND_PAYLOAD, shown)
            self._stdin_exec(s, stdin_code, "shell", depth, via, env, where)
        for w in words[1:]:
            if w.process_sub:  # `$SHELL <(curl …)`, `$X < <(curl …)`: a script from elsewhere
                self._exec_file(w.text, "$dynamic", [w])

    def _powershell_block(
        self,
        inv: Invocation,
        depth: int,
        via: tuple[str, ...],
        env: dict[str, str],
        where: tuple[int, int],
    ) -> None:
        """`Invoke-Command -ScriptBlock { … }`, `Start-Process prog -ArgumentList '…'`: the
        block, or the program with its arguments, runs."""
        lower = [a.lower() for a in inv.argv]
        if inv.name in C.SCRIPT_BLOCK_RUNNERS:
            k = lower.index("-scriptblock") + 1 if "-scriptblock" in lower else 0
            block = " ".join(inv.argv[k:]).strip().removeprefix("{").removesuffix("}")
            self.script(block, depth + 1, via, dict(env), span=where)
            return
        program = _option_value(inv.argv, frozenset({"-FilePath", "-filepath", "-FilePath:"}))
        rest = [
            a
            for k, a in enumerate(inv.argv)
            if not a.startswith("-") and (k == 0 or not inv.argv[k - 1].startswith("-"))
        ]
        program = program or (rest[0] if rest else None)
        args = _option_value(inv.argv, frozenset({"-ArgumentList", "-argumentlist", "-Args"}))
        if program:
            self.script(f"{quote(program)} {args or ''}", depth + 1, via, dict(env), span=where)

    def _per_item_block(
        self,
        s: SimpleCommand,
        block: list[str],
        depth: int,
        via: tuple[str, ...],
        env: dict[str, str],
        where: tuple[int, int],
    ) -> None:
        """`gci X | ForEach-Object { Remove-Item $_ }`: the block runs for each item the
        pipeline feeds it, `$_` standing for one (X's items: X, as `Remove-Item` fed by
        `gci X` reads)."""
        source = feeder(s.prev)
        listed = _listed_paths(source, self.classify) if source is not None else []
        words = bind_item(block, listed[0] if listed else None)
        self.script(" ".join(quote(w) for w in words), depth + 1, via, dict(env), span=where)

    def _shell_script_arg(self, name: str, argv: list[str]) -> str | None:
        if name in ("pwsh", "powershell", "powershell.exe", "cmd", "cmd.exe"):
            for k, a in enumerate(argv):
                low = a.lower()
                if low in _PWSH_COMMAND and k + 1 < len(argv):
                    script = " ".join(argv[k + 1 :])
                    return cmd_variables(script) if name.startswith("cmd") else script
                if low in _PWSH_ENCODED and k + 1 < len(argv):
                    # PowerShell's documented way to pass a script whole: judged by what it
                    # says once decoded. Hidden only when it does not decode to plain text or
                    # runs with its window hidden (`-w hidden -enc …`).
                    evidence = f"{name} {a} {argv[k + 1][:60]}"
                    try:
                        blob = argv[k + 1]
                        script = base64.b64decode(blob + "=" * (-len(blob) % 4)).decode(
                            "utf-16-le", "replace"
                        )
                    except (binascii.Error, ValueError):
                        self.out.facts.setdefault(Fact.DECODED_EXEC, evidence)
                        return None
                    if _NOT_PLAIN.search(script) or _hidden_window(argv):
                        self.out.facts.setdefault(Fact.DECODED_EXEC, evidence)
                    self.out.derived.append(script)
                    return script.replace("\\", "/")  # PowerShell's paths, as `analyze` reads them
            return None
        for k, a in enumerate(argv):
            if _SHELL_C_FLAG.match(a) and k + 1 < len(argv):
                return bind_positional(argv[k + 1], argv[k + 2 :])
            if not a.startswith(("-", "+")) and not (k and argv[k - 1] in _VALUED_SHELL_OPTIONS):
                return None  # (`bash -O expand_aliases -c …`: an option's value, read on)
        return None

    def _code_from_words(
        self,
        code: str,
        words: list[Word],
        depth: int,
        via: tuple[str, ...],
        env: dict[str, str],
        where: tuple[int, int],
    ) -> None:
        for w in words:
            for sub in w.subs:
                if runs_fetcher(sub):
                    self.out.facts.setdefault(
                        Fact.REMOTE_CODE, f"code from $( {sub.strip()[:80]} )"
                    )
            self._hidden_source(w)
        if _UNRESOLVED.match(code):  # `bash -c "$CMD"`, `eval $X`: code nobody can read here
            self.out.facts.setdefault(
                Fact.DYNAMIC_COMMAND_PAYLOAD, f"runs the value of {code[:60]}"
            )
        self.script(code, depth + 1, via, dict(env), span=where)

    def _program_code(
        self,
        code: str,
        depth: int,
        via: tuple[str, ...],
        env: dict[str, str],
        where: tuple[int, int],
        words: list[Word],
    ) -> None:
        self.out.code.append(code)
        for w in words:
            for sub in w.subs:
                if runs_fetcher(sub):
                    self.out.facts.setdefault(
                        Fact.REMOTE_CODE, f"code from $( {sub.strip()[:80]} )"
                    )
        found = analyze_code(code, self.classifier)
        self.out.effects.extend(found.effects)
        if found.truncated:
            self.limit(f"program code longer than {MAX_CODE:,} characters")
        for fact, evidence in found.facts():
            self.out.facts.setdefault(fact, evidence)
        for payload in found.decoded:
            self.out.facts.setdefault(
                Fact.DECODED_EXEC, f"encoded payload run by code: {payload[:60]}"
            )
            self.out.derived.append(payload)
        for command in found.shell:
            self.script(command, depth + 1, via, {}, span=where)

    def _stdin_exec(
        self,
        s: SimpleCommand,
        heredoc: str | None,
        lang: str,
        depth: int,
        via: tuple[str, ...],
        env: dict[str, str],
        where: tuple[int, int],
    ) -> None:
        """An interpreter reading its program from stdin: follow where that program comes from."""
        if heredoc is not None:
            self._run_code(heredoc, lang, depth, via, env, where)
            return
        for r in s.redirects:
            if r.op == "<" and r.target is not None:
                self._exec_file(r.target.text, via[-1] if via else "sh", [r.target])
                return
        prev = s.prev
        if prev is None:
            return
        if prev.source == "network":
            inv = prev.invocation
            shown = " ".join([inv.name, *inv.argv]) if inv else "network"
            self.out.facts.setdefault(
                Fact.REMOTE_CODE, f"{shown[:100]} | {via[-1] if via else 'sh'}"
            )
            return
        if prev.source == "decoder":
            self.out.facts.setdefault(
                Fact.DECODED_EXEC, f"decoded data piped to {via[-1] if via else 'sh'}"
            )
            payload = _decode_chain(prev)
            if payload:
                self.out.derived.append(payload)
                self._run_code(payload, lang, depth, via, env, where)
            return
        if prev.literal is not None:
            self._run_code(prev.literal, lang, depth, via, env, where)
        elif (
            prev.invocation is not None
            and prev.invocation.name == "cat"
            and prev.invocation.operands
        ):
            self._exec_file(prev.invocation.operands[0], via[-1] if via else "sh", [])

    def _run_code(
        self,
        code: str,
        lang: str,
        depth: int,
        via: tuple[str, ...],
        env: dict[str, str],
        where: tuple[int, int],
    ) -> None:
        if lang == "shell":
            self.script(code, depth + 1, via, dict(env), span=where)
        else:
            self._program_code(code, depth, via, env, where, [])

    def _exec_file(self, path: str, interpreter: str, words: list[Word]) -> None:
        for w in words:
            if w.process_sub and any(runs_fetcher(sub) for sub in w.subs):
                self.out.facts.setdefault(Fact.REMOTE_CODE, f"{interpreter} {w.text[:100]}")
                return
            if w.process_sub and w.text == path and interpreter in _SCRIPT_READERS:
                # `bash <(echo 'rm -rf ~')`: the script is what the substitution prints
                for sub in w.subs[:4]:
                    printed, _ = evaluate_substitution(sub)
                    if printed:
                        self.script(printed, 1, (interpreter, "<()"), {}, span=(w.start, w.end))
        base = path.rstrip("/").rsplit("/", 1)[-1]
        if path in self.downloaded or base in self.downloaded:
            self.out.facts.setdefault(Fact.REMOTE_CODE, f"{interpreter} runs downloaded {path}")
        self._add("exec", path, interpreter)
        if interpreter in ("source", ".") and is_env_file(path):  # loaded, shown to nobody
            e = self.out.effects[-1]
            self.out.effects[-1] = replace(e, classes=e.classes - {"secret"})

    def _find(
        self,
        inv: Invocation,
        depth: int,
        via: tuple[str, ...],
        env: dict[str, str],
        where: tuple[int, int],
    ) -> None:
        argv = inv.argv
        roots: list[str] = []
        k = 0
        while k < len(argv) and not argv[k].startswith(("-", "(", "!")):
            roots.append(argv[k])
            k += 1
        roots = roots or ["."]
        name = find_name(argv)
        targets = [_find_target(r, name, self.classify) for r in roots]
        if "delete" in inv.flags:
            for t in targets:
                self._add("delete", t, "find -delete")
        if name and "/" not in name and targets[0] == roots[0]:
            # A broad root is all it may reach; a command run on each match gets the match,
            # in the root itself or deeper (`find ~ -name '.*_history' -exec ln -sf /dev/null
            # {} \;`, `find /home -name 'id_*' -exec cat {} \;`): -exec reads all three.
            root = roots[0].rstrip("/")
            targets += [f"{root}/{name}", f"{root}/**/{name}"]
        while k < len(argv):
            if argv[k] in ("-exec", "-execdir", "-ok", "-okdir"):
                j = k + 1
                cmd: list[str] = []
                while j < len(argv) and argv[j] not in (";", "+"):
                    cmd.append(argv[j])
                    j += 1
                for target in dict.fromkeys([targets[0], *targets[-2:]]) if cmd else ():
                    filled = [a.replace("{}", target) for a in cmd]
                    self.script(
                        " ".join(quote(a) for a in filled), depth + 1, via, dict(env), span=where
                    )
                k = j
            k += 1


def _decode_chain(prev: SimpleCommand) -> str | None:
    """If a decoder is fed a literal (`echo PAYLOAD | base64 -d`), the decoded text."""
    src, inv = prev.prev, prev.invocation
    if src is None or src.literal is None or inv is None:
        return None
    return decode_literal(inv.name, inv.operands, src.literal)


_POSITIONAL = re.compile(r'"\$(?:\{(\d)\}|(\d))"|\$(?:\{(\d)\}|(\d))|"\$[@*]"|\$[@*]')


def bind_positional(script: str, params: list[str]) -> str:
    """`sh -c SCRIPT A0 A1 …`: the script with `$0`, `$1`… and `$@` as the words given after it
    (`sh -c 'rm -rf "$0"' "$HOME"` removes the home folder), each as one word."""
    if not params or "$" not in script:
        return script

    def word(value: str) -> str:
        return f'"{value}"' if not any(c in value for c in '"`\\') else quote(value)

    def bound(m: re.Match[str]) -> str:
        digit = next((g for g in m.groups() if g is not None), None)
        if digit is None:  # `$@`: every parameter after $0
            return " ".join(word(v) for v in params[1:])
        n = int(digit)
        return word(params[n]) if n < len(params) else m.group(0)

    return _POSITIONAL.sub(bound, script)


# Programs that run what stdin holds later or as recipes: `at`, `crontab -`, `make -f -`.
_STDIN_SCRIPTS = frozenset({"at", "batch", "crontab", "make", "gmake"})
_MAKE_VARIABLE = re.compile(r"\$[({](\w+)[)}]")


def _fed(name: str, argv: list[str], code: str) -> str:
    """The commands a program fed `code` on stdin runs: a Makefile's recipe lines (make's
    `$(HOME)` is the shell's `$HOME`, `$$` a `$`) when make reads its Makefile from stdin."""
    if name not in ("make", "gmake"):
        return code
    if not any(a in ("-", "/dev/stdin") for a in argv) and "-f-" not in argv:
        return ""
    recipes = [line[1:] for line in code.splitlines() if line.startswith("\t")]
    return "\n".join(_MAKE_VARIABLE.sub(r"$\1", r).replace("$$", "$") for r in recipes)
