"""Reading the arguments of subcommand-style programs (git, kubectl, aws…): shared by families.

These programs take `PROGRAM [global options] VERB [VERB…] [options] OPERANDS`. Families read
their verbs, the values of named options and their operands with the helpers here, never with
regular expressions over the joined arguments.
"""

from __future__ import annotations

from collections.abc import Iterable

from magistrate.analysis.effects import Effect
from magistrate.analysis.families.base import Classify
from magistrate.analysis.invocation import Invocation

_NO_EFFECT = frozenset({"--help", "-h", "help", "--dry-run", "--dryrun", "--no-act", "--version"})


def asks_nothing(argv: list[str], extra: Iterable[str] = ()) -> bool:
    """True when the invocation only asks for help, a version or a dry run. Short options
    keep their case (`docker -H host` names a host), and `-h` asks for help only as the last
    word (`psql -h db`, `dropdb -h db app` name a host)."""
    stop = _NO_EFFECT.union(extra)
    for k, a in enumerate(argv):
        low = a if a[:2] != "--" else a.lower()
        if low == "-h" and k < len(argv) - 1:
            continue
        if low in stop or low.startswith("--dry-run="):
            return True
    return False


def split(argv: list[str], valued: frozenset[str] = frozenset()) -> tuple[list[str], list[str]]:
    """(operands, options) of an argument list; an option in `valued` takes the next word."""
    operands: list[str] = []
    options: list[str] = []
    skip = False
    ended = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if ended or not arg.startswith("-") or arg == "-":
            operands.append(arg)
        elif arg == "--":
            ended = True
        else:
            options.append(arg)
            if arg in valued:
                skip = True
    return operands, options


def verbs(argv: list[str], valued: frozenset[str] = frozenset(), n: int = 3) -> list[str]:
    """The first `n` operands, lower-cased: `aws --profile p s3 rb s3://b` → [s3, rb, s3://b]."""
    return [w.lower() for w in split(argv, valued)[0][:n]]


def values(argv: list[str], *names: str) -> list[str]:
    """Every value of the named options: `--namespace x`, `--namespace=x`, `-nx` for `-n`."""
    found: list[str] = []
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                found.append(argv[i + 1])
            elif arg.startswith(name + "="):
                found.append(arg[len(name) + 1 :])
            elif len(name) == 2 and arg.startswith(name) and len(arg) > 2 and arg[2] != "-":
                found.append(arg[2:])  # `-nprod`: a short option glued to its value
    return found


def has(argv: list[str], *names: str) -> bool:
    """True when one of the named options is given (alone or as `--name=value`)."""
    return any(a in names or a.split("=", 1)[0] in names for a in argv)


def short_flag(argv: list[str], letter: str) -> bool:
    """True when a short flag is given, alone or bundled: `-f`, `-fd`, `-dfx`."""
    return any(
        len(a) > 1 and a[0] == "-" and a[1] != "-" and a[1:].isalpha() and letter in a[1:]
        for a in argv
    )


def secret_read(what: str, inv: Invocation, classify: Classify) -> Effect:
    """A secret read out of a secret store (a cloud secret manager, a vault, a keychain, a
    cluster): a path-style `read` of `secret-store:WHAT`, of the `secret` class, so that every
    rule about secrets read or sent out sees it as it sees `cat ~/.aws/credentials`."""
    target = f"secret-store:{what}"[:200]
    return Effect(
        "read", target, classify(target) | {"secret", "secret-store"}, inv.name, inv.privileged
    )
