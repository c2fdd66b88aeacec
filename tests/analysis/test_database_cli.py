"""`destroy-database-cli`: only invocations that drop or wipe a database fire, not every use of a
database or framework CLI (issue 10: `python app.py` was escalated as CRITICAL)."""

from __future__ import annotations

import pytest

from magistrate import Action, RiskDetector
from magistrate.analysis.families.databases import destroyed_database

DESTROYING = [
    "dropdb mydb",
    "dropdb -h db.internal -U admin --if-exists shop",
    "npx prisma migrate reset --force",
    "pnpm exec prisma db push --force-reset",
    "MIX_ENV=prod mix ecto.reset",
    "redis-cli flushall",
    "redis-cli -h cache -n 2 FLUSHDB",
    "mongosh --eval 'db.dropDatabase()'",
    'mongo shop --eval "db.orders.drop()"',
    "python manage.py flush --noinput",
    "yarn db:reset",
    "npm run db:drop",
    "dotnet ef database drop --force",
    "mysqladmin -u root drop shop",
    "alembic downgrade base",
    "sudo -u postgres dropdb prod",
    # a framework's own guard overridden, or another environment chosen
    "RAILS_ENV=production DISABLE_DATABASE_ENVIRONMENT_CHECK=1 bin/rails db:drop",
    "bin/rails db:drop DISABLE_DATABASE_ENVIRONMENT_CHECK=1",
    "RAILS_ENV=staging bundle exec rake db:schema:load",
    "php artisan migrate:fresh --seed --force",
    "php artisan db:wipe --force",
    "supabase db reset --linked",
    "supabase db reset --db-url postgresql://admin@db.acme.io:5432/app",
    "ssh app-1 'cd /srv/app && bin/rails db:reset'",
]
# Reset tasks a framework keeps to the development database by itself (Rails refuses a
# protected environment, Laravel asks in production without --force, `supabase db reset` is
# the local stack, Mix works on dev): everyday work, the database named for development.
GUARDED = [
    "rails db:drop",
    "bin/rails db:reset",
    "bundle exec rake db:schema:load",
    "mix ecto.drop",
    "mix ecto.reset",
    "php artisan migrate:fresh --seed",
    "php artisan db:wipe",
    "supabase db reset",
    "RAILS_ENV=test bin/rails db:drop db:create db:schema:load",
]
EVERYDAY = [
    "python app.py",
    "python3 -m pytest -q",
    "python -c 'print(1)'",
    "yarn build",
    "yarn install",
    "pnpm install",
    "npm run build",
    "redis-cli ping",
    "redis-cli get session:42",
    "mongosh db",
    "mongosh --eval 'db.users.countDocuments()'",
    "php index.php",
    "php artisan migrate",
    "rails server",
    "rails db:migrate",
    "rake test",
    "mix test",
    "mix ecto.migrate",
    "npx prisma migrate dev",
    "npx prisma generate",
    "python manage.py runserver",
    "python manage.py migrate",
    "dropdb --help",
    "dotnet ef migrations add Init",
    "alembic upgrade head",
]


@pytest.fixture(scope="module")
def detector() -> RiskDetector:
    return RiskDetector()


@pytest.mark.parametrize("command", DESTROYING)
def test_database_destroying_commands_fire(detector: RiskDetector, command: str) -> None:
    assessment = detector.assess(Action(kind="shell", text=command))
    assert "destroy-database-cli" in assessment.rule_ids, command
    assert assessment.level.value == "CRITICAL"


@pytest.mark.parametrize("command", GUARDED)
def test_resets_a_framework_keeps_to_development_do_not(
    detector: RiskDetector, command: str
) -> None:
    assessment = detector.assess(Action(kind="shell", text=command))
    assert "destroy-database-cli" not in assessment.rule_ids, command
    assert "destroy-infrastructure" not in assessment.rule_ids, command


@pytest.mark.parametrize("command", EVERYDAY)
def test_everyday_database_and_framework_commands_do_not(
    detector: RiskDetector, command: str
) -> None:
    assessment = detector.assess(Action(kind="shell", text=command))
    assert "destroy-database-cli" not in assessment.rule_ids, command


def test_runners_are_looked_through() -> None:
    assert destroyed_database("bundle", ["exec", "rake", "db:drop"])
    assert destroyed_database("npx", ["--yes", "prisma", "migrate", "reset"])
    assert destroyed_database("python3", ["manage.py", "flush"])
    assert destroyed_database("npx", ["prisma", "migrate", "status"]) is None
    assert destroyed_database("rails", ["console"]) is None
