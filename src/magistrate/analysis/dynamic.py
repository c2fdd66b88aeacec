"""What is not spelled literally: command names held in variables or substitutions, secrets read
from the environment by name, and the word splitting a custom `IFS` makes.

An analyzer that only knows literal names is blind to `$SHELL -c 'rm -rf /'`,
`"$(which bash)" -c …` or `IFS=_;cmd=rm_-rf_~;$cmd`. These helpers let the shell analyzer judge
such commands as the shell would run them, and say that the name was hidden.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import re2  # type: ignore[import-untyped]

from magistrate.analysis.shell_lex import Op, Word, _decode_ansi_c, lex

# A variable reference: `$NAME`, `${NAME}`, `${NAME:-x}`, PowerShell `$env:NAME`, cmd `%NAME%`.
# `${NAME:+word}` and `${NAME+word}` expand to word, never to the value (group 3 marks them).
_VAR = re2.compile(r"\$(?:env:|(\{))?([A-Za-z_][A-Za-z0-9_]*)(:?\+)?|%([A-Za-z_][A-Za-z0-9_]*)%")
# Code reading one variable by name: os.environ['X'], os.getenv("X"), process.env.X, ENV['X'],
# System.getenv("X"), getenv('X'), $ENV{X}, Deno.env.get("X").
_CODE_ENV = re2.compile(
    r"(?:environ(?:\.get)?\s*[\[(]\s*|getenv\s*\(\s*|env\.get\s*\(\s*|ENV\s*\[\s*|ENV\s*\{\s*"
    r"|ENV\.fetch\s*\(\s*)['\"]?([A-Za-z_][A-Za-z0-9_]*)|process\.env\.([A-Za-z_][A-Za-z0-9_]*)"
    r"|process\.env\[\s*['\"]([A-Za-z_][A-Za-z0-9_]*)"
)
# A statement that prints or writes out (the first 160 characters after the call).
_PRINTED = re2.compile(
    r"\b(?:print|pprint|console\.(?:log|error|info|warn)|puts|pp|println|printf|echo|say|dump"
    r"|write|Write-Output|Write-Host|log(?:ger)?\.(?:info|warning|debug|error))\b[^;\n]{0,160}"
)
# Words in a variable name that say it holds a credential.
_CREDENTIAL_WORDS = frozenset(
    {"KEY", "APIKEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASS", "CREDENTIAL", "PAT", "AUTH"}
    | {"CREDENTIALS", "PRIVATEKEY", "SECRETKEY", "ACCESSKEY", "AUTHTOKEN", "PWD_HASH"}
)
# …unless it names where a credential lives, not the credential (`SSH_KEY_PATH`, `KEY_FILE`).
_LOCATION_WORDS = frozenset({"FILE", "PATH", "DIR", "SOCK", "URL", "HOST", "ID", "NAME", "ARN"})
# Substitutions that only look a program up: `$(which bash)`, `$(command -v sh)`.
_LOOKUPS = frozenset({"which", "type", "whence", "where"})


def credential_name(name: str) -> bool:
    """True when an environment variable's name says it holds a credential."""
    parts = [p for p in name.upper().split("_") if p]
    if not parts or parts[-1] in _LOCATION_WORDS:
        return False
    return any(p in _CREDENTIAL_WORDS for p in parts) or parts[-1].endswith(("KEY", "TOKEN"))


def credential_vars(text: str) -> list[str]:
    """Credential-named variables a shell text expands (`$OPENAI_API_KEY`, `$env:GH_TOKEN`)."""
    if "$" not in text and "%" not in text:
        return []
    found = []
    for m in _VAR.finditer(text[:8192]):
        if m.group(1) and m.group(3):
            continue  # `${TOKEN:+set}`: says whether it is set, not what it holds
        name = m.group(2) or m.group(4)
        if credential_name(name):
            found.append(name)
    return found


