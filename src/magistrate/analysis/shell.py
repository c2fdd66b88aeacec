"""Shell analysis: from a command line to the invocations it runs and their effects.

It follows control where the shell would: through pipelines, `;` `&&` `||`, command and process
substitutions, wrappers (`sudo`, `env`, `xargs`, `timeout`…), `bash -c`, `eval`, `ssh host cmd`,
`find -exec`, heredocs fed to interpreters, and trivially decodable payloads. Quoted words given
to ordinary commands stay data (`grep -rn 'rm -rf' scripts/` deletes nothing).

This module walks the line (scripts, simple commands, wrappers, assignments); what each command
does is in `shell_effects.py`, the code it runs is followed in `shell_follow.py`, and the
state they share is `shell_state.py`.
"""

from __future__ import annotations

import re
from dataclasses import replace

from magistrate.analysis import PSEUDO_TARGET_CLASSES as _MARKS
from magistrate.analysis import commands as C
from magistrate.analysis.dynamic import conventional_program, ifs_split, printf_output
from magistrate.analysis.effects import PATH_OPS, Effect
from magistrate.analysis.env_runners import RUNNERS, runner_command
from magistrate.analysis.environments import in_environment, loop_value, scratch_run, unset_path
from magistrate.analysis.exhaustion import endless_spawn
from magistrate.analysis.facts import Fact
from magistrate.analysis.families import KNOWN_COMMANDS, effects_of
from magistrate.analysis.families.base import environment_classes
from magistrate.analysis.families.containers import enters_host
from magistrate.analysis.families.databases import destroyed_database, guarded_reset
from magistrate.analysis.families.disposable import disposable_database
from magistrate.analysis.families.vcs import settle_git_effects
from magistrate.analysis.feeds import listed_paths as _listed_paths
from magistrate.analysis.feeds import piped_paths
from magistrate.analysis.heredocs import body_substitutions, data_spans, match_text
from magistrate.analysis.invocation import Invocation, basename, split_flags, subcommand_of
from magistrate.analysis.launches import runner_fetch
from magistrate.analysis.loops import feeder, rewrite_loops
from magistrate.analysis.option_commands import command_variable
from magistrate.analysis.paths import PathClassifier
from magistrate.analysis.powershell import WINDOWS, assigned_command, ps_hint, ps_plain, what_if
from magistrate.analysis.shell_args import (
    BRACE_LIST,
    parallel_lines,
    quote,
    replace_string,
    spelled_program,
)
from magistrate.analysis.shell_follow import FollowRun
from magistrate.analysis.shell_lex import Op, Token, Word, _decode_ansi_c, lex
from magistrate.analysis.shell_parts import (
    WRITERS_OF_TEXT,
    function_bodies,
    op_is,
    word_is,
    written_text,
)
from magistrate.analysis.shell_state import (
    ASSIGNMENT,
    CRON_SCHEDULE,
    ShellAnalysis,
    SimpleCommand,
    set_variables,
)

MAX_DEPTH = 16  # nested shells, substitutions, `ssh host` hops followed
MAX_INVOCATIONS = 1_000
MAX_TOKENS = 20_000  # words and operators of one command line
MAX_MATCH_TEXT = 65_536  # arguments rules' patterns read (scanned in linear time)
MAX_WORK = 200_000  # characters lexed over all nesting (a nested `bash -c` re-reads its code)

__all__ = ["CRON_SCHEDULE", "KNOWN_COMMANDS", "ShellAnalysis", "ShellAnalyzer"]

_RESERVED_SKIP = frozenset(
    [
        "if",
        "then",
        "else",
        "elif",
        "fi",
        "do",
        "done",
        "while",
        "until",
        "!",
        "{",
        "}",
        "esac",
        "in",
    ]
)
_STRUCTURAL = frozenset({"for", "select", "case", "function"})
# Programs that only print their arguments: a decoding substitution in them shows, not runs.
_PRINTERS = frozenset({"echo", "printf"})


