"""Databases: command lines that drop or wipe a whole database, or run migrations, as data.

`dropdb NAME`, `prisma migrate reset`, `rails db:drop`, `mix ecto.drop`, `redis-cli flushall`,
`mongosh --eval 'db.dropDatabase()'`… Each entry names the words (in order, not necessarily
adjacent) that make an invocation of that program destroy a database; every other invocation of
the same program (`python app.py`, `rails server`, `redis-cli ping`, `yarn build`) does not.
Runners (`npx`, `bundle exec`, `python manage.py`, `php artisan`, `yarn run`…) are looked through
to the program they run. The `databases` family turns both into effects: `destroy:database` and
`apply:migration` (a migration runner, or a SQL client fed a migration or schema file).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from magistrate.analysis import commands as C
from magistrate.analysis.effects import Effect
from magistrate.analysis.families.base import (
    Classify,
    Example,
    Family,
    environment_classes,
    resource,
)
from magistrate.analysis.families.disposable import LOCAL_WRAPPERS, disposable_database
from magistrate.analysis.invocation import Invocation

# Framework tasks that drop, recreate or empty the database (also as package-manager scripts).
_TASKS = (
    "db:drop",
    "db:drop:all",
    "db:reset",
    "db:purge",
    "db:schema:load",
    "db:migrate:reset",
    "db:truncate_all",
    "db:seed:replant",
    "db:wipe",
    "ecto.drop",
    "ecto.reset",
    "migrate:fresh",
    "migrate:reset",
    "migrate:refresh",
    "schema:drop",
)
_ANY = ("",)  # any operand at all: the program's only job is dropping (`dropdb NAME`)

# program → word sequences (space-separated, matched in order among its arguments).
DESTROYERS: dict[str, tuple[str, ...]] = {
    "dropdb": _ANY,
    "pg_dropcluster": _ANY,
    "mysqladmin": ("drop",),
    "mariadb-admin": ("drop",),
    "redis-cli": ("flushall", "flushdb"),
    "valkey-cli": ("flushall", "flushdb"),
    "keydb-cli": ("flushall", "flushdb"),
    "prisma": ("migrate reset", "db push --force-reset"),
    "rails": _TASKS,
    "rake": _TASKS,
    "mix": _TASKS,
    "artisan": _TASKS,
    "manage.py": ("flush", "reset_db"),
    "django-admin": ("flush", "reset_db"),
    "sequelize": _TASKS,
    "sequelize-cli": _TASKS,
    "typeorm": _TASKS,
    "knex": ("migrate:rollback --all",),
    "alembic": ("downgrade base",),
    "flyway": ("clean",),
    "liquibase": ("dropall", "drop-all"),
    "supabase": ("db reset",),
    "dotnet": ("ef database drop",),
    "dotnet-ef": ("database drop",),
    "heroku": ("pg:reset",),
    "diesel": ("database reset", "database drop"),
    "sqlx": ("database drop", "database reset"),
    "cockroach": ("demo --drop",),
    # a restore that drops what is there first: the database replaced by the dump
    "pg_restore": ("--clean", "-c"),
    "mongorestore": ("--drop",),
}
# Runners: (the words after the runner that name how it runs, option taking a value).
_RUNNERS: dict[str, frozenset[str]] = {
    "npx": frozenset(),
    "pnpx": frozenset(),
    "bunx": frozenset(),
    "npm": frozenset({"exec", "run", "run-script", "x"}),
    "pnpm": frozenset({"exec", "dlx", "run"}),
    "yarn": frozenset({"exec", "dlx", "run"}),
    "bun": frozenset({"x", "run"}),
    "bundle": frozenset({"exec"}),
    "poetry": frozenset({"run"}),
    "uv": frozenset({"run"}),
    "pipenv": frozenset({"run"}),
    "php": frozenset(),
    "python": frozenset(),
    "python3": frozenset(),
    "py": frozenset(),
    "ruby": frozenset(),
    "elixir": frozenset(),
}
_SCRIPT_RUNNERS = frozenset({"npm", "pnpm", "yarn", "bun"})  # their scripts have task names
_NO_EFFECT = frozenset({"--help", "help", "--dry-run", "--version"})
_MONGO = frozenset({"mongo", "mongosh"})


def _base(word: str) -> str:
    name = word.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].lower()
    return name[:-4] if name.endswith((".exe", ".cmd", ".bat")) and len(name) > 4 else name


def _resolve(name: str, argv: Sequence[str]) -> tuple[str, list[str], bool]:
    """Look through runners: (program, its arguments lower-cased, whether a script runner)."""
    args = [a.lower() for a in argv[:64]]
    script = False
    for _ in range(3):  # `bundle exec rake …`, `npx prisma …`, `python manage.py …`
        verbs = _RUNNERS.get(name)
        if verbs is None:
            break
        script = script or name in _SCRIPT_RUNNERS
        k = 0
        while k < len(args) and args[k].startswith("-"):
            k += 1
        if k < len(args) and args[k] in verbs:
            k += 1
            while k < len(args) and args[k].startswith("-"):
                k += 1
        if k >= len(args):
            break
        name, args = _base(args[k]), args[k + 1 :]
    return name, args, script


def _has_sequence(args: Sequence[str], words: str) -> bool:
    """True when `words` appear among `args` in order."""
    if not words:
        return any(not a.startswith("-") for a in args)
    k = 0
    for want in words.split(" "):
        while k < len(args) and args[k] != want and not args[k].startswith(want + "="):
            k += 1
        if k == len(args):
            return False
        k += 1
    return True


def destroyed_database(name: str, argv: Sequence[str]) -> str | None:
    """Evidence when this invocation drops or wipes a whole database, else None."""
    if name not in _RUNNERS and name not in _MONGO and name not in DESTROYERS:
        return None  # no runner to look through, and nothing this program drops
    program, args, script = _resolve(name, argv)
    if _NO_EFFECT.intersection(args):
        return None
    shown = " ".join([program, *args])[:120]
    if program in _MONGO:
        code = "".join(args).replace(" ", "")
        if "dropdatabase(" in code or ".drop()" in code:
            return shown
        return None
    for words in DESTROYERS.get(program, ()):
        if _has_sequence(args, words):
            return shown
    if script and program in _TASKS:  # `yarn db:reset`, `npm run db:drop`
        return shown
    return None


# Frameworks whose reset tasks guard the databases that matter (`local` is their default):
# Rails refuses to drop a protected environment's database (production) unless told
# DISABLE_DATABASE_ENVIRONMENT_CHECK; Laravel's `migrate:fresh` asks in production unless
# `--force`; `supabase db reset` resets the local stack unless `--linked` or `--db-url`; Mix
# works on `dev` unless MIX_ENV says otherwise.
_GUARD_OVERRIDES: dict[str, tuple[str, ...]] = {
    "rails": ("disable_database_environment_check",),
    "rake": ("disable_database_environment_check",),
    "artisan": ("--force",),
    "supabase": ("--linked", "--db-url", "--project-ref"),
    "mix": ("mix_env=",),
}
_ENV_CHOSEN = re.compile(r"^(RAILS_ENV|RACK_ENV|APP_ENV|MIX_ENV)=(.*)$")


def guarded_reset(inv: Invocation) -> bool:
    """Whether a framework's reset task runs where the framework itself keeps it to a
    development database (no override, no environment other than development or test)."""
    overrides = _GUARD_OVERRIDES.get(_resolve(inv.name, inv.argv)[0])
    if overrides is None or not set(inv.via) <= LOCAL_WRAPPERS:  # `ssh prod-app 'rails …'`
        return False
    words = [w.lower() for w in (*inv.argv, *inv.env)]  # (the resolved arguments are in argv)
    if any(o in w for w in words for o in overrides):
        return False
    chosen = [m.group(2) for a in (*inv.env, *inv.argv) if (m := _ENV_CHOSEN.match(a))]
    return all(environment_classes([c]) == {"scratch"} for c in chosen) and (
        "production" not in environment_classes(words)
    )


# program → word sequences that run migrations (looked up like DESTROYERS).
MIGRATORS: dict[str, tuple[str, ...]] = {
    "alembic": ("upgrade", "downgrade", "stamp"),
    "prisma": ("migrate deploy", "migrate dev", "migrate reset", "db push", "migrate resolve"),
    "flyway": ("migrate", "repair", "baseline", "undo"),
    "liquibase": ("update", "rollback", "update-sql"),
    "knex": ("migrate:latest", "migrate:up", "migrate:down", "migrate:rollback"),
    "sequelize": ("db:migrate",),
    "sequelize-cli": ("db:migrate",),
    "rails": ("db:migrate", "db:rollback", "db:setup", "db:prepare"),
    "rake": ("db:migrate", "db:rollback", "db:setup", "db:prepare"),
    "mix": ("ecto.migrate", "ecto.rollback"),
    "artisan": ("migrate",),
    "manage.py": ("migrate",),
    "django-admin": ("migrate",),
    "dotnet": ("ef database update",),
    "dotnet-ef": ("database update",),
    "goose": ("up", "down", "redo", "reset"),
    "dbmate": ("up", "migrate", "down", "rollback"),
    "atlas": ("migrate apply", "schema apply"),
    "sqitch": ("deploy", "revert", "rebase"),
    "typeorm": ("migration:run", "migration:revert", "schema:sync"),
    "mikro-orm": ("migration:up", "migration:down", "schema:update"),
    "diesel": ("migration run", "migration redo", "migration revert"),
    "sqlx": ("migrate run", "migrate revert"),
    "migrate": ("up", "down", "force", "goto"),
    "supabase": ("db push", "migration up"),
    "drizzle-kit": ("push", "migrate"),
}
_SQL_CLIENTS = frozenset({"psql", "mysql", "mariadb", "sqlcmd", "sqlplus", "cockroach",
                          "clickhouse-client", "snowsql", "mongosh", "mongo", "bq"})  # fmt: skip
_FILE_OPTIONS = frozenset({"-f", "--file", "-i", "--input-file", "--filename", "--source"})
_MIGRATION_FILE = re.compile(r"migrat|schema|ddl|alter|drop|patch|upgrade", re.I)


def _migration_file(argv: Sequence[str]) -> str | None:
    """The migration or schema script a SQL client is given: `psql -f migrations/x.sql`."""
    for i, arg in enumerate(argv[:64]):
        name, _, glued = arg.partition("=")
        value = (
            glued if glued else (argv[i + 1] if name in _FILE_OPTIONS and i + 1 < len(argv) else "")
        )
        if name in _FILE_OPTIONS and value and _MIGRATION_FILE.search(value):
            return value
    return None


def migration(name: str, argv: Sequence[str]) -> str | None:
    """Evidence when this invocation runs database migrations, else None."""
    if name in _SQL_CLIENTS:
        return _migration_file(argv)
    program, args, script = _resolve(name, argv)
    if _NO_EFFECT.intersection(args) or {"status", "history", "current", "--sql"} & set(args):
        return None
    for words in MIGRATORS.get(program, ()):
        if _has_sequence(args, words):
            return " ".join([program, *args])[:120]
    if script and any(a in ("db:migrate", "migrate") for a in args[:2]):
        return " ".join([program, *args])[:120]  # `npm run db:migrate`, `yarn migrate`
    return None


# Data stores' own CLIs, whose delete verbs remove buckets, topics, queues, keyspaces or data
# (`influx bucket delete`, `couchbase-cli bucket-delete`, `kafka-topics --delete`,
# `rabbitmqctl delete_queue`, `nats stream rm`); `etcdctl`/`consul kv` only over a prefix.
DATA_CLIS = frozenset(
    "influx couchbase-cli kafka-topics kafka-topics.sh rabbitmqctl rabbitmqadmin nats etcdctl"
    " consul".split()
)
_DATA_DELETE = re.compile(r"(^|[-_])(delete|del|rm|remove|drop|purge|flush|destroy|wipe)([-_]|$)")
_PREFIXED = frozenset({"--prefix", "--from-key", "-recurse", "--recurse", "-r"})
_KV_DELETE = frozenset({"del", "unlink"})


def _data_cli_delete(inv: Invocation) -> str | None:
    """Evidence when a data store's CLI deletes a store, a bucket, a topic, a queue or data."""
    words = [a.lower() for a in inv.argv[:12]]
    if _NO_EFFECT.intersection(words) or "-h" in words:
        return None
    verbs = [w for w in words if _DATA_DELETE.search(w.lstrip("-"))]
    if not verbs:
        return None
    if inv.name in ("etcdctl", "consul") and not _PREFIXED.intersection(words):
        return None  # one key
    return " ".join([inv.name, *inv.argv])[:120]


