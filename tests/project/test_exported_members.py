"""The public API is pinned: what `magistrate` exports is a decision, not an accident.

Adding a name here is an API addition; removing one breaks users. Each exported name resolves,
and the version comes from the package metadata (one source: pyproject.toml).
"""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

import magistrate

EXPORTED = {
    "Action",
    "ActionDenied",
    "ApprovalPending",
    "Citation",
    "Constitution",
    "ConstitutionError",
    "Decision",
    "EnforcementMode",
    "GovernanceError",
    "Governor",
    "InvalidAction",
    "Justica",
    "LoadedConstitution",
    "Maestro",
    "MaestroResponse",
    "MagistrateError",
    "MemoryTrustLedger",
    "Risk",
    "RiskAssessment",
    "RiskDetector",
    "Signal",
    "SuspensionError",
    "TrustLedger",
    "TrustPolicy",
    "Verdict",
    "__version__",
    "default_constitution",
    "detect_risk_level",
    "governed",
    "load_constitution",
}


def test_the_public_api_is_exactly_the_pinned_set() -> None:
    assert set(magistrate.__all__) == EXPORTED
    assert len(magistrate.__all__) == len(EXPORTED)  # no name listed twice


def test_every_exported_name_resolves() -> None:
    for name in magistrate.__all__:
        assert getattr(magistrate, name) is not None, name


def test_the_version_has_one_source() -> None:
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    assert magistrate.__version__ == version("magistrate") == pyproject["project"]["version"]
