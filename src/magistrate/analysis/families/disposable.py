"""Databases that are thrown away: what a database client or tool connects to, when it is on
this machine and named for tests or development, or held in memory.

`psql -h localhost -d app_test -c 'TRUNCATE orders'`, `sqlite3 ./tmp/test.sqlite3 'DROP TABLE
users'`, `flyway -url=jdbc:h2:mem:testdb clean` and `python manage.py flush
--settings=config.settings.test` empty or drop data that exists for a test run: ordinary work.
Only the connection the command line itself names counts (a host option, a URL, a file, a
settings module, a database's name): a client with no host named connects to this machine, a
server named elsewhere is never read as throw-away, and production named anywhere on the
invocation wins. What is excused is what stays inside that database (its rows, tables,
schemas and the privileges on them), never what else the statements do (`COPY … TO PROGRAM`,
functions, roles, files: `contained`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from magistrate.analysis.families.base import environment_classes, local_test_url
from magistrate.analysis.invocation import Invocation
from magistrate.analysis.sql import SqlStatement

# Clients whose server is named by a host option and whose database by an option or operand.
_HOSTED = frozenset(
    "psql mysql mariadb clickhouse-client clickhouse cockroach mongosh mongo".split()
) | {"dropdb", "createdb"}
# MySQL's SCHEMA is its DATABASE: dropping one leaves the connected database.
_SCHEMA_IS_DATABASE = frozenset({"mysql", "mariadb"})
_FILE_DATABASES = frozenset({"sqlite3", "duckdb", "sqlite"})
_HOST_OPTIONS = frozenset({"-h", "--host"})
_DB_OPTIONS = frozenset({"-d", "--dbname", "--database", "-D"})
# Options of frameworks and migration tools that choose the environment or the database.
_SELECTORS = frozenset({"--settings", "--env", "--environment"})
_URL_OPTIONS = frozenset({"-url", "--url", "--uri", "--dsn", "--database-url", "--db-url"})
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
_HOST_VARIABLES = ("PGHOST=", "MYSQL_HOST=")
# In-memory databases: H2, HSQLDB, Derby, SQLite.
_IN_MEMORY = re.compile(r"^(jdbc:(h2:mem|hsqldb:mem|derby:memory):|(sqlite|file)?:+memory:?)", re.I)
# Options followed by a value, besides those above (a value is never the database's name).
_VALUED = frozenset(
    "-U -u --user --username --port -c --command -f --file -v --set -o --output"
    " -q --query --eval --authenticationDatabase --execute".split()
)
_VALUED_BY = {"psql": frozenset({"-p"}), "mysql": frozenset({"-P", "-e"}),
              "mariadb": frozenset({"-P", "-e"}), "cockroach": frozenset({"-e"}),
              "rails": frozenset({"-e"}), "rake": frozenset({"-e"})}  # fmt: skip
_ALWAYS_VALUED = _HOST_OPTIONS | _DB_OPTIONS | _SELECTORS | _URL_OPTIONS | _VALUED


def _options(name: str, argv: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """Options with values (`-h x`, `--host=x`, `-url=x`) and the other words."""
    valued = _ALWAYS_VALUED | _VALUED_BY.get(name, frozenset())
    values: dict[str, str] = {}
    rest: list[str] = []
    i = 0
    while i < len(argv) and i < 64:
        word = argv[i]
        key, eq, glued = word.partition("=")
        if eq and key.startswith("-"):
            values.setdefault(key, glued)
        elif word in valued and i + 1 < len(argv):
            values.setdefault(word, argv[i + 1])
            i += 1
        elif not word.startswith("-"):
            rest.append(word)
        i += 1
    if "-e" in values and name in ("rails", "rake"):
        values.setdefault("--environment", values["-e"])
    return values, rest


def _scratch(name: str) -> bool:
    return environment_classes([name]) == {"scratch"}


def disposable_database(inv: Invocation) -> str | None:
    """Evidence when the invocation works on a database that is thrown away, else None."""
    argv = inv.argv
    if "production" in environment_classes([*argv, *inv.env]):
        return None
    values, rest = _options(inv.name, argv)
    urls = [v for k, v in values.items() if k in _URL_OPTIONS] + [
        w for w in rest if "://" in w or w.lower().startswith("jdbc:")
    ]
    for url in urls:
        if _IN_MEMORY.match(url) or local_test_url(url.removeprefix("jdbc:")):
            return f"{inv.name}: {url[:80]}"
    if urls:
        return None  # a server named by URL, not a local test one
    selector = next((v for k, v in values.items() if k in _SELECTORS), None)
    if selector is not None and inv.name not in _HOSTED:
        return f"{inv.name}: environment {selector[:60]}" if _scratch(selector) else None
    if inv.name in _FILE_DATABASES:
        path = rest[0] if rest else ""
        if _IN_MEMORY.match(path) or (path and _scratch(path)):
            return f"{inv.name}: {path[:80]}"
        return None
    if inv.name in _HOSTED:
        host = values.get("-h") or values.get("--host")
        if host is None:  # none named: the client's default, this machine
            host = next(
                (a.split("=", 1)[1] for a in inv.env if a.startswith(_HOST_VARIABLES)), "localhost"
            )
        database = next((v for k, v in values.items() if k in _DB_OPTIONS), None)
        database = database if database is not None else (rest[0] if rest else "")
        if (host in _LOCAL_HOSTS or host.startswith("/")) and database and _scratch(database):
            return f"{inv.name}: {database[:60]} on {host}"
    return None


# Statements whose effect stays inside the database they run on: its rows and tables.
_CONTAINED_TYPES = frozenset(
    {"delete", "truncate", "drop", "update", "insert", "merge", "replace", "alter", "create"}
)
_CONTAINED_OBJECTS = frozenset({"table", "view", "index", "sequence", "materialized"})


def contained(statement: SqlStatement, client: str = "") -> bool:
    """Whether a statement only changes what is inside the database `client` is connected to:
    rows, tables, schemas, privileges on them (another database only when its name says it is
    for tests); not roles, functions, files or programs."""
    kind, obj = statement.type, statement.object
    if kind in ("grant", "revoke"):  # on an object (`GRANT ALL ON SCHEMA public TO app`)
        return obj == "privilege" and (
            " DATABASE " not in statement.text.upper() or _scratch(" ".join(statement.tables))
        )
    if kind not in _CONTAINED_TYPES:
        return False
    if obj in _CONTAINED_OBJECTS:
        return kind != "alter" or obj == "table"
    if obj == "database" or (obj == "schema" and client in _SCHEMA_IS_DATABASE):
        return _scratch(" ".join(statement.tables) or statement.text)
    return obj == "schema"
