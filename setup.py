"""The build: pure Python by default; with MAGISTRATE_COMPILE=1, the checking path compiled.

mypyc (part of mypy) compiles the modules listed in COMPILED, the ones every check runs
(risk detection and its analyzers, Justiça, the governor, the audit record), from their own
type annotations into C extensions: first-sight assessment runs in about two thirds of the
time. The build needs a C compiler and mypy with this package's dependencies installed, so it
runs without build isolation: `make compiled` does it in `.venv-compiled`
(docs/compiled.md). Editable installs stay pure Python, so that an edited module is the
module that runs.
"""

from __future__ import annotations

import os
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).parent

# Whole packages and single modules, relative to this file. Other modules (the server, the
# stores, the CLI) stay interpreted: they wait on I/O, or run once. `action.py` stays too: an
# Action is built from hostile input, and compiled code checks its argument types before the
# constructor's own validation can answer InvalidAction with the field and the limit.
COMPILED = [
    "src/magistrate/analysis",
    "src/magistrate/assessment_cache.py",
    "src/magistrate/audit/record.py",
    "src/magistrate/governor.py",
    "src/magistrate/justica.py",
    "src/magistrate/levels.py",
    "src/magistrate/normalize.py",
    "src/magistrate/risk",
    "src/magistrate/roles.py",
    "src/magistrate/rule_match.py",
    "src/magistrate/trust.py",
    "src/magistrate/verdict.py",
]


def compiled_sources() -> list[str]:
    """Every Python file of COMPILED, in a stable order."""
    out: list[str] = []
    for entry in COMPILED:
        path = ROOT / entry
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        out.extend(str(f.relative_to(ROOT)) for f in files)
    return out


def ext_modules() -> list[object]:
    """The mypyc extensions when MAGISTRATE_COMPILE=1; none otherwise."""
    if os.environ.get("MAGISTRATE_COMPILE", "") != "1":
        return []
    from mypyc.build import mypycify

    return list(mypycify(compiled_sources(), opt_level="3", debug_level="0"))


if __name__ == "__main__":
    setup(ext_modules=ext_modules())
