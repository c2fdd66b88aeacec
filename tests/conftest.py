"""Shared fixtures: one governor per test session for the default constitution (building the
detector is the expensive part), fresh state where a test needs it, and a database on each
backend (SQLite in the test's folder, PostgreSQL in a private schema)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from magistrate import Governor, RiskDetector
from magistrate.db import Database, open_database
from tests.stores import pg_schema, pg_url


@pytest.fixture(scope="session")
def detector() -> RiskDetector:
    return RiskDetector()


@pytest.fixture
def governor(detector: RiskDetector) -> Governor:
    return Governor(detector=detector)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database's URL: a file under the test's folder, or a schema dropped after."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/test.db"
    else:
        with pg_schema() as schema:
            yield pg_url(schema)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """The database at `db_url`, open for the test and closed after it."""
    database = open_database(db_url)
    yield database
    database.close()


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    """Print the corpus scores (recall, false-block, tier accuracy) after the run."""
    from tests.risk.test_corpus import REPORT

    if REPORT:
        terminalreporter.section("labeled corpora")
        for line in REPORT:
            terminalreporter.write_line(line)
