"""Dependency manifests: the packages a written requirements file, package.json, Gemfile or
pyproject.toml declares, judged as the install that will follow (the next `pip install -r`,
`npm install` or `bundle` fetches them).

Only what a name and a version say is read: a name one slip from a popular package's
(`analysis/lookalikes.py`) and a release an attacker published (`analysis/compromised.py`).
Where a dependency comes from (a fork, a URL, another index) is judged by the constitution's
content patterns.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from magistrate.analysis.compromised import ecosystem, poisoned
from magistrate.analysis.effects import Effect
from magistrate.analysis.lookalikes import imitated_package

# requirements.txt: `name==1.2`, `name[extra]>=1`, `name ; marker`; options and URLs skipped
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][\w.-]*)\s*(?:\[[^\]]*\])?\s*(?:===?\s*([\w.+!-]+))?")
_URL_REQUIREMENT = re.compile(r"@\s*\w+://|^\s*\w+://")  # `x @ https://…`, `https://…`
# Gemfile: `gem "name", "1.2"` or `gem 'name', '~> 1.2'`
_GEM = re.compile(r"""^\s*gem\s+["']([\w.-]+)["'](?:\s*,\s*["'](?:=\s*)?([\w.]+)["'])?""", re.M)
# pyproject.toml: PEP 621 `"name==1.2"` strings, and Poetry's `name = "^1.2"` table lines
_PEP621 = re.compile(r"""["']([A-Za-z0-9][\w.-]*)\s*(?:\[[^\]]*\])?\s*(?:===?\s*([\w.+-]+))?""")
_POETRY = re.compile(r"""^\s*([A-Za-z0-9][\w.-]*)\s*=\s*["'=]*([\w.]+)?""", re.M)
_POETRY_TABLE = re.compile(r"^\[tool\.poetry\.(?:group\.\w+\.)?(?:dev-)?dependencies\]", re.M)

_REQUIREMENTS_FILE = re.compile(
    r"(^|/)([\w.-]*requirements[\w.-]*|requirements/[\w.-]+)\.(txt|in)$", re.I
)


def _requirements(content: str) -> Iterator[tuple[str, str, str | None]]:
    for line in content.splitlines():
        line = line.split(" #", 1)[0]  # a comment after the requirement (`ctx==0.2.6  # …`)
        if line.lstrip().startswith(("-", "#")) or _URL_REQUIREMENT.search(line):
            continue  # options, comments, and requirements given as URLs
        m = _REQUIREMENT.match(line)
        if m:
            yield "pip", m.group(1), m.group(2)


def _package_json(content: str) -> Iterator[tuple[str, str, str | None]]:
    try:
        data = json.loads(content)
    except (ValueError, RecursionError):  # nesting deeper than the parser goes: not a manifest
        return
    if not isinstance(data, dict):
        return
    for section in ("dependencies", "devDependencies", "optionalDependencies"):
        deps = data.get(section)
        if isinstance(deps, dict):
            for name, version in deps.items():
                exact = str(version).lstrip("=v") if isinstance(version, str) else None
                yield "npm", str(name), exact


def _pyproject(content: str) -> Iterator[tuple[str, str, str | None]]:
    for line in content.splitlines():
        if line.lstrip().startswith(('"', "'")):  # a PEP 621 list item
            m = _PEP621.search(line)
            if m:
                yield "pip", m.group(1), m.group(2)
    table = _POETRY_TABLE.search(content)
    if table:
        body = content[table.end() :].split("\n[", 1)[0]
        for m in _POETRY.finditer(body):
            if m.group(1).lower() != "python":
                yield "poetry", m.group(1), m.group(2)


_MANIFEST_NAMES = frozenset({"package.json", "gemfile", "pyproject.toml"})


def declares_packages(path: str) -> bool:
    """Whether a file at `path` is a dependency manifest read here."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    return name in _MANIFEST_NAMES or _REQUIREMENTS_FILE.search(path) is not None


def declared(path: str, content: str) -> list[tuple[str, str, str | None]]:
    """(manager, name, exact version or None) of each dependency a manifest at `path`
    declares; empty for any other file."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    if _REQUIREMENTS_FILE.search(path):
        found = _requirements(content)
    elif name == "package.json":
        found = _package_json(content)
    elif name == "gemfile":
        found = (("gem", m.group(1), m.group(2)) for m in _GEM.finditer(content))
    elif name == "pyproject.toml":
        found = _pyproject(content)
    else:
        return []
    # every dependency is read (the content is bounded by the action's size limit); the
    # effects a manifest yields are few
    return list(found)


def manifest_effects(path: str, content: str) -> Iterator[Effect]:
    """The install effects a written manifest will have: `lookalike` for a name one slip from
    a popular package's, `compromised` for a poisoned release."""
    command = path[:120]  # the effect's command; the whole path was read by `declared`
    for manager, name, version in declared(path, content):
        eco = ecosystem(manager) or ""
        spec = f"{name}@{version}" if version else name
        if poisoned(eco, name, version):
            yield Effect("install", spec[:200], frozenset({"compromised", "project"}), command)
        elif imitated_package(manager, name):
            yield Effect(
                "install", spec[:200], frozenset({"lookalike", "registry", "project"}), command
            )