def credential_reads_in_code(code: str) -> list[str]:
    """Credential-named variables program code prints (`print(os.environ['OPENAI_API_KEY'])`);
    handing one to a client (`OpenAI(api_key=os.environ[...])`) is use, not a read-out."""
    if "env" not in code and "ENV" not in code:
        return []
    out = []
    for printed in _PRINTED.finditer(code[:20_000]):
        m = _CODE_ENV.search(printed.group(0))
        if m is None:
            continue
        name = m.group(1) or m.group(2) or m.group(3)
        if name and credential_name(name):
            out.append(name)
    return out


# Variables that by convention hold a program: `$SHELL -c …` runs a shell, `${PYTHON:-python3}`
# runs Python. Read as that program (the unspelled name stays a MEDIUM signal).
CONVENTIONAL_PROGRAMS = {
    "SHELL": "sh",
    "BASH": "bash",
    "ZSH_NAME": "zsh",
    "0": "sh",
    "PYTHON": "python",
    "PYTHON3": "python3",
    "NODE": "node",
    "RUBY": "ruby",
    "PERL": "perl",
    "PHP": "php",
    "GO": "go",
    "CARGO": "cargo",
    "NPM": "npm",
    "PIP": "pip",
    "MAKE": "make",
    "CC": "cc",
    "CXX": "c++",
    "JAVA": "java",
    "DOCKER": "docker",
    "KUBECTL": "kubectl",
    "EDITOR": "vi",
    "VISUAL": "vi",
    "PAGER": "less",
    "COMSPEC": "cmd",
}
# (`${0##*/}`: the shell's own name without its folder is still the shell)
_CONVENTIONAL = re2.compile(r"^\$\{?([A-Za-z_][A-Za-z0-9_]*|0)(?:##?\*/)?(?::?-([^}]*))?\}?$")


def conventional_program(word: str) -> str | None:
    """`$SHELL` → `sh`, `${PYTHON:-python3}` → `python3` (the default), `$X` → None."""
    m = _CONVENTIONAL.match(word)
    if m is None:
        return None
    return m.group(2) or CONVENTIONAL_PROGRAMS.get(m.group(1).upper())


def looked_up(words: list[str]) -> str | None:
    """The program a lookup substitution names: `which bash` → `bash`, `command -v sh` → `sh`."""
    if not words:
        return None
    head = words[0]
    rest = [w for w in words[1:] if not w.startswith("-")]
    if (head in _LOOKUPS or (head == "command" and words[1:2] in (["-v"], ["-V"]))) and rest:
        return rest[-1]
    return None


# `ps` options that list every process (`-e`, `-A`, BSD `ax`/`aux`).
_PS_EVERY = frozenset({"-e", "-A", "ax", "aux", "-ax", "-aux", "axo", "-eo", "-Ao", "-ef", "-eF"})


def known_output(stages: list[list[str]]) -> str | None:
    """What a substitution prints where the command's purpose fixes it, whatever the machine:
    the working folder (`pwd`, `git rev-parse --show-toplevel`: the project), the repository's
    history (`git rev-parse --git-dir`), the user's home (`getent passwd $USER | cut -d: -f6`),
    every process's id (`ps -eo pid=`, which `kill` then ends: as `kill -1`)."""
    first = stages[0]
    if not first:
        return None
    head = first[0]
    if len(stages) == 1 and first == ["pwd"]:
        return "."
    if head == "git" and len(stages) == 1 and first[1:2] == ["rev-parse"]:
        if "--show-toplevel" in first:
            return "."
        if "--git-dir" in first or "--absolute-git-dir" in first:
            return ".git"
    if head == "getent" and first[1:2] == ["passwd"] and len(stages) == 2:
        cut = stages[1]
        if cut[:1] == ["cut"] and ("-f6" in cut or cut[-1:] == ["6"]):
            return "$HOME"
    if head in ("find", "locate") and len(stages) == 1:
        return _found(first)
    if (
        head == "ps"
        and len(stages) == 1
        and _PS_EVERY & set(first[1:])
        and any(a in ("pid", "pid=") for a in first[1:])
    ):
        return "-1"
    return None


