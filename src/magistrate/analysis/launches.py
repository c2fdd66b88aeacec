"""Running and unpacking from outside the workspace: path heads, launchers, archivers, runners.

`& "$env:TEMP\\x.ps1"` and `/tmp/x` run a file of a temporary folder; `open ~/Downloads/x.dmg`,
`start setup.exe`, `Start-Process`, `xdg-open` run what they open when it is an app, installer
or script; `curl URL | tar xz` writes the download to disk; `npx -y create-next-app@latest`
fetches a package before it runs it (the packages family says when that is an install).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from magistrate.analysis import commands as C
from magistrate.analysis.effects import Effect
from magistrate.analysis.families.packages import PACKAGE_RUNNERS, fetched_package
from magistrate.analysis.invocation import Invocation, basename, split_flags

# Programs that open a file with what the system associates with it: an app, an installer.
_LAUNCHERS = frozenset(
    {"open", "start", "start-process", "saps", "invoke-item", "ii", "xdg-open", "gio", "explorer"}
)
_LAUNCHABLE = re.compile(
    r"\.(app|dmg|pkg|mpkg|command|exe|msi|msix|msixbundle|appx|appxbundle|bat|cmd|ps1|vbs|js"
    r"|jar|appimage|run|bin|sh|scr|com|lnk|hta|deb|rpm|flatpakref)/?$",
    re.I,
)
_EXTRACTORS = frozenset(
    {"tar", "bsdtar", "gtar", "unzip", "funzip", "7z", "7za", "7zz", "7zr", "cpio", "unar", "jar"}
)
# What may sit between a download and the archiver: decompressors and pass-through.
_BETWEEN = frozenset(
    {"gunzip", "gzip", "zcat", "bunzip2", "bzip2", "xz", "unxz", "zstd", "unzstd", "pv", "tee"}
)
_DESTINATION = ("-C", "--directory", "-d", "-o")
# Package runners the shell unwraps like wrappers or environment runners (`pnpm dlx X` runs X):
# what they fetch is seen here, before the unwrapping.
_RUNNERS = PACKAGE_RUNNERS
_DOWNLOAD = frozenset({"download"})


def _extracts(inv: Invocation) -> bool:
    """An archiver told to unpack (`tar xz`, `tar -xzf -`, `bsdtar -xf-`, `7z x -si`, `cpio -i`,
    `unzip`, `funzip`), not to list or create."""
    if inv.name in ("tar", "bsdtar", "gtar"):
        first = inv.argv[0] if inv.argv else ""
        mode = first.lstrip("-") if first and not first.startswith("--") else ""
        return "x" in mode or bool(inv.flags & {"x", "extract", "get"})
    if inv.name in ("7z", "7za", "7zz", "7zr"):
        return bool(inv.operands) and inv.operands[0].lower() in ("x", "e")
    if inv.name == "cpio":
        return bool(inv.flags & {"i", "extract"})
    return True  # unzip, funzip, unar, jar: they write what they read


def from_network(prev: Any) -> bool:
    """Whether a pipeline stage's stdin (`prev`: the stage before, with `source`, `invocation`
    and its own `prev`) came from a download, through decompressors (`curl | gunzip | tar x`)."""
    hops = 0
    while prev is not None and hops < 8:
        if prev.source == "network":
            return True
        inv = prev.invocation
        if prev.source != "decoder" and inv is not None and inv.name not in _BETWEEN:
            return False
        prev, hops = prev.prev, hops + 1
    return False


# Temporary folders and shared memory: programs run from there were put there, not installed.
_TEMP_PLACES = frozenset({"temp", "hidden-temp"})


def outside_runs(
    inv: Invocation, head: str, classify: Callable[[str], frozenset[str]], networked: bool
) -> list[tuple[str, str, frozenset[str]]]:
    """Path effects (op, target, marks) of running a file by its path or a launcher, and of
    unpacking a download."""
    found: list[tuple[str, str, frozenset[str]]] = []
    # `./tool`, `/tmp/x`, PowerShell's `& "$env:TEMP\x.ps1"`: a file of the workspace or of a
    # temporary folder (absolute and home programs are installed tools: left to rules' text).
    local = "$" not in head and "%" not in head
    if "/" in head and (classify(head) & _TEMP_PLACES if head[0] in "/~$%" else local):
        found.append(("exec", head, frozenset()))
    if inv.name in _LAUNCHERS:
        found += [("exec", o, frozenset()) for o in inv.operands if _LAUNCHABLE.search(o)]
    if inv.name in _EXTRACTORS and networked and _extracts(inv):
        dest = next(
            (inv.argv[k + 1] for k, a in enumerate(inv.argv[:-1]) if a in _DESTINATION), "."
        )
        found.append(("write", dest, _DOWNLOAD))
    return found


def runner_fetch(
    argv: list[str], via: tuple[str, ...], depth: int, where: tuple[int, int]
) -> Effect | None:
    """`npx -y create-next-app@latest`, `uvx ruff@0.5`: what the runner fetches before the
    package runs (the shell unwraps the runner like a wrapper; this sees its own options)."""
    for k, word in enumerate(argv[:8]):
        name = basename(word)
        if name in _RUNNERS:
            args = argv[k + 1 :]
            flags, operands = split_flags(args)
            privileged = any(basename(a) in C.PRIVILEGED_WRAPPERS for a in argv[:k])
            return fetched_package(
                Invocation(name, args, flags, operands, "", via, privileged, depth, *where)
            )
        if name not in C.WRAPPERS and not word.startswith("-") and "=" not in word:
            return None
    return None
