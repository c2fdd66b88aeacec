"""Risk detection: the tier of an action under a constitution, and the rules behind it.

`detector` runs the steps (`subjects`, one Hyperscan scan, the analyzers, `facts`, `judge`);
`assessment` is what it answers. See docs/detection.md.
"""

from __future__ import annotations

from magistrate.levels import Risk
from magistrate.risk.assessment import RiskAssessment, Signal
from magistrate.risk.detector import (
    RiskDetector,
    default_detector,
    detect_risk_level,
    iter_rules,
)

__all__ = [
    "Risk",
    "RiskAssessment",
    "RiskDetector",
    "Signal",
    "default_detector",
    "detect_risk_level",
    "iter_rules",
]