_FIND_NAMES = frozenset({"-name", "-iname", "-path", "-ipath", "-wholename"})


def _found(argv: list[str]) -> str | None:
    """What `find ROOT -name X` or `locate X` prints: a file named X under ROOT (anywhere for
    `locate`), the root itself when no name narrows it (`$(find / -name id_rsa)` is a key)."""
    words = argv[1:]
    if argv[0] == "locate":
        names = [w for w in words if not w.startswith("-")]
        return "/" + names[0].lstrip("/*") if names else None
    roots: list[str] = []
    while words and not words[0].startswith(("-", "(", "!")):
        roots.append(words.pop(0))
    root = roots[0] if roots else "."
    name = next((words[k + 1] for k, w in enumerate(words[:-1]) if w in _FIND_NAMES), None)
    if name is None:
        return root
    return name if root in (".", "./") or "/" in name else root.rstrip("/") + "/**/" + name


def ifs_split(value: str, ifs: str | None) -> list[str]:
    """The fields an unquoted expansion splits into under `IFS` (default: blanks)."""
    seps = " \t\n" if ifs is None else ifs
    if not seps:
        return [value]
    fields = [value]
    for sep in seps:
        fields = [part for f in fields for part in f.split(sep)]
    return [f for f in fields if f]


_B64_TEXT = re2.compile(r"^[A-Za-z0-9+/=\s]{8,}$")


def _expand(spec: str) -> str | None:
    """A `tr` set with its ranges spelled out (`a-c` → `abc`); None when too large or odd."""
    out: list[str] = []
    i = 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-" and spec[i] <= spec[i + 2]:
            out.extend(chr(c) for c in range(ord(spec[i]), ord(spec[i + 2]) + 1))
            i += 3
        else:
            out.append(spec[i])
            i += 1
        if len(out) > 256:
            return None
    return "".join(out)


def tr_table(operands: list[str]) -> dict[int, int] | None:
    """The letter substitution `tr SET1 SET2` makes when it permutes letters (ROT13 and other
    rotations): a decoder, whose output fed to a shell is a hidden program."""
    if len(operands) != 2:
        return None
    first, second = _expand(operands[0]), _expand(operands[1])
    if not first or not second or len(first) < 26 or len(second) > len(first):
        return None
    second += second[-1] * (len(first) - len(second))  # GNU tr repeats SET2's last character
    if not set(second) <= set(first) or not set(first) <= set(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    ):
        return None
    moved = sum(a != b for a, b in zip(first, second, strict=True))
    return str.maketrans(first, second) if moved >= len(first) // 2 else None


def decode_literal(decoder: str, operands: list[str], literal: str) -> str | None:
    """What a decoder makes of a literal fed to it (`echo PAYLOAD | base64 -d`,
    `echo 'rpub' | tr a-z n-za-m`), when that can be computed."""
    if decoder == "tr":
        table = tr_table(operands)
        return literal.translate(table) if table else None
    if decoder not in ("base64", "openssl"):
        return None
    payload = literal.strip()
    if not _B64_TEXT.match(payload):
        return None
    try:
        return base64.b64decode(payload + "=" * (-len(payload) % 4)).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return None


# One conversion of a printf format: `%s`, `%-10s`, `%b`, `%d`, `%%`.
_PRINTF_SPEC = re2.compile(r"%[-+ #0]*[0-9]*(?:\.[0-9]+)?([sbdiucqxXo%])")


def printf_output(args: list[str]) -> str:
    """What `printf FORMAT ARGS…` prints: the format applied to the arguments, and reused while
    arguments remain, as the shell's printf does (`printf 'r%s -rf /' m` prints `rm -rf /`)."""
    if not args:
        return ""
    fmt, rest = _decode_ansi_c(args[0]), list(args[1:])
    consumed = False

    def convert(m: Any) -> str:
        nonlocal consumed
        if m.group(1) == "%":
            return "%"
        consumed = True
        value = rest.pop(0) if rest else ""
        return _decode_ansi_c(value) if m.group(1) == "b" else value

    out: list[str] = []
    for _ in range(64):
        consumed = False
        out.append(_PRINTF_SPEC.sub(convert, fmt))
        if not rest or not consumed:
            break
    return "".join(out)


