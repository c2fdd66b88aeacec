"""Command lines that drop or wipe a whole database, as data: program → destroying words.

`dropdb NAME`, `prisma migrate reset`, `rails db:drop`, `mix ecto.drop`, `redis-cli flushall`,
`mongosh --eval 'db.dropDatabase()'`… Each entry names the words (in order, not necessarily
adjacent) that make an invocation of that program destroy a database; every other invocation of
the same program (`python app.py`, `rails server`, `redis-cli ping`, `yarn build`) does not.
Runners (`npx`, `bundle exec`, `python manage.py`, `php artisan`, `yarn run`…) are looked through
to the program they run.
"""

from __future__ import annotations

from collections.abc import Sequence

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
    if name not in _RUNNERS and name not in DESTROYERS and name not in _MONGO:
        return None  # no database tool, nor a runner of one (most commands): decided at once
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
