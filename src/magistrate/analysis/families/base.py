"""What a family analyzer is: command names it knows, invocation → effects, and its examples.

A family never deals with wrappers, quoting or nesting: the shell analyzer resolves `sudo`,
`env`, `ssh host`, `bash -c`, `xargs`… and hands each family the invocation that will really
run. A family says what that invocation does, as typed effects (`magistrate.analysis.effects`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from magistrate.analysis.effects import Effect
from magistrate.analysis.invocation import Invocation

# The constitution's path classifier: a path → its classes.
Classify = Callable[[str], frozenset[str]]
EffectsOf = Callable[[Invocation, Classify], Iterable[Effect]]


@dataclass(frozen=True, slots=True)
class Example:
    """A command line and the effects it must (`has`) and must not (`lacks`) produce.

    Each entry is `op` or `op:class` (`destroy:namespace`); the family's tests run every
    example through the real shell analyzer, wrappers and all.
    """

    command: str
    has: tuple[str, ...] = ()
    lacks: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Family:
    """One family of programs and what their invocations do."""

    name: str
    commands: frozenset[str]
    effects: EffectsOf
    examples: tuple[Example, ...]
    prefixes: tuple[str, ...] = ()  # name prefixes (`mkfs.` covers mkfs.ext4, mkfs.xfs…)


# Environment names in resource names, options and contexts.
_PRODUCTION = re.compile(r"(?:^|[^a-z0-9])(prod|production|prd|live)(?:$|[^a-z0-9])", re.I)
_SCRATCH = re.compile(
    r"(?:^|[^a-z0-9])(tmp|temp|scratch|sandbox|test|testing|dev|development|ci|preview|ephemeral"
    # clouds and clusters that run on this machine (LocalStack, minikube, k3d, Docker Desktop)
    r"|e2e|(?:pr|mr)-?\d+|localstack|minikube|k3d|microk8s|docker-desktop|rancher-desktop|orbstack)"
    r"(?:$|[^a-z0-9])",
    re.I,
)


def environment_classes(words: Iterable[str]) -> frozenset[str]:
    """`production` when a word names production, `scratch` when one names a throw-away place."""
    text = " ".join(words)[:4096]
    found: set[str] = set()
    if _PRODUCTION.search(text):
        found.add("production")
    if _SCRATCH.search(text):
        found.add("scratch")
    return frozenset(found)


# Variables that choose the environment a program works on: RAILS_ENV, MIX_ENV, NODE_ENV, APP_ENV,
# DJANGO_SETTINGS_MODULE, AWS_PROFILE, SPRING_PROFILES_ACTIVE, TF_WORKSPACE, KUBE_CONTEXT, STAGE…
_SELECTOR = re.compile(
    r"^(?:[A-Z0-9_]*_)?(?:ENV|ENVIRONMENT|STAGE|PROFILE|PROFILES_ACTIVE|SETTINGS_MODULE|SETTINGS"
    r"|WORKSPACE|CONTEXT|CONFIG_NAME|TIER)$",
    re.I,
)

_LOCAL = re.compile(r"(?:^|[^a-z0-9])(development|develop|local|testing)(?:$|[^a-z0-9])", re.I)


# A connection string's variable, and a connection string to a database on this machine whose
# name says it is for tests or development (a server elsewhere is never read as throw-away).
_CONNECTION_VAR = re.compile(r"(DATABASE|DB|DSN|POSTGRES|MYSQL|MONGO|REDIS)\w*$|_URL$|_URI$", re.I)
# scheme://[user[:password]@]host[:port]/name[?options], read in one pass (no backtracking).
_LOCAL_URL = re.compile(
    r"^[\w+.-]{1,40}://(?:[^@/\s]{0,200}@)?(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?/"
    r"([\w.-]{1,200})(?:\?\S{0,500})?$",
    re.I,
)
# A database's name that says it is for tests or development: the word on its own, or joined
# to the rest of the name by `_` or `-` (`app_test`, `test-db`, `ci_42`; not `latest`).
_TEST_NAME = re.compile(r"(^|[_-])(test|tests|testing|dev|development|e2e|ci)([_-]|$)", re.I)


def local_test_url(value: str) -> bool:
    """A connection string to a database on this machine named for tests or development."""
    m = _LOCAL_URL.match(value) if len(value) <= 1000 else None
    return m is not None and _TEST_NAME.search(m.group(1)) is not None


def assigned_environment(assignments: Iterable[str]) -> frozenset[str]:
    """The environment classes that `NAME=value` assignments give a command.

    `production` from any assignment naming it (`DATABASE_URL=$PROD_DATABASE_URL`); `scratch`
    only from a variable that selects the environment (`RAILS_ENV=test`, `MIX_ENV=dev`), so
    `TMPDIR=/tmp` or `LOG_DIR=test-logs` make nothing throw-away."""
    found: set[str] = set()
    for word in list(assignments)[:32]:
        name, _, value = word.partition("=")
        name = name.rstrip("+")
        if "production" in environment_classes([word.replace("=", " ")]):
            found.add("production")
        if _SELECTOR.match(name) and (
            "scratch" in environment_classes([value]) or _LOCAL.search(value)
        ):
            found.add("scratch")
        elif _CONNECTION_VAR.search(name) and local_test_url(value):
            found.add("scratch")  # `DATABASE_URL=postgresql://dev@localhost:5432/core_test`
    # Production named anywhere wins: a throw-away word must not excuse it.
    return frozenset({"production"}) if "production" in found else frozenset(found)


def resource(op: str, target: str, classes: Iterable[str], inv: Invocation) -> Effect:
    """An effect on a resource, done by this invocation's program."""
    found = frozenset(classes)
    if _LOCAL_HINT.search(inv.text) and local_service(inv.argv):
        found |= {"scratch"}
    return Effect(op, target[:200], found, inv.name, inv.privileged)


