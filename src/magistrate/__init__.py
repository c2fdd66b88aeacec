"""Magistrate: constitutional governance for AI agents.

from magistrate import Governor, Action
gov = Governor.default()
verdict = gov.check(Action(kind="sql", text="DROP TABLE customers", principal="agent:etl-7"))
verdict.decision, verdict.risk, verdict.citations
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from magistrate.action import Action
from magistrate.constitution import (
    Constitution,
    LoadedConstitution,
    default_constitution,
    load_constitution,
)
from magistrate.errors import (
    ActionDenied,
    ApprovalPending,
    ConstitutionError,
    GovernanceError,
    InvalidAction,
    MagistrateError,
    SuspensionError,
)
from magistrate.governor import Governor
from magistrate.integrations.governed import governed
from magistrate.justica import EnforcementMode, Justica
from magistrate.levels import Decision, Risk
from magistrate.maestro import Maestro, MaestroResponse
from magistrate.risk import RiskAssessment, RiskDetector, Signal, detect_risk_level
from magistrate.trust import MemoryTrustLedger, TrustLedger, TrustPolicy
from magistrate.verdict import Citation, Verdict

try:  # one source for the version: the package metadata written from pyproject.toml
    __version__ = version("magistrate")
except PackageNotFoundError:  # pragma: no cover - running from a tree that was never installed
    __version__ = "0+unknown"

__all__ = [
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
]
