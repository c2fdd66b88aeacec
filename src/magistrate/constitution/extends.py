"""Built-in constitutions by name, and `extends:`: a small file that adds to, overrides or
disables the rules of another.

Merging is on raw YAML mappings, before validation, so the result is validated (and its
patterns compiled) as one constitution:

- `articles`, `rules` and `sequences` merge by `id`: the same id replaces the base's entry in
  place, a new id is appended; `disable: [id, ...]` removes rules or sequences of the base.
- mappings (`policy`, `path_classes`, `roles`, `organization`, `tool_arguments`, `tool_verbs`,
  `sofia`) merge one level deep: the child's keys replace the base's keys.
- anything else (`name`, `description`, `sensitive_content`) is replaced by the child's value.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from magistrate.errors import ConstitutionError, ConstitutionProblem

BUILTINS = {"default": "default.yaml", "strict": "strict.yaml"}
MAX_DEPTH = 8  # extends chains longer than this are a mistake (or a cycle)
_BY_ID = ("articles", "rules", "sequences")


def builtin_text(name: str) -> str:
    """The YAML text of a built-in constitution (`default`, `strict`)."""
    return resources.files("magistrate.constitution").joinpath(BUILTINS[name]).read_text("utf-8")


def is_builtin(ref: str | Path) -> bool:
    """Whether a reference names a built-in constitution rather than a file."""
    return str(ref) in BUILTINS and not Path(ref).exists()


def read_source(ref: str | Path, relative_to: Path | None = None) -> tuple[str, str, Path | None]:
    """(text, source label, directory) of a constitution named by built-in name or path."""
    if is_builtin(ref):
        return builtin_text(str(ref)), f"<builtin>/{BUILTINS[str(ref)]}", None
    p = Path(ref)
    if relative_to is not None and not p.is_absolute():
        p = relative_to / p
    try:
        return p.read_text(encoding="utf-8"), str(p), p.parent
    except OSError as exc:
        raise ConstitutionError(
            [ConstitutionProblem(str(p), None, f"cannot read: {exc}")]
        ) from None


def load_raw(text: str, source: str) -> dict[str, Any]:
    """YAML text as a top-level mapping."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConstitutionError([ConstitutionProblem(source, None, f"YAML: {exc}")]) from None
    if not isinstance(raw, dict):
        raise ConstitutionError([ConstitutionProblem(source, None, "top level must be a mapping")])
    return raw


def resolve(
    raw: dict[str, Any],
    source: str,
    directory: Path | None,
    depth: int = 0,
    read: list[tuple[str, Path | None, str]] | None = None,
) -> dict[str, Any]:
    """The raw constitution with its `extends` chain merged in (a no-op without `extends`).
    Each base read is appended to `read` as (reference, directory it was relative to, text)."""
    if "extends" not in raw:
        if "disable" in raw:
            raise ConstitutionError(
                [ConstitutionProblem(source, None, "disable: needs `extends` (nothing to disable)")]
            )
        return raw
    if depth >= MAX_DEPTH:
        raise ConstitutionError(
            [ConstitutionProblem(source, None, f"extends: chain deeper than {MAX_DEPTH}")]
        )
    ref = raw["extends"]
    if not isinstance(ref, str) or not ref:
        raise ConstitutionError(
            [ConstitutionProblem(source, None, "extends: must be a built-in name or a path")]
        )
    text, base_source, base_dir = read_source(ref, directory)
    if read is not None:
        read.append((ref, directory, text))
    base = resolve(load_raw(text, base_source), base_source, base_dir, depth + 1, read)
    return merge(base, raw, source)


def merge(base: dict[str, Any], child: dict[str, Any], source: str) -> dict[str, Any]:
    """The child constitution laid over its base (see the module docstring)."""
    problems: list[ConstitutionProblem] = []
    out = dict(base)
    for key, value in child.items():
        if key in ("extends", "disable"):
            continue
        if key in _BY_ID and isinstance(value, list) and isinstance(base.get(key), list):
            out[key] = _merge_by_id(base[key], value)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            out[key] = {**base[key], **value}
        else:
            out[key] = value
    disable = child.get("disable", [])
    if not isinstance(disable, list) or not all(isinstance(d, str) for d in disable):
        problems.append(ConstitutionProblem(source, None, "disable: must be a list of rule ids"))
        disable = []
    known = {e.get("id") for k in ("rules", "sequences") for e in out.get(k) or [] if _is_entry(e)}
    for rid in disable:
        if rid not in known:
            problems.append(ConstitutionProblem(source, rid, "disable: no such rule in the base"))
    if problems:
        raise ConstitutionError(problems)
    gone = set(disable)
    for key in ("rules", "sequences"):
        if isinstance(out.get(key), list):
            out[key] = [e for e in out[key] if not (_is_entry(e) and e.get("id") in gone)]
    return out


def _is_entry(entry: Any) -> bool:
    return isinstance(entry, dict) and isinstance(entry.get("id"), str)


def _merge_by_id(base: list[Any], child: list[Any]) -> list[Any]:
    out = list(base)
    where = {e["id"]: i for i, e in enumerate(out) if _is_entry(e)}
    for entry in child:
        if _is_entry(entry) and entry["id"] in where:
            out[where[entry["id"]]] = entry
        else:
            out.append(entry)
    return out