# sudo options that run no command: list the privileges (`-l cmd` asks whether cmd may run),
# renew the timestamp, print the version or help.
_SUDO_RUNS_NOTHING = frozenset(
    {"-l", "-ll", "--list", "-v", "--validate", "-V", "--version", "-h", "--help"}
)
_IFS = re.compile(r"\$\{IFS\}|\$IFS\b")
# Starts only where a name starts: without the look-behind, every suffix of a long word was
# tried (quadratic: 14 s for 40,000 letters and a parenthesis).
_FORK_BOMB = re.compile(r"(?<![\w:.])([\w:.]+)\s*\(\s*\)\s*\{[^}]*?\1\s*\|\s*\1\s*&")
_HOST_ESCAPE = frozenset({"container-escape"})
_DECLARERS = frozenset({"export", "declare", "typeset", "readonly"})


class ShellAnalyzer:
    """Analyzes shell command lines against a path classifier."""

    def __init__(self, classifier: PathClassifier) -> None:
        self.classifier = classifier

    def analyze(self, src: str, via: tuple[str, ...] = ()) -> ShellAnalysis:
        """Parse and follow a command line (reached `via` those, when it runs later from a
        configuration); never raises on odd input."""
        result = ShellAnalysis()
        if "IFS" in src:
            src = _IFS.sub(" ", src)
        if "\\" in src and WINDOWS.search(src):
            src = src.replace("\\", "/")  # cmd and PowerShell: backslash separates paths
        run = _Run(self.classifier, result)
        run.script(src, 0, via, {}, top=True)
        if "FromBase64String" in src or "ScriptBlock" in src:  # PowerShell: .NET calls as code
            run._program_code(src, 0, (), {}, (0, len(src)), [])
        if ps_hint(src) and (plain := ps_plain(src)) is not None:
            result.derived.append(plain)  # `& ('Remo'+'ve-Item') …`: the command pieced together
            run.script(plain, 1, via, {})
        if any(i.name == "crontab" for i in result.invocations):
            # Lines printed into `crontab -` are scheduled commands: read them as commands.
            for inv in list(result.invocations):
                if inv.name in _PRINTERS and inv.operands:
                    line = CRON_SCHEDULE.sub("", " ".join(inv.operands), count=1)
                    run.script(line, 1, ("crontab",), {}, span=(inv.start, inv.end))
        for inv in result.invocations:
            dropped = destroyed_database(inv.name, inv.argv)
            if (
                dropped is not None
                and not scratch_run(inv)
                and disposable_database(inv, result.invocations) is None
                and not guarded_reset(inv)
                # `dropdb --if-exists acme_test`: a database named for tests, nothing production.
                and environment_classes(inv.operands) != {"scratch"}
            ):
                result.facts.setdefault(Fact.DATABASE_DESTROY, dropped)
                break
        settle_git_effects(result.invocations, result.effects, src)
        if bomb := ("(" in src and _FORK_BOMB.search(src)) or endless_spawn(src):
            result.facts.setdefault(Fact.FORK_BOMB, bomb.group(0)[:80])
        return result


