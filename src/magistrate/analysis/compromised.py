"""Releases known to have been published by an attacker: a hijacked maintainer account or a
build that shipped malware (`event-stream@3.3.6`, `ua-parser-js@0.7.29`, `ctx==0.2.6`).

A package's name says nothing about these: the package is real and popular, only the release
is poisoned. The table is knowledge as data, from the registries' and maintainers' own
advisories; a version outside it is not judged here (the look-alike and source checks still
run). Names are compared as each registry does (lower case; PyPI's separators folded).
"""

from __future__ import annotations

import re

# ecosystem → package → its poisoned releases, space-separated
_RELEASES: dict[str, dict[str, str]] = {
    "npm": {
        "event-stream": "3.3.6",
        "flatmap-stream": "0.1.0 0.1.1 0.1.2",
        "ua-parser-js": "0.7.29 0.8.0 1.0.0",
        "coa": "2.0.3 2.0.4 2.1.1 2.1.3 3.0.1 3.1.3",
        "rc": "1.2.9 1.3.9 2.3.9",
        "colors": "1.4.1 1.4.2 1.4.44-liberty-2",
        "faker": "6.6.6",
        "node-ipc": "9.2.2 10.1.1 10.1.2 10.1.3 11.0.0 11.1.0",
        "eslint-scope": "3.7.2",
        "eslint-config-eslint": "5.0.2",
        "@solana/web3.js": "1.95.6 1.95.7",
        "@ctrl/tinycolor": "4.1.1 4.1.2",
        "nx": "20.9.0 20.10.0 20.11.0 20.12.0 21.5.0 21.6.0 21.7.0 21.8.0",
        # September 2025: one maintainer's account, eighteen packages at once
        "chalk": "5.6.1",
        "debug": "4.4.2",
        "ansi-styles": "6.2.2",
        "ansi-regex": "6.2.1",
        "strip-ansi": "7.1.1",
        "supports-color": "10.2.1",
        "wrap-ansi": "9.0.1",
        "color-convert": "3.1.1",
        "color-name": "2.0.1",
        "color-string": "2.1.1",
        "is-arrayish": "0.3.3",
        "slice-ansi": "7.1.1",
        "error-ex": "1.3.3",
        "simple-swizzle": "0.2.3",
        "has-ansi": "6.0.1",
        "chalk-template": "1.1.1",
        "supports-hyperlinks": "4.1.1",
        "backslash": "0.2.1",
    },
    "pypi": {
        "ctx": "0.1.2 0.2.2 0.2.6",
        "ultralytics": "8.3.41 8.3.42 8.3.45 8.3.46",
        "num2words": "0.5.15",
        "torchtriton": "*",  # PyPI's copy of PyTorch's internal package: never PyTorch's
    },
    "rubygems": {
        "rest-client": "1.6.10 1.6.11 1.6.12 1.6.13",
        "strong_password": "0.0.7",
        "bootstrap-sass": "3.2.0.3",
    },
}
_POISONED = {
    eco: {name: frozenset(versions.split()) for name, versions in packages.items()}
    for eco, packages in _RELEASES.items()
}

_MANAGERS = {
    **dict.fromkeys(("npm", "npx", "pnpm", "yarn", "bun", "bunx", "pnpx"), "npm"),
    **dict.fromkeys(("pip", "pip3", "uv", "pipx", "poetry", "pdm", "conda", "uvx"), "pypi"),
    **dict.fromkeys(("gem", "bundle", "bundler"), "rubygems"),
}
# `name@1.2.3`, `@scope/name@1.2.3`, `name==1.2.3`, `name===1.2.3`, `name:1.2.3` (a gem's -v
# is read by the caller and joined this way)
_SPEC = re.compile(r"^(@?[^@=\s:\[]+)(?:\[[^\]]*\])?\s*(?:@|===?|:)v?([\w.+-]+)$")
_PYPI_FOLD = re.compile(r"[-_.]+")


def ecosystem(manager: str) -> str | None:
    """The registry a package manager installs from (npm, pypi, rubygems), or None."""
    return _MANAGERS.get(manager)


def _name(eco: str, name: str) -> str:
    name = name.lower()
    return _PYPI_FOLD.sub("-", name) if eco == "pypi" else name


def poisoned(eco: str, name: str, version: str | None) -> bool:
    """Whether `name` at `version` is a release an attacker published (any version for a name
    that only an attacker ever published on that registry)."""
    releases = _POISONED.get(eco, {}).get(_name(eco, name))
    if not releases:
        return False
    return "*" in releases or (version is not None and version.lstrip("v") in releases)


def poisoned_spec(manager: str, spec: str) -> bool:
    """Whether an install argument (`event-stream@3.3.6`, `ctx==0.2.6`) names a poisoned
    release of the manager's registry."""
    eco = ecosystem(manager)
    if eco is None:
        return False
    spec = spec.strip().strip("'\"")
    if "@npm:" in spec:  # an alias: `x@npm:event-stream@3.3.6` installs event-stream
        spec = spec.split("@npm:", 1)[1]
    m = _SPEC.match(spec)
    if m is None:
        return poisoned(eco, spec, None)
    return poisoned(eco, m.group(1), m.group(2))