# Options that point a cloud or registry client at another server than its default.
_SERVER_OPTIONS = frozenset(
    "--endpoint-url --endpoint --registry --repository-url --repository --index-url".split()
)
_LOCAL_HINT = re.compile(r"localhost|127\.0\.0\.1|\[::1\]|testpypi|test\.pypi\.org", re.I)
# A source named as holding nothing: synced with --delete, the destination is made like it
# (empty) — a bucket (`aws s3 sync ./empty s3://site --delete`) or a folder (`rsync`).
EMPTY_SOURCE = re.compile(r"(^|/)(empty|blank|void|nothing)[\w-]*/?$|mktemp", re.I)
_LOCAL_SERVER = re.compile(
    r"^(https?://)?(localhost|127\.0\.0\.1|\[::1\])([:/]|$)|^testpypi$|^https://test\.pypi\.org/",
    re.I,
)


def local_service(argv: list[str]) -> bool:
    """`aws dynamodb … --endpoint-url http://localhost:8000`, `npm publish --registry
    http://localhost:4873`, `twine upload --repository testpypi`: the call goes to an emulator, a
    registry on this machine or the test index, not to the cloud or the public registry."""
    for i, word in enumerate(argv):
        name, eq, value = word.partition("=")
        if name in _SERVER_OPTIONS:
            value = value if eq else (argv[i + 1] if i + 1 < len(argv) else "")
            if _LOCAL_SERVER.match(value):
                return True
    return False


_HELP = frozenset({"-h", "--help", "-help", "/?", "--dry-run", "--simulate", "--no-act"})


def asks_help(inv: Invocation) -> bool:
    """`--help`, `-h`, `/?`, `--dry-run`: the program is asked about, not run (`--version` often
    takes a value: `dotnet add package X --version 8.0.5`).

    Argument words, not `inv.flags`: PowerShell's `-ExclusionPath` splits into letters there."""
    return any(a in _HELP for a in inv.argv)
