"""The house stays livable: module and function sizes, and no import cycle inside the package.

A ratchet: modules and functions past the limits would be listed with their size and could
only shrink; both lists are empty now (risk.py and analysis/shell.py were split), and nothing
new may join them.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "magistrate"
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
# path under src/magistrate -> lines today (may only go down)
BIG_MODULES: dict[str, int] = {}
# "path:function" -> lines today (may only go down)
LONG_FUNCTIONS: dict[str, int] = {}


def _modules() -> dict[str, ast.Module]:
    return {
        p.relative_to(PACKAGE).as_posix(): ast.parse(p.read_text(encoding="utf-8"))
        for p in sorted(PACKAGE.rglob("*.py"))
    }


def test_no_new_module_over_600_lines() -> None:
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        lines = path.read_text(encoding="utf-8").count("\n")
        limit = BIG_MODULES.get(name, MAX_MODULE_LINES)
        assert lines <= limit, f"{name} has {lines} lines (limit {limit}): split it by concern"


def test_no_new_function_over_80_lines() -> None:
    for name, tree in _modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                key = f"{name}:{node.name}"
                limit = LONG_FUNCTIONS.get(key, MAX_FUNCTION_LINES)
                assert lines <= limit, f"{key} has {lines} lines (limit {limit})"


def _module_name(path: str) -> str:
    parts = ["magistrate", *path[:-3].split("/")]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.Module, here: str, known: set[str]) -> set[str]:
    """Modules of the package imported at module level (not under TYPE_CHECKING, not inside
    functions: those are the deliberate lazy imports)."""
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name in known}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if full in known:
                    out.add(full)
                elif node.module in known:
                    out.add(node.module)
    out.discard(here)
    return out


def test_no_import_cycle_inside_the_package() -> None:
    trees = {_module_name(p): t for p, t in _modules().items()}
    known = set(trees)
    graph = {name: _imports(tree, name, known) for name, tree in trees.items()}
    # a package's __init__ may import its own submodules; a submodule importing its package
    # back (through `from magistrate import X`) would be a cycle, and is reported
    visiting: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        assert name not in visiting, "import cycle: " + " -> ".join(
            [*visiting[visiting.index(name) :], name]
        )
        visiting.append(name)
        for child in sorted(graph[name]):
            visit(child)
        visiting.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)


def test_the_ratchet_lists_name_what_exists() -> None:
    modules = _modules()
    assert set(BIG_MODULES) <= set(modules)
    functions = {
        f"{name}:{node.name}"
        for name, tree in modules.items()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    assert set(LONG_FUNCTIONS) <= functions
