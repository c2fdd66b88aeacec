"""The signed disk cache of constitutions and Hyperscan databases: what someone else wrote there
is ignored, so a cache can make loading faster but never make a rule weaker."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path

import hyperscan
import pytest

from magistrate import (
    Action,
    Constitution,
    Governor,
    LoadedConstitution,
    load_constitution,
    signed_cache,
)
from magistrate.analysis import hsdb
from magistrate.constitution import cache as constitution_cache
from magistrate.constitution.extends import builtin_text


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("MAGISTRATE_CACHE_DIR", str(folder))
    return folder


def _forge(path: Path, name: str, payload: bytes, key: bytes) -> None:
    """An entry in the cache's format, signed with `key` (an attacker's, unless it is ours)."""
    mac = hmac.new(key, name.encode() + b"\x00" + payload, hashlib.sha256).digest()
    path.write_bytes(signed_cache.MAGIC + mac + payload)


def test_entries_round_trip_and_anything_altered_is_ignored(cache: Path) -> None:
    assert signed_cache.write("entry-a", b"payload")
    assert signed_cache.read("entry-a") == b"payload"
    key = (cache / signed_cache.KEY_FILE).read_bytes()
    assert len(key) == 32 and (cache / signed_cache.KEY_FILE).stat().st_mode & 0o077 == 0
    data = bytearray((cache / "entry-a").read_bytes())
    data[-1] ^= 1  # one bit of the payload
    (cache / "entry-a").write_bytes(bytes(data))
    assert signed_cache.read("entry-a") is None
    # a valid entry under another name: the name is signed too
    signed_cache.write("entry-b", b"other")
    (cache / "entry-b").rename(cache / "entry-a")
    assert signed_cache.read("entry-a") is None
    _forge(cache / "entry-c", "entry-c", b"forged", os.urandom(32))
    assert signed_cache.read("entry-c") is None
    _forge(cache / "entry-d", "entry-d", b"ours", key)
    assert signed_cache.read("entry-d") == b"ours"  # the check is the signature, nothing else
    (cache / "entry-e").write_bytes(b"garbage")
    assert signed_cache.read("entry-e") is None


def test_a_key_others_may_read_disables_the_cache(cache: Path) -> None:
    assert signed_cache.write("entry", b"payload")
    (cache / signed_cache.KEY_FILE).chmod(0o644)
    assert signed_cache.signing_key() is None
    assert signed_cache.read("entry") is None
    assert not signed_cache.write("entry", b"payload")
    (cache / signed_cache.KEY_FILE).chmod(0o600)
    assert signed_cache.read("entry") == b"payload"
    (cache / signed_cache.KEY_FILE).write_bytes(b"short")
    assert signed_cache.read("entry") is None


def test_a_forged_database_that_matches_nothing_is_not_loaded(cache: Path) -> None:
    expressions, flags = [rb"rm\s+-rf"], [hyperscan.HS_FLAG_CASELESS]
    hsdb.compile_database(expressions, flags)  # the real entry, and the key
    name = f"hs2-{hsdb._key(expressions, flags)}.db"
    assert (cache / name).exists()
    empty = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    empty.compile(expressions=[b"zz-never-zz"], ids=[0], flags=[0])
    forged = b"[0]\n" + hyperscan.dumpb(empty)
    for key in (os.urandom(32), b""):  # another key; no signature at all
        if key:
            _forge(cache / name, name, forged, key)
        else:
            (cache / name).write_bytes(forged)
        assert _scan(hsdb.compile_database(expressions, flags), b"sudo RM -RF /") == [0]


def _scan(db: hyperscan.Database, data: bytes) -> list[int]:
    found: list[int] = []
    scratch = hyperscan.Scratch(db)  # a loaded database has none of its own
    db.scan(data, match_event_handler=lambda i, *_: found.append(i), scratch=scratch)
    return found


def test_which_field_patterns_hyperscan_rejects_is_cached(cache: Path) -> None:
    expressions = [rb"\bok\b", rb"(\s|^)x.*(\s|^)y", rb"fine"]  # `^` mid-pattern: rejected
    flags = [hyperscan.HS_FLAG_SINGLEMATCH] * 3
    db, accepted = hsdb.compile_accepted(expressions, flags)
    assert accepted == [0, 2] and db is not None
    again, accepted_again = hsdb.compile_accepted(expressions, flags)
    assert accepted_again == [0, 2] and again is not None
    assert _scan(again, b"fine") == [1]  # ids are positions in `accepted`


def _rules(loaded: object) -> list[str]:
    return [r.id for r in loaded.model.rules]  # type: ignore[attr-defined]


def test_a_cached_constitution_is_the_one_validated(cache: Path) -> None:
    fresh = load_constitution("default")
    entries = list(cache.glob("constitution-*.json"))
    assert len(entries) == 1
    cached = load_constitution("default")
    assert cached.version == fresh.version and cached.model == fresh.model
    assert constitution_cache.entry_name(builtin_text("default"), cached.source, None) == (
        entries[0].name
    )


def test_a_tampered_constitution_entry_is_ignored(cache: Path) -> None:
    fresh = load_constitution("default")
    entry = next(cache.glob("constitution-*.json"))
    payload = json.loads(signed_cache.read(entry.name) or b"")
    model = json.loads(payload["model"])
    model["rules"] = [r for r in model["rules"] if r["id"] != "delete-root-or-home"]
    payload["model"] = json.dumps(model)
    payload["version"] = LoadedConstitution(Constitution.model_validate(model), "x").version
    weakened = json.dumps(payload).encode()
    _forge(entry, entry.name, weakened, os.urandom(32))  # written by someone without the key
    loaded = load_constitution("default")
    assert "delete-root-or-home" in _rules(loaded) and loaded.version == fresh.version
    gov = Governor(loaded)
    verdict = gov.check(Action(kind="shell", text="rm -rf ~", principal="agent:t"))
    assert verdict.decision.value == "deny"
    # the entry was rewritten by the load above; the same edit signed with our key is taken:
    # the signature is what stands between the file and the rules
    key = (cache / signed_cache.KEY_FILE).read_bytes()
    _forge(entry, entry.name, weakened, key)
    assert "delete-root-or-home" not in _rules(load_constitution("default"))


def test_a_changed_base_is_read_again(cache: Path, tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    base.write_text(builtin_text("default"), encoding="utf-8")
    child = tmp_path / "child.yaml"
    child.write_text("extends: base.yaml\nname: child\ndisable: [delete-root-or-home]\n")
    first = load_constitution(child)
    assert "delete-root-or-home" not in _rules(first) and first.name == "child"
    text = builtin_text("default").replace(
        "name: Magistrate default constitution", "name: changed base"
    )
    base.write_text(text.replace("id: force-push-main", "id: force-push-renamed", 1), "utf-8")
    second = load_constitution(child)
    assert "force-push-renamed" in _rules(second) and "force-push-main" not in _rules(second)


def test_an_unwritable_cache_only_costs_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("MAGISTRATE_CACHE_DIR", str(blocker / "cache"))
    assert load_constitution("default").model.rules
    assert _scan(hsdb.compile_database([b"abc"], [0]), b"xabcx") == [0]
