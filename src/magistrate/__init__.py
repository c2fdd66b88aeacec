"""Magistrate: constitutional governance for AI agents.

from magistrate import Governor, Action
gov = Governor.default()
verdict = gov.check(Action(kind="sql", text="DROP TABLE customers", principal="agent:etl-7"))
verdict.decision, verdict.risk, verdict.citations

The names below are imported on first use (PEP 562): `import magistrate.x` loads `x` and what
it needs, not the whole pipeline, so a short-lived process (the Claude Code hook's thin client)
starts in milliseconds.
"""

from __future__ import annotations

from importlib import import_module

TYPE_CHECKING = False  # no `typing` at run time: the hook's thin client starts on this module
if TYPE_CHECKING:  # what the lazy names are, for type checkers and editors
    from typing import Any

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

    __version__: str

# name -> the module that defines it
_LAZY = {
    "Action": "magistrate.action",
    "ActionDenied": "magistrate.errors",
    "ApprovalPending": "magistrate.errors",
    "Citation": "magistrate.verdict",
    "Constitution": "magistrate.constitution",
    "ConstitutionError": "magistrate.errors",
    "Decision": "magistrate.levels",
    "EnforcementMode": "magistrate.justica",
    "GovernanceError": "magistrate.errors",
    "Governor": "magistrate.governor",
    "InvalidAction": "magistrate.errors",
    "Justica": "magistrate.justica",
    "LoadedConstitution": "magistrate.constitution",
    "Maestro": "magistrate.maestro",
    "MaestroResponse": "magistrate.maestro",
    "MagistrateError": "magistrate.errors",
    "MemoryTrustLedger": "magistrate.trust",
    "Risk": "magistrate.levels",
    "RiskAssessment": "magistrate.risk",
    "RiskDetector": "magistrate.risk",
    "Signal": "magistrate.risk",
    "SuspensionError": "magistrate.errors",
    "TrustLedger": "magistrate.trust",
    "TrustPolicy": "magistrate.trust",
    "Verdict": "magistrate.verdict",
    "default_constitution": "magistrate.constitution",
    "detect_risk_level": "magistrate.risk",
    "governed": "magistrate.integrations.governed",
    "load_constitution": "magistrate.constitution",
}


def _version() -> str:
    """One source for the version: the package metadata written from pyproject.toml."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("magistrate")
    except PackageNotFoundError:  # pragma: no cover - running from a tree never installed
        return "0+unknown"


def __getattr__(name: str) -> Any:
    """Import an exported name on first use (and keep it, so the next lookup is plain)."""
    if name == "__version__":
        value: Any = _version()
    elif name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
    else:
        raise AttributeError(f"module 'magistrate' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The module's names, the lazy ones included."""
    return sorted(set(globals()) | set(__all__))


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