class _Run(FollowRun):
    """One analysis: the walk over a command line, its commands and the wrappers they run
    through (the effects and the code followed come from the classes below it)."""

    # ----------------------------------------------------------------- structure
    def script(
        self,
        src: str,
        depth: int,
        via: tuple[str, ...],
        env: dict[str, str],
        top: bool = False,
        span: tuple[int, int] | None = None,
    ) -> None:
        self.work += len(src)
        src = rewrite_loops(src, self.classify)  # cmd's and PowerShell's loops as POSIX ones
        if depth > MAX_DEPTH:
            self.out.facts.setdefault(Fact.NESTING_TOO_DEEP, src[:80])
            self.limit(f"shell nesting deeper than {MAX_DEPTH} levels")
            return
        if len(self.out.invocations) >= MAX_INVOCATIONS:
            self.limit(f"more than {MAX_INVOCATIONS:,} commands")
            return
        if self.work > MAX_WORK:
            self.limit(f"more than {MAX_WORK:,} characters of shell to read")
            return
        tokens = lex(src, MAX_TOKENS + 1)
        if len(tokens) > MAX_TOKENS:
            self.limit(f"more than {MAX_TOKENS:,} words")
            tokens = tokens[:MAX_TOKENS]
        simples: list[SimpleCommand] = []
        cur = SimpleCommand()
        for tok in tokens:
            if isinstance(tok, Word):  # most tokens, tested first
                cur.words.append(tok)
            elif isinstance(tok, Op):
                if tok.op in ("|", "|&"):
                    cur.piped = True
                    nxt = SimpleCommand(prev=cur)
                    simples.append(cur)
                    cur = nxt
                else:
                    simples.append(cur)
                    cur = SimpleCommand()
            else:
                cur.redirects.append(tok)
        simples.append(cur)
        if len(tokens) > 4 and any(op_is(t, "(") or word_is(t, "function") for t in tokens):
            self._define_functions(tokens, src)
        for simple in simples:
            if len(self.out.invocations) >= MAX_INVOCATIONS:
                self.limit(f"more than {MAX_INVOCATIONS:,} commands")
                break
            if simple.words or simple.redirects:
                self.simple(simple, src, depth, via, env, top, span)

    def _define_functions(self, tokens: list[Token], src: str) -> None:
        """`NAME() { BODY; }` and `function NAME { BODY; }`: remember BODY, which a later
        `NAME ARGS` runs with ARGS as its positional parameters (`f(){ "$@"; }; f rm -rf ~`).
        Its first reading, where it is defined, still happens with the rest of the line."""
        for name, body in function_bodies(tokens, src):
            if len(self.functions) < 32:
                self.functions[name] = body

    def simple(
        self,
        s: SimpleCommand,
        src: str,
        depth: int,
        via: tuple[str, ...],
        env: dict[str, str],
        top: bool,
        span: tuple[int, int] | None,
    ) -> None:
        words = s.words
        # Every substitution runs, wherever it sits (even in a `for … in $(…)` list).
        for w in words:
            for sub in w.subs:
                self.script(sub, depth + 1, (*via, "$()"), env, span=span or (w.start, w.end))
        for r in s.redirects:
            for sub in body_substitutions(r):  # `<<EOF … $(cmd) … EOF` runs cmd
                self.script(sub, depth + 1, (*via, "$()"), env, span=span or (r.start, r.start))
            if r.target is not None:
                for sub in r.target.subs:
                    self.script(
                        sub, depth + 1, (*via, "$()"), env, span=span or (r.start, r.target.end)
                    )
        i = 0
        while i < len(words) and not words[i].quoted and words[i].text in _RESERVED_SKIP:
            i += 1
        if words[i : i + 1] and words[i].text == "function" and word_is(words[i + 2 : i + 3], "{"):
            i += 3  # `function f { BODY; }`: the body's first command
        if i < len(words) and not words[i].quoted and words[i].text in _STRUCTURAL:
            if words[i].text in ("for", "select") and len(words) > i + 3:
                env[words[i + 1].text] = loop_value(words[i + 3], env)
            return
        # Leading assignments: remembered for later words, and visible to rules as `export`.
        i, assigns = self.leading_assignments(words, i, env)
        words = words[i:]
        if words and words[0].text in ("export", "declare", "typeset"):  # later commands see it
            self.exported += [w.text for w in words[1:] if ASSIGNMENT.match(w.text)][:32]
        pos = (s.words[0].start, s.words[-1].end) if s.words else (s.redirects[0].start,) * 2
        where = span or pos
        exported = [w.text for w in words[1:]] if words and words[0].text in _DECLARERS else []
        for text in (*assigns, *exported):  # `PROMPT_COMMAND=…`, `PAGER=…`: a command run
            if held := command_variable(text):  # later (before every prompt, to page, to diff)
                self.script(held[0], depth + 1, (*via, held[1]), env, span=where)
        if assigns:
            self.record("export", assigns, via, depth, where, False)
            s.assigns = assigns
        program = basename(words[0].text) if top and words else ""
        if program in C.DATA_COMMANDS and not (s.redirects and self.runs_later(s)):
            for w in words[1:]:
                if w.quoted:
                    self.out.data_spans.append((w.start, w.end))
        if program and not s.piped and s.redirects:  # `git commit -F - <<EOF`: a message
            args, startup = [w.text for w in words[1:]], self.classify
            self.out.data_spans += data_spans(program, s.redirects, args, src, startup)
            # text written into a file is data the rules read, as a file write's content
            if program in WRITERS_OF_TEXT and (into := written_text(s.redirects, words)):
                self.out.written.append(into)
        if not words:
            self._redirect_effects(s, "", env)  # `> file` truncates; `: > log` too
            return
        argv = self._argv(s, words, env)
        if (fetched := runner_fetch(argv, via, depth, where)) is not None:
            self.out.effects.append(fetched)  # `npx -y create-next-app@latest`
        self.command(s, argv, words, depth, via, env, where)

    def _argv(self, s: SimpleCommand, words: list[Word], env: dict[str, str]) -> list[str]:
        """The words' values; a printer's arguments are only shown (`echo "$(… | base64 -d)"`)."""
        printed = words[0].text in _PRINTERS and not s.piped
        return [
            self._resolve(w, env, printed and j > 0) if w.dynamic else w.text
            for j, w in enumerate(words)
        ]

    # ----------------------------------------------------------------- commands
    def command(
        self,
        s: SimpleCommand,
        argv: list[str],
        words: list[Word],
        depth: int,
        via: tuple[str, ...],
        env: dict[str, str],
        where: tuple[int, int],
    ) -> None:
        stdin_targets = piped_paths(argv, feeder(s.prev), self.classify) if s.prev else []
        unwrapped = self._unwrap(s, argv, depth, via, env, where, stdin_targets)
        if unwrapped is None:
            return
        i, via, privileged, stdin_targets = unwrapped
        argv, words = argv[i:], words[i:]
        grouped = False
        while argv and argv[0] in ("{", "!") and words and not words[0].quoted:
            argv, words = argv[1:], words[1:]  # `time { cmd; }`, `exec ! cmd`: the group runs
            grouped = True
        if not argv:
            return
        if grouped and basename(argv[0]) in C.WRAPPERS:  # `time { time { cmd; }; }`
            self.command(s, argv, words, depth, via, env, where)
            return
        head = argv[0]
        if words and not words[0].quoted and BRACE_LIST.match(head):
            # `{rm,-rf,/}`: brace expansion makes the words of the command (piped as it is).
            items = head[1:-1].split(",")
            argv = [*items, *argv[1:]]
            words = [Word(t, words[0].start, words[0].end) for t in items] + words[1:]
            head = argv[0]
        if head[:1] == "=" and len(head) > 1 and words and not words[0].quoted:
            head = argv[0] = head[1:]  # zsh: `=rm` is the path of rm
        if head == "set" and words and not words[0].quoted:
            set_variables(argv, env)  # fish's `set c rm`; `set -- rm -rf ~` then `"$@"`
        if head.lower() in ("%comspec%", "$env:comspec"):  # cmd's own path, in a variable
            head = argv[0] = "cmd"
        if "^" in head.strip("^") and words and not words[0].quoted:
            # cmd.exe's escape character: `c^md /c r^d /s /q C:\x` runs `cmd /c rd /s /q C:\x`
            self.out.facts.setdefault(Fact.DYNAMIC_COMMAND, " ".join(argv)[:120])
            unescaped = " ".join(quote(a.replace("^", "")) for a in argv)
            self.script(unescaped, depth + 1, via, dict(env), span=where)
            return
        if words and words[0].dynamic:
            self._hidden_source(words[0])
        if (line := self._read_again(head, argv, words, depth, via, env, where)) is not None:
            # What it prints is what the rewritten command prints (`$CMD | sh` with CMD a curl).
            first = line.split(maxsplit=1)[:1]
            s.source = self._source_kind(basename(first[0]), None, s) if first else None
            return
        conventional = conventional_program(head) if words and words[0].dynamic else None
        guessed = conventional or (spelled_program(head) if words and not words[0].quoted else None)
        if guessed is not None:  # `$SHELL -c …`, `/???/?m`, `r${x}m`: read as the program named
            self.out.facts.setdefault(Fact.DYNAMIC_COMMAND, " ".join(argv)[:120])
            head = argv[0] = guessed
        tail = head.rsplit("/", 1)[-1]
        # `$GOPATH/bin/golangci-lint`, `$(npm bin)/eslint`: only the folder is dynamic.
        known_tail = "/" in head and bool(tail) and "$" not in tail and "`" not in tail
        dynamic = bool(words) and words[0].dynamic and "$" in head and not known_tail
        name = "$dynamic" if dynamic else basename(head)
        if words and words[0].dynamic and (dynamic or words[0].subs) and not known_tail:
            self.out.facts.setdefault(Fact.DYNAMIC_COMMAND, " ".join(argv)[:120])
        if head in self.downloaded or (name in self.downloaded and ("/" in head or "\\" in head)):
            self.out.facts.setdefault(Fact.REMOTE_CODE, f"runs downloaded {head}")
        args = argv[1:]
        inv = self.record(name, args, via, depth, where, privileged, stdin_targets, s.assigns)
        s.invocation = inv
        s.source = self._source_kind(name, inv, s)
        self._literal(s, name, args, words)
        if inv is None:
            return
        if s.prev is not None:
            inv.stdin_source = s.prev.source
        self._effects(inv, s, words, env, stdin_targets)
        if name in C.DELETERS or name in C.WINDOWS_DELETERS:
            self._unset_prefixes(inv, env)
        self._follow(inv, s, words, depth, via, env, where)

    def _literal(self, s: SimpleCommand, name: str, args: list[str], words: list[Word]) -> None:
        """What a command prints when it is known: a literal, even with `$` in single quotes
        (`echo '$SHELL -c …' | sh` runs it), a heredoc `cat` or `tee` is fed."""
        if name in _PRINTERS and not any(w.dynamic for w in words[1:]):
            s.literal = " ".join(a for a in args if not (a.startswith("-") and len(a) <= 3))
            if name == "printf" and len(args) > 1 and "%" in args[0]:
                s.literal = printf_output(args)  # `printf 'rm -rf %s\n' ~/backups | sh`
            elif name == "printf" or "-e" in args:
                s.literal = _decode_ansi_c(s.literal)
        elif name == "cat" and not args:
            s.literal = self._stdin_code(s)
        elif name == "tee":  # passes on, and writes, what it is fed: a heredoc or a literal
            fed = self._stdin_code(s)
            s.literal = fed if fed is not None else s.prev.literal if s.prev is not None else None

    def _unset_prefixes(self, inv: Invocation, env: dict[str, str]) -> None:
        """`rm -rf "$DEPLOY_PATH"/*` with DEPLOY_PATH set nowhere on the line: the path it is
        when the variables are empty (environments.unset_path)."""
        for o in inv.operands[:16]:
            found = unset_path(o, env)
            if found is not None:
                self._add("delete", found[1], f"{inv.name} (if ${found[0]} is unset)")

    def _unwrap(
        self,
        s: SimpleCommand,
        argv: list[str],
        depth: int,
        via: tuple[str, ...],
        env: dict[str, str],
        where: tuple[int, int],
        stdin_targets: list[str],
    ) -> tuple[int, tuple[str, ...], bool, list[str]] | None:
        """Skip wrappers (sudo, env, timeout, xargs…): where the real command starts, the
        wrappers it came through, whether one raised privilege, and what xargs feeds it; None
        when a wrapper ran the rest itself (`env -S`, `flock -c`) or runs nothing (`command -v`)."""
        privileged = False
        i = assigned_command(argv, 0)  # PowerShell's `$r = Remove-Item …`: what follows runs
        while i < len(argv):
            name = basename(argv[i])
            if name in RUNNERS:  # `poetry run CMD`, `op run -- CMD`: CMD is what runs
                start = runner_command(name, argv, i)
                if isinstance(start, str):  # `nix-shell --run 'CMD'`
                    self.script(start, depth + 1, (*via, name), dict(env), span=where)
                    return None
                if start is not None:
                    via, i = (*via, name), start
                    continue
            if name not in C.WRAPPERS or (i + 1 == len(argv) and name in C.ENV_DUMPERS):
                break
            wrapper_at = i
            via = (*via, name)
            privileged = privileged or name in C.PRIVILEGED_WRAPPERS
            valued = C.WRAPPERS[name]
            i += 1
            if name == "command" and i < len(argv) and argv[i] in ("-v", "-V"):
                return None  # `command -v x` looks a command up; it runs nothing
            while i < len(argv) and argv[i].startswith("-") and argv[i] != "-":
                opt = argv[i]
                i += 1
                if opt == "--":
                    break
                if name == "sudo" and opt in _SUDO_RUNS_NOTHING:
                    return None  # `sudo -l` lists what one may run, `-v` renews: nothing runs
                if name == "env" and opt in ("-S", "--split-string") and i < len(argv):
                    self.script(argv[i], depth + 1, via, dict(env), span=where)
                    return None
                if opt in valued and i < len(argv):
                    i += 1
            if name == "env":
                while i < len(argv) and ASSIGNMENT.match(argv[i]):
                    s.assigns += self._export(argv[i], via, depth, where, privileged)
                    i += 1
            if name == "nsenter" and enters_host(argv[wrapper_at + 1 : i]):
                self.out.effects.append(
                    Effect("privilege", "the host's namespaces", _HOST_ESCAPE, "nsenter")
                )
            if name in C.WRAPPERS_WITH_ARGUMENT and i < len(argv):
                i += 1
            if name == "flock" and i + 1 < len(argv) and argv[i] in ("-c", "--command"):
                self.script(argv[i + 1], depth + 1, via, dict(env), span=where)  # flock F -c CMD
                return None
            if name == "xargs" and s.prev is not None and s.prev.invocation is not None:
                stdin_targets = _listed_paths(s.prev.invocation, self.classify)
            elif name == "xargs" and (fed := self._stdin_code(s)) is not None:
                stdin_targets = fed.split()[:8]  # `xargs rm -rf <<< /`: the here-string's words
            if name == "xargs" and (mark := replace_string(argv[wrapper_at + 1 : i])):
                # `xargs -I{} dd of={}`: each item where the mark is (the narrowest: `-1`); an
                # unknown item spliced into an address is what the pipe carries, sent (`?d={}`)
                item, known = (stdin_targets or ["$XARGS_ITEM"])[-1], bool(stdin_targets)
                argv[i:] = [a.replace(mark, item) if known or "://" in a else a for a in argv[i:]]
                stdin_targets = []
            if name == "parallel" and i < len(argv) and " " in argv[i]:
                for line in parallel_lines(argv[i:]):  # `parallel 'git push -f origin {}' ::: main`
                    self.script(line, depth + 1, via, dict(env), span=where)
                return None
            if i >= len(argv):
                # `sudo -i`, `env` alone: the wrapper itself is the command (a root shell, a dump).
                i = wrapper_at
                via = via[:-1]
                break
        return i, via, privileged, stdin_targets

    def _read_again(
        self,
        head: str,
        argv: list[str],
        words: list[Word],
        depth: int,
        via: tuple[str, ...],
        env: dict[str, str],
        where: tuple[int, int],
    ) -> str | None:
        """Command words the shell rewrites before it runs them — `$CMD` split into words, a
        quoted word with spaces, a brace list: the rewritten line when it was read instead."""
        if (
            words
            and not words[0].quoted
            and words[0].dynamic
            and "$(" not in head
            and "`" not in head
        ):
            # `$CMD` whose value is `rm -rf x` (or `rm_-rf_x` under `IFS=_`): the shell splits it
            # into words and runs them.
            fields = ifs_split(head, env.get("IFS"))
            if len(fields) > 1:
                rest = " ".join(quote(a) for a in [*fields, *argv[1:]])
                self.script(rest, depth + 1, via, dict(env), span=where)
                return rest
        defined = self.functions.get(head) if words and not words[0].quoted else None
        if defined is not None and defined[1] != words[0].start:  # a call, not the definition
            body = self.functions.pop(head)[0]  # not expanded again inside its own body
            local = dict(env)
            local["@"] = local["*"] = " ".join(quote(a) for a in argv[1:])
            local.update({str(n): a for n, a in enumerate(argv[1:10], 1)})
            self.script(body, depth + 1, (*via, head), local, span=where)
            return ""
        if words and not words[0].quoted and head in self.aliases:
            # An alias defined earlier on the line: the shell runs its command in its place.
            expansion = self.aliases.pop(head)  # not expanded again inside its own command
            rest = " ".join(quote(a) for a in argv[1:])
            self.script(f"{expansion} {rest}", depth + 1, via, dict(env), span=where)
            return f"{expansion} {rest}"
        if words and words[0].quoted and (" " in head or "\t" in head):
            # A quoted command word with spaces (`sudo "rm -rf /"`, `watch 'rm -rf x'`).
            self.script(head, depth + 1, via, dict(env), span=where)
            return head
        return None

    def _export(
        self, word: str, via: tuple[str, ...], depth: int, where: tuple[int, int], raised: bool
    ) -> list[str]:
        self.record("export", [word], via, depth, where, raised)  # `env A=1 cmd`: seen as export
        if held := command_variable(word):  # `env PAGER='sh -c …' git log`
            self.script(held[0], depth + 1, (*via, held[1]), {}, span=where)
        return [word]

    def record(
        self,
        name: str,
        args: list[str],
        via: tuple[str, ...],
        depth: int,
        where: tuple[int, int],
        privileged: bool,
        stdin_args: list[str] | None = None,
        assigns: list[str] | None = None,
    ) -> Invocation | None:
        if len(self.out.invocations) >= MAX_INVOCATIONS:
            self.limit(f"more than {MAX_INVOCATIONS:,} commands")
            return None
        if "-" in name and what_if(name, args):
            return None  # PowerShell asked what it would do (-WhatIf): nothing runs
        flags, operands = split_flags(args, slashes=name in C.WINDOWS_DELETERS)
        inv = Invocation(
            name=name,
            argv=args,
            flags=flags,
            operands=operands,
            subcommand=subcommand_of(name, args)
            if name in C.SUBCOMMAND_VALUE_OPTIONS
            else " ".join([o.lower() for o in operands[:3]]),
            via=via,
            privileged=privileged,
            depth=depth,
            start=where[0],
            end=where[1],
            text=match_text(args, MAX_MATCH_TEXT),
            stdin_args=tuple(stdin_args or ()),
            env=(*self.exported[-32:], *(assigns or ())),
        )
        self.out.invocations.append(inv)
        found = effects_of(inv, self.classify)  # what its family says
        for e in in_environment(inv, found) if found else ():
            if e.op in PATH_OPS and self._relative(e.target):
                t = self._at_cwd(e.target)  # marks such as `download` stay with the file
                e = replace(e, target=t, classes=self.classify(t) | e.classes & _MARKS)
            elif e.op == "install" and "file" in e.classes and self._fetched(e.target):
                e = replace(e, classes=e.classes | {"url"})  # `curl -o x.deb URL && dpkg -i x.deb`
            self.out.effects.append(e)
        return inv
