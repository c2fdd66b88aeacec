"""Package names one slip from a popular package's (analysis/lookalikes.py): the slips are
found, the real neighbours and version lines are not."""

from __future__ import annotations

import pytest

from magistrate import Action, RiskDetector
from magistrate.analysis.lookalikes import imitated_package


@pytest.mark.parametrize(
    ("manager", "name", "imitated"),
    [
        ("pip", "reqeusts", "requests"),  # two letters swapped
        ("pip", "reqests", "requests"),  # one missing
        ("pip", "numpyy", "numpy"),  # one extra
        ("pip", "djanga", "django"),  # one changed
        ("uv", "urlib3", "urllib3"),
        ("pip", "python-dateutils", "python-dateutil"),
        ("poetry", "pandsa==2.2", "pandas"),  # with a version
        ("npm", "crossenv", "cross-env"),  # separators dropped
        ("npm", "loadsh@4", "lodash"),
        ("yarn", "electorn", "electron"),
        # Not slips: the popular names themselves, their real neighbours, version lines,
        # two edits away, short names, scoped names, paths and URLs, unknown managers.
        ("pip", "requests", None),
        ("pip", "Requests[socks]>=2.31", None),
        ("pip", "scapy", None),
        ("npm", "preact", None),
        ("pip", "markdown2", None),
        ("pip", "beautifulsoup", None),
        ("pip", "jsons", None),
        ("pip", "scramp", None),
        ("npm", "vuex", None),
        ("npm", "@types/react", None),
        ("pip", "./vendor/reqeusts", None),
        ("pip", "git+https://github.com/x/reqeusts", None),
        ("gem", "rials", None),
    ],
)
def test_names_one_slip_from_popular_ones(manager: str, name: str, imitated: str | None) -> None:
    assert imitated_package(manager, name) == imitated


def test_installing_a_lookalike_is_escalated_with_its_reason(detector: RiskDetector) -> None:
    slip = detector.assess(Action(kind="shell", text="pip install reqeusts beautifulsoup4"))
    assert "install-lookalike-package" in slip.rule_ids
    real = detector.assess(Action(kind="shell", text="pip install requests beautifulsoup4"))
    assert "install-lookalike-package" not in real.rule_ids
