"""Validated constitutions, cached on disk so that a short-lived process (the Claude Code hook)
does not parse YAML and check every pattern on each start.

An entry is the validated model as JSON, named by a hash of the constitution's text and source,
Magistrate's version, the code that validates constitutions and Hyperscan's version. The files
an `extends` chain read are listed with their hashes and read again on each use: a changed base
misses. Entries are signed (`magistrate.signed_cache`): one the user's own Magistrate did not
write is ignored, and the constitution is validated from its YAML again, so a cache can never
stand in for weaker rules. Only constitutions that validated are cached.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from magistrate import signed_cache

if TYPE_CHECKING:
    from magistrate.constitution.loader import LoadedConstitution

Read = list[tuple[str, Path | None, str]]  # (reference, relative to, text) of each base read


def _code_signature() -> str:
    """Magistrate's version, Hyperscan's, and the size and time of the validating modules (an
    edited checkout keeps its version number)."""
    from importlib.metadata import PackageNotFoundError, version

    import hyperscan

    try:
        ours = version("magistrate")
    except PackageNotFoundError:  # pragma: no cover - a tree that was never installed
        ours = "0+unknown"
    parts = [ours, str(getattr(hyperscan, "__version__", "0"))]
    here = Path(__file__).parent
    analysis = here.parent / "analysis"
    # the loader and what it validates against: facts, target and resource classes, secrets
    named = ("__init__.py", "facts.py", "effects.py", "secrets.py")
    for path in [*sorted(here.glob("*.py")), *(analysis / name for name in named)]:
        try:
            st = path.stat()
        except OSError:
            continue
        parts.append(f"{path.name}:{st.st_size}:{st.st_mtime_ns}")
    return "\n".join(parts)


def entry_name(text: str, source: str, directory: Path | None) -> str:
    """The cache entry's name for a constitution's text as read from `source`."""
    h = hashlib.sha256(_code_signature().encode())
    for part in (source, str(directory), text):
        h.update(b"\x00" + part.encode("utf-8", "surrogatepass"))
    return f"constitution-{h.hexdigest()[:40]}.json"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _bases_unchanged(read: Any) -> bool:
    from magistrate.constitution.extends import read_source
    from magistrate.errors import ConstitutionError

    if not isinstance(read, list):
        return False
    for item in read:
        if not (isinstance(item, list) and len(item) == 3):
            return False
        ref, directory, digest = item
        try:
            text, _, _ = read_source(ref, None if directory is None else Path(directory))
        except ConstitutionError:
            return False
        if _sha(text) != digest:
            return False
    return True


def cached(
    text: str,
    source: str,
    directory: Path | None,
    parse: Callable[[str, str, Path | None, Read], LoadedConstitution],
) -> LoadedConstitution:
    """The constitution from the cache when a valid entry exists; else `parse(...)`, cached."""
    from magistrate.constitution.loader import LoadedConstitution
    from magistrate.constitution.model import Constitution

    name = entry_name(text, source, directory)
    payload = signed_cache.read(name)
    if payload is not None:
        try:
            entry = json.loads(payload)
            if _bases_unchanged(entry["read"]):
                loaded = LoadedConstitution(
                    Constitution.model_validate_json(entry["model"]), source
                )
                if loaded.version == entry["version"]:
                    return loaded
        except (ValueError, KeyError, TypeError):
            pass  # not an entry this code reads: validate from the YAML
    read: Read = []
    loaded = parse(text, source, directory, read)
    entry = {
        "read": [[ref, None if d is None else str(d), _sha(t)] for ref, d, t in read],
        "model": loaded.model.model_dump_json(by_alias=True),
        "version": loaded.version,
    }
    signed_cache.write(name, json.dumps(entry).encode())
    return loaded


__all__ = ["cached", "entry_name"]
