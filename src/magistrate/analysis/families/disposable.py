"""Databases that are thrown away: what a database client or tool connects to, when it is on
this machine and named for tests or development, or held in memory.

`psql -h localhost -d app_test -c 'TRUNCATE orders'`, `sqlite3 ./tmp/test.sqlite3 'DROP TABLE
users'`, `flyway -url=jdbc:h2:mem:testdb clean` and `python manage.py flush
--settings=config.settings.test` empty or drop data that exists for a test run: ordinary work.
Only a connection the command line names whole counts: every host it names is this machine (a
client with none named connects here), every database it names is named for tests, and nothing
else could point it elsewhere (a service file, an options file, a connection variable, a
wrapper that runs it on another machine, a tunnel opened on the same line). Production named
anywhere on the invocation wins. What is excused is what stays inside that database (rows,
tables, schemas and the privileges on them), never what else the statements do (`contained`),
and nothing at all when the SQL moves to another database or out to a shell (`stays_put`).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence

from magistrate.analysis.families.base import environment_classes, local_test_url
from magistrate.analysis.families.cli import split, values
from magistrate.analysis.invocation import Invocation
from magistrate.analysis.sql import SqlStatement

# Clients whose server is named by a host option and whose database by an option or operand.
_HOSTED = frozenset(
    "psql mysql mariadb clickhouse-client clickhouse cockroach mongosh mongo".split()
) | {"dropdb", "createdb"}
_FILE_DATABASES = frozenset({"sqlite3", "duckdb", "sqlite"})
# MySQL's SCHEMA is its DATABASE, and `db.table` names a table of another database.
_SCHEMA_IS_DATABASE = frozenset({"mysql", "mariadb"})
_HOST_OPTIONS = frozenset({"-h", "--host"})
_DB_OPTIONS = frozenset({"-d", "--dbname", "--database", "-D"})
# Options of frameworks and migration tools that choose the environment or the database.
_SELECTORS = frozenset({"--settings", "--env", "--environment"})
_URL_OPTIONS = frozenset({"-url", "--url", "--uri", "--dsn", "--database-url", "--db-url"})
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
# Settings that can point a client anywhere without naming a host on the line.
_ELSEWHERE_OPTIONS = frozenset(
    {"--defaults-file", "--defaults-extra-file", "--login-path", "--defaults-group-suffix"}
)
_ELSEWHERE_VARIABLES = re.compile(
    r"^(PGHOSTADDR|PGSERVICE|PGSERVICEFILE|PGSYSCONFDIR|MYSQL_TEST_LOGIN_FILE)="
)
_HOST_VARIABLES = ("PGHOST=", "MYSQL_HOST=")
_DB_VARIABLES = ("PGDATABASE=", "MYSQL_DATABASE=")
_URL_VARIABLE = re.compile(r"^\w*(DATABASE_URL|DB_URL|DSN|DATABASE_URI)=(.*)$", re.I)
# Options that run SQL of their own when the tool connects (Flyway's -initSql, Liquibase's).
_RUNS_ON_CONNECT = re.compile(r"init|callback|script|changelog", re.I)
# In-memory databases: H2, HSQLDB, Derby, SQLite (an H2 URL's settings can run code: none).
_IN_MEMORY = re.compile(
    r"^(?:jdbc:(?:h2:mem|hsqldb:mem|derby:memory):[\w.-]*|(?:sqlite|file)?:+memory:?)$", re.I
)
# Options followed by a value, besides those above (a value is never the database's name).
_VALUED = frozenset(
    "-U -u --user --username --port -c --command -f --file -v --set -o --output"
    " -q --query --eval --authenticationDatabase --execute".split()
)
_VALUED_BY = {"psql": frozenset({"-p"}), "mysql": frozenset({"-P", "-e"}),
              "mariadb": frozenset({"-P", "-e"}), "cockroach": frozenset({"-e"}),
              "rails": frozenset({"-e"}), "rake": frozenset({"-e"})}  # fmt: skip
_ALWAYS_VALUED = _HOST_OPTIONS | _DB_OPTIONS | _SELECTORS | _URL_OPTIONS | _VALUED
# Short options whose value may be glued (`-hdb.example.com`, `-dapp`, `-Dapp`).
_GLUED = frozenset("hdD")
# Wrappers that run a command on this machine; any other (ssh, kubectl, docker…) runs it elsewhere.
LOCAL_WRAPPERS = _LOCAL_WRAPPERS = frozenset(
    "sudo doas env nice ionice time timeout nohup command exec stdbuf bash sh zsh dash xargs"
    " npx bunx pnpx npm yarn pnpm bundle poetry uv pipenv".split()
)


def _parsed(name: str, argv: Sequence[str]) -> tuple[list[str], set[str]] | None:
    """The operands (options' values skipped) and the names of the options given; None when a
    short option cluster may hide a host or a database (`-wh host`)."""
    operands, options = split(list(argv), _ALWAYS_VALUED | _VALUED_BY.get(name, frozenset()))
    if any(_hides_connection(o) for o in options):
        return None
    return operands, {o.partition("=")[0] for o in options}


def _hides_connection(option: str) -> bool:
    """`-wh`, `-Xd`: a cluster of short options with a host or database letter inside (a
    value glued to `-h`, `-d` or `-D` is read as that option's; `-psecret` is a password)."""
    return (
        len(option) > 2
        and option[1] != "-"
        and "=" not in option
        and option[1] not in _GLUED
        and option[1] not in "pPuUcfvo"
        and any(c in option for c in "hdD")
    )


def _scratch(name: str) -> bool:
    return environment_classes([name]) == {"scratch"}


def _conninfo(value: str) -> dict[str, str] | None:
    """libpq's `host=h dbname=d` as a dict; None when the value is no such string."""
    if "=" not in value or "://" in value:
        return None
    pairs = [p.partition("=") for p in value.split()]
    return {k.lower(): v for k, eq, v in pairs if eq}


def _assigned(env: Sequence[str], names: tuple[str, ...]) -> list[str]:
    return [a.split("=", 1)[1] for a in env if a.startswith(names)]


def _local(host: str) -> bool:
    return host in _LOCAL_HOSTS or host.startswith("/")


def _hosted(inv: Invocation, argv: list[str], rest: list[str]) -> str | None:
    """A client named with hosts and databases: every host local, every database for tests."""
    hosts = values(argv, *_HOST_OPTIONS) + _assigned(inv.env, _HOST_VARIABLES)
    hosts = hosts or ["localhost"]  # none named: this machine
    names = values(argv, *_DB_OPTIONS) + rest[:1] + _assigned(inv.env, _DB_VARIABLES)
    databases: list[str] = []
    for name in names:
        info = _conninfo(name)
        if "://" in name:
            if not local_test_url(name):
                return None
            continue
        if info is None:
            databases.append(name)
            continue
        if info.keys() & {"service", "hostaddr"}:
            return None
        hosts += [h for h in info.get("host", "").split(",") if h]
        databases.append(info.get("dbname", ""))
    if databases and all(_local(h) for h in hosts) and all(map(_scratch, databases)):
        return f"{inv.name}: {databases[0][:60]} on {hosts[0][:40]}"
    return None


def disposable_database(inv: Invocation, line: Sequence[Invocation] = ()) -> str | None:
    """Evidence when the invocation works on a database that is thrown away, else None
    (`line`: the other commands on the line, for a tunnel they open)."""
    argv = inv.argv[:64]
    if "production" in environment_classes([*argv, *inv.env]) or not set(inv.via) <= (
        _LOCAL_WRAPPERS
    ):
        return None
    if any(_ELSEWHERE_VARIABLES.match(a) for a in inv.env) or tunnelled(line):
        return None
    for assignment in inv.env:  # `DATABASE_URL=…` before it: a local test database or nothing
        url = _URL_VARIABLE.match(assignment)
        value = assignment.partition("=")[2]
        if (url or "://" in value or value.lower().startswith("jdbc:")) and not (
            _IN_MEMORY.match(value) or local_test_url(value.removeprefix("jdbc:"))
        ):
            return None
    parsed = _parsed(inv.name, argv)
    if parsed is None or _ELSEWHERE_OPTIONS & parsed[1]:
        return None
    rest, given = parsed
    if any(_RUNS_ON_CONNECT.search(k) for k in given):  # `-initSql="CALL SHELLEXEC(…)"`
        return None
    if inv.name in _RESTORERS:
        return _local_restore(inv.name, argv)
    urls = values(argv, *_URL_OPTIONS) + [
        w for w in rest if "://" in w or w.lower().startswith("jdbc:")
    ]
    if urls:
        good = all(_IN_MEMORY.match(u) or local_test_url(u.removeprefix("jdbc:")) for u in urls)
        return f"{inv.name}: {urls[0][:80]}" if good else None
    selectors = values(argv, *_SELECTORS)
    if inv.name in ("rails", "rake"):
        selectors += values(argv, "-e")
    if selectors and inv.name not in _HOSTED:
        return (
            f"{inv.name}: environment {selectors[0][:60]}"
            if all(map(_scratch, selectors))
            else None
        )
    if inv.name in _FILE_DATABASES:
        path = rest[0] if rest else ""
        if _IN_MEMORY.match(path) or (path and ".." not in path and _scratch(_normal(path))):
            return f"{inv.name}: {path[:80]}"
        return None
    if inv.name in _KEY_VALUE_CLIS:
        return _local_cache_database(inv.name, argv)
    return _hosted(inv, argv, rest) if inv.name in _HOSTED else None


# A cache server's databases are numbered, not named: one of them on this machine (`redis-cli
# -n 15 FLUSHDB`) is the development cache. FLUSHALL empties every database the server holds.
_KEY_VALUE_CLIS = frozenset({"redis-cli", "valkey-cli", "keydb-cli"})
_KEY_VALUE_URL = re.compile(
    r"^rediss?://(?:[^@/\s]*@)?(localhost|127\.0\.0\.1|\[::1\])(?::\d+)?(?:/\d*)?$"
)


# A restore into a server on this machine: the developer's own copy, replaced by the dump.
_RESTORERS = frozenset({"pg_restore", "mongorestore"})
# A connection URL's (first) host: `mongodb+srv://u:p@host/db`, `postgresql://host:5432/db`.
_URL_HOST = re.compile(r"^[\w+.-]+://(?:[^@/\s]*@)?([^/:?,\s]+)")


def _local_restore(name: str, argv: Sequence[str]) -> str | None:
    """Evidence when a restore that drops first writes to a server on this machine (hosts by
    option, or in a URL given as `--uri` or pg_restore's `-d`)."""
    hosts = values(list(argv), "-h", "--host")
    for uri in values(list(argv), "--uri", "-d"):
        if "://" in uri:
            m = _URL_HOST.match(uri)
            hosts.append(m.group(1) if m else uri)
    if all(map(_local, hosts)):
        return f"{name}: into {(hosts or ['this machine'])[0][:40]}"
    return None


def _local_cache_database(name: str, argv: Sequence[str]) -> str | None:
    """Evidence when a key-value CLI empties one database of a server on this machine."""
    words = [a.lower() for a in argv]
    if "flushdb" not in words or "flushall" in words:
        return None
    hosts, urls = values(list(argv), "-h"), values(list(argv), "-u")
    if all(map(_local, hosts)) and all(_KEY_VALUE_URL.match(u) for u in urls):
        return f"{name}: one database on {(hosts or ['this machine'])[0][:40]}"
    return None


def _normal(path: str) -> str:
    return posixpath.normpath(path.replace("\\", "/"))


def tunnelled(line: Iterable[Invocation]) -> bool:
    """A port of this machine forwarded elsewhere on the line (`ssh -L`, `kubectl port-forward`):
    `localhost` then names another machine."""
    for other in line:
        if other.name in ("ssh", "autossh") and any(
            a[:1] == "-" and a[1:2] != "-" and ("L" in a or "D" in a) for a in other.argv
        ):  # `-L 5432:db:5432`, `-fNL …`, `-D 1080`
            return True
        if other.name in ("kubectl", "oc") and "port-forward" in other.argv:
            return True
    return False


# SQL that moves to another database or out to a shell: nothing of it is excused.
_MOVES = re.compile(
    r"(^|[;\n])\s*(\\c(onnect)?\b|\\!|\\i|\\ir|\\o\s*\||use\s+\w|connect\s|source\s|system\s"
    r"|\.(open|shell|system|read|once|output)\b)|\battach\b|\bdblink|\bfederated\b",
    re.I,
)


def stays_put(sql: str) -> bool:
    """Whether SQL stays in the database it was sent to (no `\\c other`, `USE other`, ATTACH,
    shell escapes, files run)."""
    return _MOVES.search(sql) is None


# Statements whose effect stays inside the database they run on: its rows and tables.
_CONTAINED_TYPES = frozenset(
    {"delete", "truncate", "drop", "update", "insert", "merge", "replace", "alter", "create"}
)
_CONTAINED_OBJECTS = frozenset({"table", "view", "index", "sequence", "materialized"})
_QUALIFIED = re.compile(r"\b(\w+)\s*\.\s*[\w`\"]")


def contained(statement: SqlStatement, client: str = "") -> bool:
    """Whether a statement only changes what is inside the database `client` is connected to:
    rows, tables, schemas, privileges on them; not another database (MySQL's `db.table`),
    roles, functions, files or programs."""
    kind, obj = statement.type, statement.object
    if client in _SCHEMA_IS_DATABASE and any(
        not _scratch(m.group(1)) for m in _QUALIFIED.finditer(statement.text)
    ):
        return False
    if kind in ("grant", "revoke"):  # on an object (`GRANT ALL ON SCHEMA public TO app`)
        return obj == "privilege" and " DATABASE " not in statement.text.upper()
    if kind not in _CONTAINED_TYPES:
        return False
    if obj in _CONTAINED_OBJECTS:
        return kind != "alter" or obj == "table"
    return obj == "schema" and client not in _SCHEMA_IS_DATABASE
