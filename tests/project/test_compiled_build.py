"""The compiled build (setup.py, `make compiled`): what it lists exists, mypyc accepts all of
it, and the pure build stays pure."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import magistrate.analysis.shell_lex
import magistrate.risk.assessment
import magistrate.rule_match

ROOT = Path(__file__).resolve().parents[2]


def _setup_module() -> object:
    spec = importlib.util.spec_from_file_location("magistrate_setup", ROOT / "setup.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # `setup()` runs only as __main__
    return module


def test_every_listed_module_exists_and_is_python() -> None:
    setup = _setup_module()
    sources = setup.compiled_sources()  # type: ignore[attr-defined]
    assert len(sources) > 20
    for source in sources:
        path = ROOT / source
        assert path.is_file() and path.suffix == ".py", source
        assert source.startswith("src/magistrate/"), source


def test_the_default_build_compiles_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAGISTRATE_COMPILE", raising=False)
    assert _setup_module().ext_modules() == []  # type: ignore[attr-defined]


def test_construction_shortcuts_follow_the_build() -> None:
    """Pure Python builds objects by slot setters; compiled, by the native constructors
    (object.__new__ on a native class raises). Either way each flag says what was imported."""
    for module in (magistrate.risk.assessment, magistrate.analysis.shell_lex):
        compiled = not str(module.__file__).endswith(".py")
        assert module._COMPILED is compiled


@pytest.mark.skipif(
    importlib.util.find_spec("mypyc") is None, reason="mypyc comes with mypy (dev extra)"
)
def test_mypyc_accepts_every_listed_module(tmp_path: Path) -> None:
    """Type-check and translate to C, without the C compiler: what mypyc refuses (a class's
    __dict__, a name bound to two types where it cannot box both…) fails here, not only in
    `make compiled`."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from setup import compiled_sources;"
        "from mypyc.build import mypycify;"
        "mypycify(compiled_sources(), target_dir=sys.argv[2])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(ROOT), str(tmp_path / "build")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "MYPY_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert list((tmp_path / "build").rglob("*.c")), "no C written"
