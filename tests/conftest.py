"""Shared fixtures: one governor per test session for the default constitution (building the
detector is the expensive part), fresh state where a test needs it."""

from __future__ import annotations

import pytest

from magistrate import Governor, RiskDetector


@pytest.fixture(scope="session")
def detector() -> RiskDetector:
    return RiskDetector()


@pytest.fixture
def governor(detector: RiskDetector) -> Governor:
    return Governor(detector=detector)


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    """Print the corpus scores (recall, false-block, tier accuracy) after the run."""
    from tests.test_corpus import REPORT

    if REPORT:
        terminalreporter.section("labeled corpora")
        for line in REPORT:
            terminalreporter.write_line(line)
