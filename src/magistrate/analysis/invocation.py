"""An invocation: one command that will run, after wrappers are unwrapped — what analyzers read.

The shell analyzer builds invocations from command lines (resolving `sudo`, `env`, `ssh host`,
`bash -c` and the like); per-family analyzers (`magistrate.analysis.families`) turn each into
typed effects.
"""

from __future__ import annotations

from dataclasses import dataclass

from magistrate.analysis import commands as C


@dataclass(slots=True, init=False)
class Invocation:
    """One command that will run, after wrappers are unwrapped."""

    name: str
    argv: list[str]
    flags: frozenset[str]
    operands: list[str]
    subcommand: str
    via: tuple[str, ...]
    privileged: bool
    depth: int
    start: int
    end: int
    stdin_source: str | None  # network | decoder | literal | file | command | None
    text: str  # the arguments joined, with free-text messages (`-m "…"`) blanked
    arg_hits: frozenset[int] | None  # ids of rules' argument patterns matching `text`
    stdin_args: tuple[str, ...]  # operands `xargs` feeds it from the command before
    env: tuple[str, ...]  # `NAME=value` assignments it runs with (`RAILS_ENV=test rails …`)

    # Written out, not generated: mypyc compiles this one (a generated `__init__` stays
    # interpreted).
    def __init__(
        self,
        name: str,
        argv: list[str],
        flags: frozenset[str],
        operands: list[str],
        subcommand: str,
        via: tuple[str, ...],
        privileged: bool,
        depth: int,
        start: int,
        end: int,
        stdin_source: str | None = None,
        text: str = "",
        arg_hits: frozenset[int] | None = None,
        stdin_args: tuple[str, ...] = (),
        env: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.argv = argv
        self.flags = flags
        self.operands = operands
        self.subcommand = subcommand
        self.via = via
        self.privileged = privileged
        self.depth = depth
        self.start = start
        self.end = end
        self.stdin_source = stdin_source
        self.text = text
        self.arg_hits = arg_hits
        self.stdin_args = stdin_args
        self.env = env


def basename(word: str) -> str:
    """`/usr/bin/rm` → `rm`; `C:\\Windows\\cmd.exe` → `cmd`; lower-cased (Windows programs are
    known by their names without `.exe`: `curl.exe` is curl)."""
    name = _BASENAMES.get(word)
    if name is None:  # command words recur: remembered (bounded)
        name = word.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].lower()
        name = name[:-4] if name.endswith(".exe") and len(name) > 4 else name
        if len(word) <= 256:
            if len(_BASENAMES) >= 8192:
                _BASENAMES.clear()
            _BASENAMES[word] = name
    return name


_BASENAMES: dict[str, str] = {}


def split_flags(argv: list[str], slashes: bool = False) -> tuple[frozenset[str], list[str]]:
    """Short flags as single letters (`-rf` → r, f), long flags without dashes, and operands;
    with `slashes`, cmd's switches too (`rd /s /q` → s, q; `/a:h` → a)."""
    flags: set[str] = set()
    operands: list[str] = []
    ended = False
    for arg in argv:
        if slashes and arg[:1] == "/" and arg[1:2].isalpha() and (len(arg) == 2 or arg[2] == ":"):
            flags.add(arg[1].lower())
        elif ended or len(arg) < 2 or arg[0] != "-" or arg[1].isdigit():
            operands.append(arg)
        elif arg == "--":
            ended = True
        elif arg[1] == "-":
            flags.add(arg[2:].split("=", 1)[0].lower())
        elif arg[1:].isalpha():
            flags.update(arg[1:])
            if len(arg) > 2:
                flags.add(arg[1:].lower())  # single-dash long options: -delete, -rf as a word
        else:
            flags.add(arg[1:].split("=", 1)[0])
    return frozenset(flags), operands


def subcommand_of(name: str, argv: list[str]) -> str:
    """The first operands, lower-cased, skipping global options: `git -C x push -f` → `push`."""
    valued = C.SUBCOMMAND_VALUE_OPTIONS.get(name, frozenset())
    words: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg.startswith("-"):
            if arg in valued:
                skip = True
            continue
        words.append(arg.lower())
        if len(words) == 3:
            break
    return " ".join(words)


def short_option_value(argv: list[str], i: int, letter: str) -> str | None:
    """The value of a short option given alone or last in a cluster (`-o F`, `-sSLo F`, `-oF`)."""
    arg = argv[i]
    if len(arg) < 2 or arg[0] != "-" or arg[1] == "-" or letter not in arg[1:]:
        return None
    rest = arg[arg.index(letter, 1) + 1 :]
    if rest:
        return rest
    return argv[i + 1] if i + 1 < len(argv) else None
