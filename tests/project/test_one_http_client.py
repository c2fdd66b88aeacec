"""One HTTP client library across run time, tests and benchmarks (issue 15): `httpx2`, which the
`mcp` SDK, `openai` and Starlette's TestClient use already. `httpx` may still be installed (a
dependency of langchain-core), so an import of it would run: this test is what keeps it out."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLIENT = "httpx2"
OTHERS = {"httpx", "requests", "aiohttp"}


def _imported(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_the_code_imports_one_http_client() -> None:
    offenders = []
    for folder in ("src", "tests", "benchmarks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            found = _imported(ast.parse(path.read_text(encoding="utf-8"))) & OTHERS
            if found:
                offenders.append(f"{path.relative_to(ROOT)}: {', '.join(sorted(found))}")
    assert not offenders, f"use {CLIENT}, not: " + "; ".join(offenders)


def test_pyproject_names_one_http_client() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        declared += extra
    names = {d.split(";")[0].split("[")[0].split(">")[0].split("=")[0].strip() for d in declared}
    assert CLIENT in names
    assert not names & OTHERS, f"pyproject names {sorted(names & OTHERS)}"
