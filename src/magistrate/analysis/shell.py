"""Shell analysis: from a command line to the invocations it runs and their effects.

It follows control where the shell would: through pipelines, `;` `&&` `||`, command and process
substitutions, wrappers (`sudo`, `env`, `xargs`, `timeout`…), `bash -c`, `eval`, `ssh host cmd`,
`find -exec`, heredocs fed to interpreters, and trivially decodable payloads. Quoted words given
to ordinary commands stay data (`grep -rn 'rm -rf' scripts/` deletes nothing).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field, replace

from magistrate.analysis import PSEUDO_TARGET_CLASSES as _MARKS
from magistrate.analysis import commands as C
from magistrate.analysis.code import MAX_CODE, analyze_code
from magistrate.analysis.dynamic import (
    conventional_program,
    credential_vars,
    decode_literal,
    evaluate_substitution,
    ifs_split,
    tr_table,
)
from magistrate.analysis.effects import PATH_OPS, Effect
from magistrate.analysis.environments import (
    in_environment,
    is_env_file,
    loop_value,
    scratch_run,
)
from magistrate.analysis.facts import Fact
from magistrate.analysis.families import KNOWN_COMMANDS, effects_of
from magistrate.analysis.families.databases import destroyed_database
from magistrate.analysis.families.files import (
    REMOTE_SPEC,
    handles,
    is_switch,
    without_values,
)
from magistrate.analysis.feeds import find_target as _find_target
from magistrate.analysis.feeds import listed_paths as _listed_paths
from magistrate.analysis.feeds import option_value as _option_value
from magistrate.analysis.feeds import piped_paths
from magistrate.analysis.heredocs import body_substitutions, data_spans, match_text
from magistrate.analysis.invocation import Invocation, basename, split_flags, subcommand_of
from magistrate.analysis.launches import from_network, outside_runs, runner_fetch
from magistrate.analysis.outbound import UPLOAD_OPTIONS as _UPLOAD_OPTIONS
from magistrate.analysis.outbound import data_values as _data_values
from magistrate.analysis.outbound import foreign_credentials as _foreign_credentials
from magistrate.analysis.outbound import secret_var_in as _secret_var_in
from magistrate.analysis.paths import PathClassifier
from magistrate.analysis.runners import fleet_command as _fleet_command
from magistrate.analysis.shell_args import (
    BACKTICK_CODE,
    BRACE_LIST,
    EXPANSION,
    after_container,
    commands_in_options,
    identity_files,
    quote,
    runs_fetcher,
    serves_files,
    spelled_program,
)
from magistrate.analysis.shell_args import substitution_source as _substitution_source
from magistrate.analysis.shell_lex import Op, Redir, Word, _decode_ansi_c, lex

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
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(\+?=)(.*)$", re.S)
_VAR_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_IFS = re.compile(r"\$\{IFS\}|\$IFS\b")
_SHELL_C_FLAG = re.compile(r"^-[a-zA-Z]*c[a-zA-Z]*$")
_PWSH_COMMAND = frozenset({"-command", "-c", "/c", "-commandwithargs"})
_PWSH_ENCODED = frozenset({"-encodedcommand", "-enc", "-e", "-ec"})
_URL = re.compile(r"^(?:https?|ftp|tftp)://", re.I)
# Starts only where a name starts: without the look-behind, every suffix of a long word was
# tried (quadratic: 14 s for 40,000 letters and a parenthesis).
_FORK_BOMB = re.compile(r"(?<![\w:.])([\w:.]+)\s*\(\s*\)\s*\{[^}]*?\1\s*\|\s*\1\s*&")
CRON_SCHEDULE = re.compile(
    r"^\s*(?:@(?:reboot|yearly|annually|monthly|weekly|daily|hourly)|(?:[*\d/,\-]+\s+){5})"
    r"(?:(?:root|www-data|nobody|daemon)\s+)?"
)
_WINDOWS = re.compile(
    r"\b[A-Za-z]:\\|\\\\[\w$.-]+\\|\.(exe|ps1|bat|cmd)\b|\$env:|\b(HKLM|HKCU|HKEY_)\w*\\"
    r"|^\s*(?:(?:cmd|powershell|pwsh|reg|sc|schtasks|icacls|wmic|net|rd|del)(?:\.exe)?\b"
    r"|Get-|Set-|Remove-|New-)",
    re.I,
)
_TEMP, _DOWNLOAD = frozenset({"temp"}), frozenset({"download"})
_NET_DEVICE = re.compile(r"^/dev/(?:tcp|udp)/", re.I)
_OUTPUT_OPTIONS = frozenset({"--output", "-outfile", "-outputfile"})
_SEND_METHODS = frozenset({"post", "put", "patch"})
# A value that reads as code rather than a file name or a word: blanks or shell punctuation.
_LOOKS_LIKE_CODE = re.compile(r"[\s;|&$()`'\"<>=]")
# Options that hand a program inline code, whatever the program (for names we cannot see).
_INLINE_CODE_OPTIONS = frozenset({"-c", "-e", "-E", "-r", "--eval", "-command", "-Command"})


@dataclass(slots=True)
class ShellAnalysis:
    """What a shell command line runs and does."""

    invocations: list[Invocation] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)
    sql: list[str] = field(default_factory=list)  # SQL handed to database clients
    code: list[str] = field(default_factory=list)  # program code handed to interpreters
    data_spans: list[tuple[int, int]] = field(default_factory=list)  # quoted data at top level
    derived: list[str] = field(default_factory=list)  # decoded payloads, to scan for patterns


@dataclass(slots=True)
class _Simple:
    words: list[Word] = field(default_factory=list)
    redirects: list[Redir] = field(default_factory=list)
    prev: _Simple | None = None  # the command whose output is piped into this one
    invocation: Invocation | None = None
    source: str | None = None  # what this command's output is: network, decoder, literal…
    literal: str | None = None  # its output, when it is a known literal (echo/printf)
    piped: bool = False  # its output goes into the next command of a pipeline
    assigns: list[str] = field(default_factory=list)  # `NAME=value` words it runs with


class ShellAnalyzer:
    """Analyzes shell command lines against a path classifier."""

    def __init__(self, classifier: PathClassifier) -> None:
        self.classifier = classifier

    def analyze(self, src: str) -> ShellAnalysis:
        """Parse and follow a command line; never raises on odd input."""
        result = ShellAnalysis()
        if "IFS" in src:
            src = _IFS.sub(" ", src)
        if "\\" in src and _WINDOWS.search(src):
            src = src.replace("\\", "/")  # cmd and PowerShell: backslash separates paths
        run = _Run(self.classifier, result)
        run.script(src, 0, (), {}, top=True)
        if "FromBase64String" in src or "ScriptBlock" in src:  # PowerShell: .NET calls as code
            run._program_code(src, 0, (), {}, (0, len(src)), [])
        if any(i.name == "crontab" for i in result.invocations):
            # Lines printed into `crontab -` are scheduled commands: read them as commands.
            for inv in list(result.invocations):
                if inv.name in ("echo", "printf") and inv.operands:
                    line = CRON_SCHEDULE.sub("", " ".join(inv.operands), count=1)
                    run.script(line, 1, ("crontab",), {}, span=(inv.start, inv.end))
        for inv in result.invocations:
            dropped = destroyed_database(inv.name, inv.argv)
            if dropped is not None and not scratch_run(inv):
                result.facts.setdefault(Fact.DATABASE_DESTROY, dropped)
                break
        if "(" in src and _FORK_BOMB.search(src):
            result.facts.setdefault(Fact.FORK_BOMB, _FORK_BOMB.search(src).group(0)[:80])  # type: ignore[union-attr]
        return result


class _Run:
    """State of one analysis: results, downloaded files, the budget of invocations."""

    def __init__(self, classifier: PathClassifier, result: ShellAnalysis) -> None:
        self.classifier = classifier
        self.classify = classifier.classify
        self.out = result
        self.downloaded: set[str] = set()
        self.remotes: dict[str, str] = {}
        self.cwd: str | None = None  # set by `cd /abs` so later relative paths resolve
        self.tainted: dict[str, str] = {}  # variables holding a download or a decoded payload
        self.work = 0  # characters lexed so far (the work budget)
        self.exported: list[str] = []  # `export RAILS_ENV=test`: later commands run with it

    def _hidden_source(self, word: Word) -> None:
        """A word run as code whose value is a download or a decoded payload: `$(curl …)` as a
        command name, `$a` after `a=$(curl …)`, `eval $X` after `X=$(… | base64 -d)`."""
        source = _substitution_source(word.subs)
        for m in _VAR_REF.finditer(word.text):
            source = source or self.tainted.get(m.group(1) or m.group(2))
        if source == "network":
            self.out.facts.setdefault(
                Fact.REMOTE_CODE, f"runs the output of a download: {word.text}"
            )
        elif source == "decoder":
            self.out.facts.setdefault(
                Fact.DECODED_EXEC, f"runs a decoded payload: {word.text[:80]}"
            )

    def limit(self, why: str) -> None:
        """Analysis stopped before the end: say so, so the verdict fails closed."""
        self.out.facts.setdefault(Fact.ANALYSIS_LIMIT, f"analysis limit: {why}")

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
        simples: list[_Simple] = []
        cur = _Simple()
        for tok in tokens:
            if isinstance(tok, Word):  # most tokens, tested first
                cur.words.append(tok)
            elif isinstance(tok, Op):
                if tok.op in ("|", "|&"):
                    cur.piped = True
                    nxt = _Simple(prev=cur)
                    simples.append(cur)
                    cur = nxt
                else:
                    simples.append(cur)
                    cur = _Simple()
            else:
                cur.redirects.append(tok)
        simples.append(cur)
        for simple in simples:
            if len(self.out.invocations) >= MAX_INVOCATIONS:
                self.limit(f"more than {MAX_INVOCATIONS:,} commands")
                break
            if simple.words or simple.redirects:
                self.simple(simple, src, depth, via, env, top, span)

    def simple(
        self,
        s: _Simple,
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
        if i < len(words) and not words[i].quoted and words[i].text in _STRUCTURAL:
            if words[i].text in ("for", "select") and len(words) > i + 3:
                env[words[i + 1].text] = loop_value(words[i + 3], env)
            return
        # Leading assignments: remembered for later words, and visible to rules as `export`.
        assigns: list[str] = []
        while i < len(words):
            text = words[i].text
            m = _ASSIGNMENT.match(text) if "=" in text and text[0] != "=" else None
            if not m:
                break
            name, _, value = m.groups()
            if not words[i].dynamic:
                env[name] = value
            elif source := _substitution_source(words[i].subs):
                self.tainted[name] = source  # `a=$(curl …)`: running `$a` runs the download
            assigns.append(words[i].text)
            i += 1
        words = words[i:]
        if words and words[0].text in ("export", "declare", "typeset"):  # later commands see it
            self.exported += [w.text for w in words[1:] if _ASSIGNMENT.match(w.text)][:32]
        pos = (s.words[0].start, s.words[-1].end) if s.words else (s.redirects[0].start,) * 2
        where = span or pos
        if assigns:
            self.record("export", assigns, via, depth, where, False)
            s.assigns = assigns
        program = basename(words[0].text) if top and words else ""
        if program in C.DATA_COMMANDS:
            for w in words[1:]:
                if w.quoted:
                    self.out.data_spans.append((w.start, w.end))
        if program and not s.piped and s.redirects:  # `git commit -F - <<EOF`: a message
            args, startup = [w.text for w in words[1:]], self.classify
            self.out.data_spans += data_spans(program, s.redirects, args, src, startup)
        if not words:
            self._redirect_effects(s, "", env)  # `> file` truncates; `: > log` too
            return
        argv = [self._resolve(w, env) if w.dynamic else w.text for w in words]
        if (fetched := runner_fetch(argv, via, depth, where)) is not None:
            self.out.effects.append(fetched)  # `npx -y create-next-app@latest`
        self.command(s, argv, words, depth, via, env, where)

    # ----------------------------------------------------------------- commands
    def command(
        self,
        s: _Simple,
        argv: list[str],
        words: list[Word],
        depth: int,
        via: tuple[str, ...],
        env: dict[str, str],
        where: tuple[int, int],
    ) -> None:
        stdin_targets = piped_paths(argv, s.prev.invocation, self.classify) if s.prev else []
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
        if head.lower() in ("%comspec%", "$env:comspec"):  # cmd's own path, in a variable
            head = argv[0] = "cmd"
        if words and words[0].dynamic:
            self._hidden_source(words[0])
        if self._read_again(head, argv, words, depth, via, env, where):
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
        if name in ("echo", "printf") and not any(w.dynamic for w in words[1:]):
            # A literal, even with `$` in single quotes: `echo '$SHELL -c …' | sh` runs it.
            s.literal = " ".join(a for a in args if not (a.startswith("-") and len(a) <= 3))
            if name == "printf" or "-e" in args:
                s.literal = _decode_ansi_c(s.literal)
        elif name == "cat" and not args:
            s.literal = self._stdin_code(s)
        if inv is None:
            return
        if s.prev is not None:
            inv.stdin_source = s.prev.source
        self._effects(inv, s, words, env, stdin_targets)
        self._follow(inv, s, words, depth, via, env, where)

    def _unwrap(
        self,
        s: _Simple,
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
        i = 0
        while i < len(argv):
            name = basename(argv[i])
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
                if name == "env" and opt in ("-S", "--split-string") and i < len(argv):
                    self.script(argv[i], depth + 1, via, dict(env), span=where)
                    return None
                if opt in valued and i < len(argv):
                    i += 1
            if name == "env":
                while i < len(argv) and _ASSIGNMENT.match(argv[i]):
                    s.assigns += self._export(argv[i], via, depth, where, privileged)
                    i += 1
            if name in C.WRAPPERS_WITH_ARGUMENT and i < len(argv):
                i += 1
            if name == "flock" and i + 1 < len(argv) and argv[i] in ("-c", "--command"):
                self.script(argv[i + 1], depth + 1, via, dict(env), span=where)  # flock F -c CMD
                return None
            if name == "xargs" and s.prev is not None and s.prev.invocation is not None:
                stdin_targets = _listed_paths(s.prev.invocation, self.classify)
            elif name == "xargs" and (fed := self._stdin_code(s)) is not None:
                stdin_targets = fed.split()[:8]  # `xargs rm -rf <<< /`: the here-string's words
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
    ) -> bool:
        """Command words the shell rewrites before it runs them — `$CMD` split into words, a
        quoted word with spaces, a brace list: True when the rewritten line was read instead."""
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
                return True
        if words and words[0].quoted and (" " in head or "\t" in head):
            # A quoted command word with spaces (`sudo "rm -rf /"`, `watch 'rm -rf x'`).
            self.script(head, depth + 1, via, dict(env), span=where)
            return True
        if words and not words[0].quoted and BRACE_LIST.match(head):
            # `{rm,-rf,/}`: brace expansion makes the words of a command.
            expanded = [*head[1:-1].split(","), *argv[1:]]
            self.script(" ".join(quote(a) for a in expanded), depth + 1, via, dict(env), span=where)
            return True
        return False

    def _export(
        self, word: str, via: tuple[str, ...], depth: int, where: tuple[int, int], raised: bool
    ) -> list[str]:
        self.record("export", [word], via, depth, where, raised)  # `env A=1 cmd`: seen as export
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
        flags, operands = split_flags(args)
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

    # ----------------------------------------------------------------- values
    def _resolve(self, w: Word, env: dict[str, str]) -> str:
        """A word's value with known variables and trivial `$(echo x)` substituted."""
        text = w.text
        if not w.dynamic:
            return text
        if w.subs:
            for sub in w.subs:
                literal, decoded = evaluate_substitution(sub)
                if literal is None:
                    continue
                if decoded:
                    self.out.facts.setdefault(Fact.DECODED_EXEC, f"$({sub.strip()[:80]})")
                    self.out.derived.append(literal)
                text = text.replace(f"$({sub})", literal).replace(f"`{sub}`", literal)
        if env and "$" in text:
            text = _VAR_REF.sub(lambda m: env.get(m.group(1) or m.group(2), m.group(0)), text)
        return text

    def _source_kind(self, name: str, inv: Invocation | None, s: _Simple) -> str | None:
        """What a command's output is, for whoever reads it through a pipe."""
        if name in C.FETCHERS or name in C.RAW_SOCKETS:
            return "network"
        if inv is not None and (
            (
                name in C.DECODERS
                and (
                    inv.flags & {"d", "decode", "D", "r", "revert"}
                    or name in ("gunzip", "zcat", "rev", "uudecode", "bunzip2")
                )
            )
            or (name == "tr" and tr_table(inv.operands) is not None)  # ROT13 and the like
        ):
            return "decoder"
        if name in C.PASS_THROUGH and s.prev is not None:
            return s.prev.source
        if name in ("echo", "printf"):
            return "literal"
        if name == "cat" and inv is not None and inv.operands:
            return "file"
        return "command"

    # ----------------------------------------------------------------- effects
    def _fetched(self, words: str) -> bool:
        """Whether one of these files was downloaded earlier on the line."""
        return any(w in self.downloaded or basename(w) in self.downloaded for w in words.split())

    def _relative(self, target: str) -> bool:
        """A relative path while a `cd /abs` earlier on the line says where it is."""
        return bool(self.cwd and target and target[0] not in "/~$@" and "://" not in target)

    def _at_cwd(self, target: str) -> str:
        assert self.cwd is not None
        return self.cwd.rstrip("/") + "/" + (target[2:] if target.startswith("./") else target)

    def _add(self, op: str, target: str, command: str, marks: frozenset[str] = frozenset()) -> None:
        if self._relative(target):
            target = self._at_cwd(target)
        self.out.effects.append(Effect(op, target, self.classify(target) | marks, command))

    def _redirect_effects(self, s: _Simple, name: str, env: dict[str, str]) -> None:
        if (
            s.literal
            and name in ("echo", "printf")
            and any(
                r.target is not None
                and r.op in (">", ">>", ">|")
                and self.classify(r.target.text) & _STARTUP
                for r in s.redirects
            )
        ):
            # Lines written into start-up files run later: read them as commands now.
            self.script(CRON_SCHEDULE.sub("", s.literal, count=1), 1, ("startup",), {})
        for r in s.redirects:
            if r.target is None or r.op in ("<<", "<<-", "<<<"):
                continue
            if r.op in (">&", "<&") and (r.target.text.isdigit() or r.target.text == "-"):
                continue
            target = self._resolve(r.target, env)
            if r.op in ("<", "<>"):
                self._add("read", target, name or "<")
            elif _NET_DEVICE.match(target):
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

    def _effects(
        self,
        inv: Invocation,
        s: _Simple,
        words: list[Word],
        env: dict[str, str],
        stdin_targets: list[str],
    ) -> None:
        name, ops = inv.name, without_values(inv, C.VALUED_OPTIONS.get(inv.name)) + stdin_targets
        add = self._add
        self._redirect_effects(s, name, env)
        head, networked = (words[0].text if words else ""), from_network(s.prev)
        for op, target, marks in outside_runs(inv, head, self.classify, networked):
            add(op, target, name, marks)  # `./tool`, `& "$env:TEMP\x.ps1"`, `curl … | tar x`
        if handles(inv):
            pass  # files and coreutils: their family gave the path effects
        elif name in C.PERMISSION_CHANGERS:
            for o in ops[1:] if name in ("chmod", "chown", "chgrp", "setcap") else ops:
                add("perm", o, name)
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
            if "l" not in inv.flags and ops:
                add("send", ops[0], name)
                if inv.flags & {"e", "c"} or "exec" in " ".join(inv.argv).lower():
                    self.out.facts.setdefault(Fact.REVERSE_SHELL, " ".join([name, *inv.argv])[:120])
        elif name in C.DNS_TOOLS:
            for o in ops:
                if "$" in o:  # data spliced into a name to resolve: DNS exfiltration
                    host = EXPANSION.sub("", o).strip(".")
                    add("send", host or o, name)
        elif name in C.MAILERS:
            for o in ops:
                if "@" in o:
                    add("send", o, name)
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
        elif name not in C.PATH_ONLY and name not in C.SHELLS and name not in C.NON_FILE_CLIS:
            keys = identity_files(inv.argv) if name in C.KEY_USERS else ()
            for o in ops:
                if o not in keys and self.classify(o):
                    add("read", o, name)
        if stdin_targets and name not in C.DELETERS:
            for o in stdin_targets:
                add("read", o, name)

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

    def _cloud_copy(self, inv: Invocation, name: str) -> None:
        """`aws s3 cp`, `gsutil cp`, `az storage blob upload`: a copy to a remote is a send."""
        # Operands without the subcommand words and option values: `aws --profile p s3 cp
        # - s3://b/k --region x` copies stdin to s3://b/k.
        sub_words = set(inv.subcommand.split())
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

    def _secret_env(self, name: str, values: list[str]) -> None:
        """`printenv OPENAI_API_KEY`, `echo $AWS_SECRET_ACCESS_KEY`: a credential read out."""
        found = [v for value in values for v in credential_vars(value)]
        if found:
            self.out.facts.setdefault(Fact.SECRET_ENV_READ, f"{name} {found[0]}")

    def _git(self, inv: Invocation) -> None:
        """`git push URL` and pushes to a remote added on the same line send the repository."""
        sub = inv.subcommand.split(" ")
        ops = inv.operands
        if sub[:2] == ["remote", "add"] and len(ops) >= 4:
            self.remotes[ops[2]] = ops[3]
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
            elif a == "-o" or a.startswith("-o"):
                pass
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
            elif "@" in a and not a.startswith("http"):
                self._add("read", a[a.index("@") :], name)
        for u in urls or [name]:
            # Data spliced into a URL (`?d=$(cat key)`) leaves with the request.
            self._add("send" if sending or "$" in u else "fetch", u, name)
        if foreign := _foreign_credentials(argv):
            # `curl -H "X-Token: $GITHUB_TOKEN" https://collector…`: a vendor's credential
            # handed to a host not the vendor's is sent out, not used.
            self._add("read", "$ENV", name)
            self._add("send", foreign, name)

    # ----------------------------------------------------------------- following code
    def _follow(
        self,
        inv: Invocation,
        s: _Simple,
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
            if any(r.target is not None and _NET_DEVICE.match(r.target.text) for r in s.redirects):
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
        elif name in C.SCRIPT_BLOCK_RUNNERS or name in C.PROCESS_STARTERS:
            self._powershell_block(inv, depth, nested_via, env, where)
        elif name == "eval" or name == "iex" or name == "invoke-expression":
            self._code_from_words(" ".join(argv), words, depth, nested_via, env, where)
        elif name in ("source", "."):
            if inv.operands:
                self._exec_file(inv.operands[0], name, words)
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
        elif name in ("docker", "podman", "kubectl", "oc") and inv.subcommand.startswith(
            ("exec", "run", "debug")
        ):
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
        elif (name in ("at", "batch") and stdin_code is not None) or (
            name == "crontab" and stdin_code is not None
        ):
            self.script(stdin_code, depth + 1, nested_via, dict(env), span=where)

    def _interpreter(
        self,
        inv: Invocation,
        s: _Simple,
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
            self._exec_file(inv.operands[0], name, words)
        else:
            self._stdin_exec(s, stdin_code, "code", depth, nested_via, env, where)

    def _sql_client(self, inv: Invocation, s: _Simple, stdin_code: str | None) -> None:
        """psql -c, mysql -e, sqlite3 DB SQL, or SQL piped in: handed to the SQL analyzer."""
        sql = _option_value(inv.argv, C.SQL_CLIENTS[inv.name])
        if sql is None and inv.name in ("sqlite3", "duckdb") and len(inv.operands) >= 2:
            sql = inv.operands[1]
        if sql is None:
            sql = stdin_code if stdin_code is not None else s.prev.literal if s.prev else None
        if sql is not None:
            self.out.sql.append(sql)

    def _dynamic(
        self,
        inv: Invocation,
        s: _Simple,
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

    def _shell_script_arg(self, name: str, argv: list[str]) -> str | None:
        if name in ("pwsh", "powershell", "powershell.exe", "cmd", "cmd.exe"):
            for k, a in enumerate(argv):
                low = a.lower()
                if low in _PWSH_COMMAND and k + 1 < len(argv):
                    return " ".join(argv[k + 1 :])
                if low in _PWSH_ENCODED and k + 1 < len(argv):
                    self.out.facts.setdefault(Fact.DECODED_EXEC, f"{name} {a} {argv[k + 1][:60]}")
                    try:
                        blob = argv[k + 1]
                        script = base64.b64decode(blob + "=" * (-len(blob) % 4)).decode(
                            "utf-16-le", "replace"
                        )
                    except (binascii.Error, ValueError):
                        return None
                    self.out.derived.append(script)
                    return script
            return None
        for k, a in enumerate(argv):
            if _SHELL_C_FLAG.match(a) and k + 1 < len(argv):
                return argv[k + 1]
            if not a.startswith("-"):
                return None
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
        if found.secret_env:
            self.out.facts.setdefault(Fact.SECRET_ENV_READ, f"code reads {found.secret_env[0]}")
        if found.reverse_shell:
            self.out.facts.setdefault(Fact.REVERSE_SHELL, f"code: {found.reverse_shell}")
        if found.remote:
            self.out.facts.setdefault(
                Fact.REMOTE_CODE, f"code runs what it downloads: {found.remote}"
            )
        for payload in found.decoded:
            self.out.facts.setdefault(
                Fact.DECODED_EXEC, f"encoded payload run by code: {payload[:60]}"
            )
            self.out.derived.append(payload)
        for command in found.shell:
            self.script(command, depth + 1, via, {}, span=where)

    def _stdin_code(self, s: _Simple) -> str | None:
        for r in s.redirects:
            if r.op in ("<<", "<<-") and r.body is not None:
                return r.body
            if r.op == "<<<" and r.target is not None:
                return r.target.text
        return None

    def _stdin_exec(
        self,
        s: _Simple,
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
        name = _option_value(argv, frozenset({"-name", "-iname", "-path", "-ipath", "-regex"}))
        targets = [_find_target(r, name, self.classify) for r in roots]
        if "delete" in inv.flags:
            for t in targets:
                self._add("delete", t, "find -delete")
        while k < len(argv):
            if argv[k] in ("-exec", "-execdir", "-ok", "-okdir"):
                j = k + 1
                cmd: list[str] = []
                while j < len(argv) and argv[j] not in (";", "+"):
                    cmd.append(argv[j])
                    j += 1
                if cmd:
                    filled = [targets[0] if a == "{}" else a.replace("{}", targets[0]) for a in cmd]
                    self.script(
                        " ".join(quote(a) for a in filled), depth + 1, via, dict(env), span=where
                    )
                k = j
            k += 1


_STARTUP = frozenset({"shell-init"})
_DB_QUERY = re.compile(
    r"(^|\s)(-c|-e|-q|--command|--execute|--query)(\s+|=)['\"]?\s*(\\copy|copy|select|with)\b",
    re.I,
)
_CLOUD_VERBS = frozenset(
    {"s3", "storage", "blob", "cp", "sync", "mv", "upload", "copy", "copyto", "moveto", "move"}
)
_DATA_OUT = frozenset({"database-dump", "personal-data", "data", "secret", "credentials"})


# A payload that is nothing but an expansion the analysis could not resolve: `$CMD`, `"${X}"`.
_UNRESOLVED = re.compile(r'^\s*"?(?:\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\$[0-9@*])"?\s*$')


# Programs a hidden spelling is matched against (`/???/?m` and `r${x}m` are rm).
def _decode_chain(prev: _Simple) -> str | None:
    """If a decoder is fed a literal (`echo PAYLOAD | base64 -d`), the decoded text."""
    src, inv = prev.prev, prev.invocation
    if src is None or src.literal is None or inv is None:
        return None
    return decode_literal(inv.name, inv.operands, src.literal)