_DECODE_STAGE = {"base64", "base32", "openssl", "xxd", "rev", "tr"}


def evaluate_substitution(sub: str) -> tuple[str | None, bool]:
    """The output of a trivial substitution: `echo X`, `printf '\\x72'`, `echo B64 | base64 -d`.
    Returns (text or None, whether a decoding step was needed)."""
    stages: list[list[str]] = [[]]
    dynamic = False
    for tok in lex(sub):
        if isinstance(tok, Op):
            if tok.op != "|":
                return None, False
            stages.append([])
        elif isinstance(tok, Word):
            dynamic = dynamic or tok.dynamic
            stages[-1].append(tok.text)
        elif tok.op == "<<<" and tok.target is not None and len(stages) == 1:
            stages = [["echo", tok.target.text], stages[0]]  # `rev <<< 'x'`: `echo x | rev`
        elif not (tok.target is not None and tok.target.text in ("/dev/null", "&1", "1", "2")):
            return None, False  # a redirection other than errors thrown away
    if (known := known_output(stages)) is not None:  # whoever `$(id -un)` is: their home
        return known, False
    if dynamic:
        return None, False
    first = stages[0]
    program = looked_up(first) if len(stages) == 1 else None
    if program is not None:  # `$(which bash)` is bash
        return program, False
    if not first or first[0] not in ("echo", "printf"):
        return None, False
    args = [a for a in first[1:] if not (a.startswith("-") and len(a) <= 3)]
    if first[0] == "printf":
        text = printf_output(args)
    else:
        text = " ".join(args)
        if "-e" in first:
            text = _decode_ansi_c(text)
    decoded = False
    for stage in stages[1:]:
        if not stage or stage[0] not in _DECODE_STAGE:
            return None, False
        flags = set(stage[1:])
        try:
            if stage[0] in ("base64", "openssl") and flags & {"-d", "--decode", "-D", "-A"}:
                text = base64.b64decode(text.strip() + "=" * (-len(text.strip()) % 4)).decode(
                    "utf-8", "replace"
                )
            elif stage[0] == "base32" and flags & {"-d", "--decode"}:
                text = base64.b32decode(text.strip()).decode("utf-8", "replace")
            elif stage[0] == "xxd" and "-r" in flags:
                text = bytes.fromhex("".join(text.split())).decode("utf-8", "replace")
            elif stage[0] == "rev":
                text = text[::-1]
            elif stage[0] == "tr" and (table := tr_table(stage[1:])) is not None:
                text = text.translate(table)
            else:
                return None, False
        except (binascii.Error, ValueError):
            return None, False
        decoded = True
    return text.strip(), decoded


# cmd.exe's `set NAME=value` (up to `&&`, `&`, `|` or the end) and its uses, `%NAME%` and,
# with delayed expansion, `!NAME!`.
_CMD_SET = re2.compile(r"(?i)\bset\s+\"?([A-Za-z_]\w{0,30})=([^&|\"\n]{0,200})")


def cmd_variables(script: str) -> str:
    """A cmd.exe script with the variables it sets substituted where it uses them
    (`set c=del&& !c! /q X` → `… del /q X`): the command a variable names is the command run."""
    if "set" not in script.lower() or ("%" not in script and "!" not in script):
        return script
    for m in list(_CMD_SET.finditer(script))[:16]:
        name, value = m.group(1), m.group(2).rstrip()
        after = script[m.end() :]
        for spelled in {name, name.lower(), name.upper()}:  # cmd's names ignore case
            after = after.replace(f"%{spelled}%", value).replace(f"!{spelled}!", value)
        script = script[: m.end()] + after
    return script