def _keys_wiped(inv: Invocation) -> str | None:
    """`redis-cli --scan | xargs redis-cli del`: every key the scan lists, deleted."""
    if inv.name not in C.KEY_VALUE_CLIS or not _KV_DELETE.intersection(a.lower() for a in inv.argv):
        return None
    for fed in inv.stdin_args:
        if fed in ("keys:*", "keys:", "keys:'*'"):
            return f"{inv.name} del: every key of a full scan"
    return None


def effects(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    """Whole databases dropped or wiped; data stores' buckets and topics deleted; migrations."""
    for evidence in (_data_cli_delete(inv) if inv.name in DATA_CLIS else None, _keys_wiped(inv)):
        if evidence is not None:
            yield resource("destroy", evidence, {"database"} | environment_classes(inv.argv), inv)
    dropped = destroyed_database(inv.name, inv.argv)
    if dropped is not None:
        # `flyway -url=jdbc:h2:mem:t clean`, `manage.py flush --settings=config.settings.test`
        scratch = disposable_database(inv) is not None or guarded_reset(inv)
        where = {"scratch"} if scratch else set()
        classes = {"database"} | environment_classes(inv.argv) | where
        yield resource("destroy", dropped, classes, inv)
    migrated = migration(inv.name, inv.argv)
    if migrated is not None:
        yield resource("apply", migrated, {"migration"} | environment_classes(inv.argv), inv)


FAMILY: Family = Family(
    name="databases",
    commands=frozenset(DESTROYERS)
    | frozenset(MIGRATORS)
    | frozenset(_RUNNERS)
    | _MONGO
    | _SQL_CLIENTS
    | DATA_CLIS,
    effects=effects,
    examples=(
        Example("dropdb production", has=("destroy:database",)),
        Example("npx prisma migrate reset --force", has=("destroy:database",)),
        Example("bundle exec rails db:drop", has=("destroy:database",)),
        Example("redis-cli -h cache.prod flushall", has=("destroy:database",)),
        Example("redis-cli -n 15 flushdb", has=("destroy:scratch",)),
        Example(
            "pg_restore --clean -h pg-prod.internal -d orders o.dump", has=("destroy:database",)
        ),
        Example("pg_restore -d orders_copy o.dump", lacks=("destroy",)),
        Example("pg_restore --clean -h localhost -d orders_local o.dump", has=("destroy:scratch",)),
        Example(
            "mongorestore --uri mongodb://prod-cluster/app --drop dump/", has=("destroy:database",)
        ),
        Example("redis-cli -h 127.0.0.1 flushall", lacks=("destroy:scratch",)),
        Example("redis-cli -h cache.prod -n 3 flushdb", lacks=("destroy:scratch",)),
        Example("mongosh app --eval 'db.dropDatabase()'", has=("destroy:database",)),
        Example("yarn db:reset", has=("destroy:database",)),
        Example("bin/rails db:reset", has=("destroy:scratch",)),
        Example(
            "RAILS_ENV=production DISABLE_DATABASE_ENVIRONMENT_CHECK=1 bin/rails db:drop",
            lacks=("destroy:scratch",),
        ),
        Example("php artisan migrate:fresh --seed", has=("destroy:scratch",)),
        Example("php artisan migrate:fresh --force", lacks=("destroy:scratch",)),
        Example("supabase db reset", has=("destroy:scratch",)),
        Example("supabase db reset --linked", lacks=("destroy:scratch",)),
        Example("mix ecto.reset", has=("destroy:scratch",)),
        Example("MIX_ENV=prod mix ecto.reset", lacks=("destroy:scratch",)),
        Example("alembic upgrade head", has=("apply:migration",)),
        Example("python manage.py migrate", has=("apply:migration",)),
        Example("npx prisma migrate deploy", has=("apply:migration",)),
        Example(
            "psql $DB -v ON_ERROR_STOP=1 -f migrations/2024_06_drop.sql", has=("apply:migration",)
        ),
        Example("alembic history", lacks=("apply",)),
        Example("python app.py", lacks=("apply", "destroy")),
        Example("rails server", lacks=("apply", "destroy")),
        Example("redis-cli ping", lacks=("destroy",)),
        Example("influx bucket delete --name telemetry --org acme", has=("destroy:database",)),
        Example(
            "couchbase-cli bucket-delete -c cb:8091 --bucket orders", has=("destroy:database",)
        ),
        Example(
            "kafka-topics.sh --bootstrap-server k:9092 --delete --topic payments",
            has=("destroy:database",),
        ),
        Example("rabbitmqctl delete_queue billing-events", has=("destroy:database",)),
        Example("etcdctl del --prefix /registry", has=("destroy:database",)),
        Example("etcdctl del /feature-flags/beta", lacks=("destroy",)),
        Example("influx bucket list --org acme", lacks=("destroy",)),
        Example("redis-cli --scan --pattern '*' | xargs redis-cli del", has=("destroy:database",)),
        Example("valkey-cli KEYS '*' | xargs valkey-cli unlink", has=("destroy:database",)),
        Example("redis-cli --scan --pattern 'session:*' | xargs redis-cli del", lacks=("destroy",)),
        Example("redis-cli -n 2 DEL session:abc123", lacks=("destroy",)),
        Example("psql -f seed/fixtures.sql", lacks=("apply",)),
    ),
)
