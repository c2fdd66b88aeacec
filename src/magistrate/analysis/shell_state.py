"""The state of one shell analysis, shared by its three parts: the walk over the command line
(`shell.py`), the effects of each command (`shell_effects.py`) and the code a command runs
(`shell_follow.py`). Each part is a class over the one before it, so one object carries the
results, the downloads seen so far and the budget through all of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from magistrate.analysis import commands as C
from magistrate.analysis.dynamic import evaluate_substitution, tr_table
from magistrate.analysis.effects import Effect
from magistrate.analysis.facts import Fact
from magistrate.analysis.invocation import Invocation, basename
from magistrate.analysis.paths import PathClassifier
from magistrate.analysis.shell_args import quote
from magistrate.analysis.shell_args import substitution_source as _substitution_source
from magistrate.analysis.shell_lex import Redir, Word

__all__ = ["CRON_SCHEDULE", "NET_DEVICE", "RunState", "ShellAnalysis", "SimpleCommand"]

# `$NAME`, `${NAME}`, and the positional parameters of a function's body (`$1`, `"$@"`).
_VAR_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*|[0-9@*])\}|\$([A-Za-z_][A-Za-z0-9_]*|[0-9@*])")
_INDIRECT_REF = re.compile(r"\$\{!([A-Za-z_][A-Za-z0-9_]*)\}")
CRON_SCHEDULE = re.compile(
    r"^\s*(?:@(?:reboot|yearly|annually|monthly|weekly|daily|hourly)|(?:[*\d/,\-]+\s+){5})"
    r"(?:(?:root|www-data|nobody|daemon)\s+)?"
)
NET_DEVICE = re.compile(r"^/dev/(?:tcp|udp)/", re.I)


ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(\+?=)(.*)$", re.S)
PLAIN_REFERENCE = re.compile(r"^\$(\{\w+\}|\w+)(/[\w./-]*)?$")
# A value whose only expansions are the home folder (`rm,-rf,$HOME`): a known place.
_ONLY_HOME_REFS = re.compile(r"^(?:[^$`]|\$(?:HOME|\{HOME\})(?!\w))*$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def set_variables(argv: list[str], env: dict[str, str]) -> None:
    """What `set` assigns: fish's `set c rm` a variable, `set -- a b` the positional parameters
    (`"$@"` is then `a b`)."""
    values = [a for a in argv[1:] if a[:1] != "-"]
    if argv[1:2] == ["--"]:
        env["@"] = env["*"] = " ".join(quote(a) for a in argv[2:])
    elif len(values) > 1 and _NAME.match(values[0]):
        env[values[0]] = " ".join(values[1:])


# `read`'s options that take a value (`-p PROMPT`, `-d DELIM`, `-a ARRAY`…).
_READ_VALUED = frozenset({"-a", "-d", "-i", "-n", "-N", "-p", "-t", "-u"})


def read_variables(argv: list[str], fed: str, env: dict[str, str]) -> None:
    """What `read NAME…` assigns from the line it is fed, split on `$IFS` (the last name takes
    the rest): `IFS=, read -r p f t <<< 'rm,-rf,/x'` makes p rm, f -rf, t /x."""
    names: list[str] = []
    k = 1
    while k < len(argv) and len(names) < 16:
        if argv[k] in _READ_VALUED:
            k += 2
            continue
        if not argv[k].startswith("-") and _NAME.match(argv[k]):
            names.append(argv[k])
        k += 1
    names = names or ["REPLY"]
    ifs = env.get("IFS", " \t\n") or " \t\n"
    parts = [p for p in re.split("[" + re.escape(ifs) + "]", fed.strip("\n")) if p or ifs.strip()]
    for j, name in enumerate(names):
        last = j == len(names) - 1
        env[name] = ifs[0].join(parts[j:]) if last else (parts[j] if j < len(parts) else "")


@dataclass(slots=True, init=False)
class ShellAnalysis:
    """What a shell command line runs and does."""

    invocations: list[Invocation]
    effects: list[Effect]
    facts: dict[str, str]
    sql: list[str]  # SQL handed to database clients
    # …connected to a database that is thrown away (`disposable`), with the client's name
    sql_disposable: list[tuple[str, str]]
    code: list[str]  # program code handed to interpreters
    data_spans: list[tuple[int, int]]  # quoted data at top level
    derived: list[str]  # decoded payloads, to scan for patterns
    written: list[str]  # literal text written into files (`echo '…' > f`, `cat > f <<EOF`)

    # Written out, not generated: mypyc compiles this one (a generated `__init__` stays
    # interpreted; one is made for every shell subject of every action).
    def __init__(self) -> None:
        self.invocations = []
        self.effects = []
        self.facts = {}
        self.sql = []
        self.sql_disposable = []
        self.code = []
        self.data_spans = []
        self.derived = []
        self.written = []


@dataclass(slots=True, init=False)
class SimpleCommand:
    """One simple command of a line: its words and redirections, and what it is fed and makes."""

    words: list[Word]
    redirects: list[Redir]
    prev: SimpleCommand | None  # the command whose output is piped into this one
    invocation: Invocation | None
    source: str | None  # what this command's output is: network, decoder, literal…
    literal: str | None  # its output, when it is a known literal (echo/printf)
    piped: bool  # its output goes into the next command of a pipeline
    assigns: list[str]  # `NAME=value` words it runs with

    # Written out, as ShellAnalysis's: one is made for every simple command of a line.
    def __init__(self, prev: SimpleCommand | None = None) -> None:
        self.words = []
        self.redirects = []
        self.prev = prev
        self.invocation = None
        self.source = None
        self.literal = None
        self.piped = False
        self.assigns = []


class RunState:
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
        self.aliases: dict[str, str] = {}  # `alias ll='ls -la'`: a later `ll` runs `ls -la`
        # files named like options (`touch -- --checkpoint-action=exec=…`): a later `*` hands
        # them to its command as options
        self.option_files: list[str] = []
        # `f() { …; }`: a later `f ARGS` runs its body (the body, and where f was defined)
        self.functions: dict[str, tuple[str, int]] = {}

    def leading_assignments(
        self, words: list[Word], i: int, env: dict[str, str]
    ) -> tuple[int, list[str]]:
        """Leading assignments from word `i`, into `env` (or `tainted`); the next word's index."""
        assigns: list[str] = []
        while i < len(words):
            text = words[i].text
            m = ASSIGNMENT.match(text) if "=" in text and text[0] != "=" else None
            if not m:
                break
            name, _, value = m.groups()
            if not words[i].dynamic or PLAIN_REFERENCE.match(value):
                env[name] = value  # `dir=$HOME`: later `"$dir"/*` is `$HOME/*`
            elif source := _substitution_source(words[i].subs):
                self.tainted[name] = source  # `a=$(curl …)`: running `$a` runs the download
                if source == "decoder" and "$" not in (
                    v := self._resolve(words[i], env, True).partition("=")[2]
                ):
                    env[name] = v  # `X=$(echo L2V0Yw== | base64 -d)`: X is /etc
            elif (known := self._resolve(words[i], env).partition("=")[2]) and (
                "$" not in known or PLAIN_REFERENCE.match(known) or _ONLY_HOME_REFS.match(known)
            ):
                env[name] = known  # `c=${c}rl`, `cmd=$(printf '\x72\x6d')`: what it now holds
            assigns.append(words[i].text)
            i += 1
        return i, assigns

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

    def script(
        self,
        src: str,
        depth: int,
        via: tuple[str, ...],
        env: dict[str, str],
        top: bool = False,
        span: tuple[int, int] | None = None,
    ) -> None:
        """Read a command line (the walk in `shell.py` defines it)."""
        raise NotImplementedError

    def _program_code(
        self,
        code: str,
        depth: int,
        via: tuple[str, ...],
        env: dict[str, str],
        where: tuple[int, int],
        words: list[Word],
    ) -> None:
        """Read program code (the walk in `shell_follow.py` defines it)."""
        raise NotImplementedError

    # ----------------------------------------------------------------- values
    def _resolve(self, w: Word, env: dict[str, str], printed: bool = False) -> str:
        """A word's value with known variables and trivial `$(echo x)` substituted; `printed`:
        the word is only printed (`echo "$(… | base64 -d)"` to the terminal runs nothing)."""
        text = w.text
        if not w.dynamic:
            return text
        if w.subs:
            for sub in w.subs:
                literal, decoded = evaluate_substitution(sub)
                if literal is None:
                    continue
                if decoded and not printed:
                    self.out.facts.setdefault(Fact.DECODED_EXEC, f"$({sub.strip()[:80]})")
                    self.out.derived.append(literal)
                text = text.replace(f"$({sub})", literal).replace(f"`{sub}`", literal)
        if env and "${!" in text:  # `x=a; ${!x}`: the value of the variable x names
            text = _INDIRECT_REF.sub(
                lambda m: env.get(
                    env.get(m[1], ""), "${" + env[m[1]] + "}" if m[1] in env else m[0]
                ),
                text,
            )
        if env and "$" in text:
            text = _VAR_REF.sub(lambda m: env.get(m.group(1) or m.group(2), m.group(0)), text)
        return text

    def _source_kind(self, name: str, inv: Invocation | None, s: SimpleCommand) -> str | None:
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

    def _stdin_code(self, s: SimpleCommand) -> str | None:
        for r in s.redirects:
            if r.op in ("<<", "<<-") and r.body is not None:
                return r.body
            if r.op == "<<<" and r.target is not None:
                return r.target.text
        return None

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
