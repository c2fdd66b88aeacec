"""API keys on SQLite and PostgreSQL: stored hashed, checked in constant time, roles, gateway
patterns, revocation, the first-start bootstrap (one key even when servers race), and the CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from magistrate.db import Database, open_database
from magistrate.keys import ApiKey, Keys, KeysError, digest
from tests.stores import pg_schema, pg_url


def test_create_and_authenticate(db: Database) -> None:
    keys = Keys(db)
    key, token = keys.create("approver", "alice")
    assert token.startswith("mgk_") and len(token) > 60
    assert (key.name, key.role, key.may_act_as) == ("alice", "approver", None)
    found = keys.authenticate(token)
    assert found is not None and (found.id, found.name, found.role) == (key.id, "alice", "approver")
    row = db.key_get(key.id)
    assert row is not None
    assert row["hash"] == digest(token) and token not in json.dumps(row)  # only the hash is kept


def test_wrong_or_malformed_keys_are_refused(db: Database) -> None:
    keys = Keys(db)
    _, token = keys.create("agent", "agent:etl")
    wrong_secret = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for bad in (
        wrong_secret,
        "",
        "mgk_",
        "Bearer " + token,
        token + "x",
        token.upper(),
        f"mgk_{'0' * 16}_{'a' * 43}",
    ):
        assert keys.authenticate(bad) is None, bad
    assert keys.authenticate(token) is not None


def test_roles_and_gateway_patterns(db: Database) -> None:
    keys = Keys(db)
    agent, _ = keys.create("agent", "agent:etl")
    gateway, _ = keys.create("agent", "gw", may_act_as="agent:*")
    approver, _ = keys.create("approver", "alice")
    admin, _ = keys.create("admin", "root")
    assert agent.can_check and not agent.can_approve
    assert not approver.can_check and approver.can_approve
    assert admin.can_check and admin.can_approve
    assert agent.may_act_as_principal("agent:etl") and not agent.may_act_as_principal("agent:x")
    assert gateway.may_act_as_principal("agent:x") and gateway.may_act_as_principal("gw")
    assert not gateway.may_act_as_principal("alice")
    assert keys.is_approver("alice") and keys.is_approver("root")
    assert not keys.is_approver("agent:etl") and not keys.is_approver("nobody")


@pytest.mark.parametrize(
    ("role", "name", "pattern", "message"),
    [
        ("boss", "x", None, "role: must be one of agent, approver, admin"),
        ("agent", "", None, "name: must be non-empty"),
        ("agent", "has space", None, "name: must be non-empty, without spaces"),
        ("agent", "x" * 257, None, "name: is longer than 256"),
        ("approver", "alice", "agent:*", "may_act_as: only agent keys"),
        ("admin", "root", "*", "may_act_as: only agent keys"),
    ],
)
def test_invalid_keys_are_refused_with_the_reason(
    tmp_path: Path, role: str, name: str, pattern: str | None, message: str
) -> None:
    db = open_database(f"sqlite:///{tmp_path}/k.db")
    with pytest.raises(KeysError, match=message):
        Keys(db).create(role, name, pattern)
    assert db.key_list(include_revoked=True) == []
    db.close()


def test_revocation(db: Database) -> None:
    keys = Keys(db, cache_s=60)
    key, token = keys.create("agent", "agent:a")
    _, other = keys.create("agent", "agent:a")
    _, third = keys.create("agent", "agent:b")
    assert keys.authenticate(token) is not None  # now cached
    assert keys.revoke(key.id) == [key.id]
    assert keys.authenticate(token) is None  # the revoking process forgets at once
    assert keys.authenticate(other) is not None
    assert len(keys.revoke("agent:a")) == 1  # by name: the remaining active key of that name
    assert keys.authenticate(other) is None and keys.authenticate(third) is not None
    with pytest.raises(KeysError, match="no active key"):
        keys.revoke("agent:a")
    assert [k.name for k in keys.list()] == ["agent:b"]
    assert len(keys.list(include_revoked=True)) == 3


def test_another_process_sees_a_revocation_within_the_cache_time(db: Database) -> None:
    server = Keys(db, cache_s=0.3)
    admin = Keys(db)
    key, token = admin.create("agent", "agent:a")
    assert server.authenticate(token) is not None
    admin.revoke(key.id)
    assert server.peek(token) is not None  # still trusted from the cache…
    time.sleep(0.35)
    assert server.peek(token) is None and server.authenticate(token) is None  # …then not


def test_bootstrap_creates_one_admin_key_only_when_there_is_none(db: Database) -> None:
    keys = Keys(db)
    first = keys.bootstrap_admin()
    assert first is not None and first[0].role == "admin" and first[0].name == "admin"
    assert keys.authenticate(first[1]) is not None
    assert keys.bootstrap_admin() is None
    assert len(keys.list()) == 1


def test_servers_starting_together_bootstrap_one_key(tmp_path: Path) -> None:
    with pg_schema() as schema:
        dbs = [open_database(pg_url(schema)) for _ in range(4)]
        results: list[object] = []
        barrier = threading.Barrier(len(dbs))

        def start(db: Database) -> None:
            barrier.wait()
            results.append(Keys(db).bootstrap_admin())

        threads = [threading.Thread(target=start, args=(d,)) for d in dbs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sum(r is not None for r in results) == 1
        assert len(Keys(dbs[0]).list()) == 1
        for d in dbs:
            d.close()


def run_cli(tmp_path: Path, *args: str, key: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MAGISTRATE_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}
    env.pop("MAGISTRATE_KEY", None)
    if key is not None:
        env["MAGISTRATE_KEY"] = key
    return subprocess.run(
        [sys.executable, "-m", "magistrate", "keys", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def test_cli_create_list_revoke(tmp_path: Path) -> None:
    r = run_cli(tmp_path, "create", "--role", "admin", "--name", "root", "--json")
    assert r.returncode == 0, r.stderr  # the first key of an empty store: no credential
    root = json.loads(r.stdout)["key"]
    r = run_cli(
        tmp_path,
        "create",
        "--role",
        "agent",
        "--name",
        "gw",
        "--may-act-as",
        "agent:*",
        "--json",
        key=root,
    )
    assert r.returncode == 0, r.stderr
    created = json.loads(r.stdout)
    assert set(created) == {"name", "role", "key"} and created["role"] == "agent"
    db = open_database(f"sqlite:///{tmp_path}/cli.db")
    found = Keys(db).authenticate(created["key"])
    assert isinstance(found, ApiKey) and found.may_act_as == "agent:*"
    r = run_cli(tmp_path, "create", "--role", "approver", "--name", "alice", key=root)
    assert r.returncode == 0 and "mgk_" in r.stdout and "only time" in r.stderr
    listed = run_cli(tmp_path, "list", "--json")
    names = [k["name"] for k in json.loads(listed.stdout)]
    assert names == ["root", "gw", "alice"] and "mgk_" not in listed.stdout  # never the secrets
    assert run_cli(tmp_path, "revoke", "alice", key=root).returncode == 0
    assert Keys(db).authenticate(created["key"]) is not None
    assert [k.name for k in Keys(db).list()] == ["root", "gw"]
    bad = run_cli(
        tmp_path, "create", "--role", "approver", "--name", "bob", "--may-act-as", "x", key=root
    )
    assert bad.returncode == 3 and "only agent keys" in bad.stderr
    assert run_cli(tmp_path, "revoke", "nobody", key=root).returncode == 1
    db.close()


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("agent:x\u200b", "invisible or control character U+200B"),
        ("agent:x\u00a0", "without spaces"),
        ("\uff41gent:x", "canonical (NFKC) form 'agent:x'"),
    ],
)
def test_key_names_are_canonical_principal_names(
    db_for_names: Keys, name: str, fragment: str
) -> None:
    """A key's name is the principal it acts as: a look-alike of another name is refused."""
    with pytest.raises(KeysError, match=re.escape(fragment)):
        db_for_names.create("agent", name)


@pytest.fixture
def db_for_names(tmp_path: Path) -> Iterator[Keys]:
    database = open_database(f"sqlite:///{tmp_path}/n.db")
    yield Keys(database)
    database.close()


def test_operator_key_comes_from_file_then_environment_then_a_hidden_prompt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 12, item 3: where `approvals approve` and `keys create` read the operator's key."""
    import getpass

    from magistrate.operator_key import CredentialError, operator_key, read_token

    asked: list[str] = []
    monkeypatch.setattr(getpass, "getpass", lambda prompt: asked.append(prompt) or " typed\n")
    monkeypatch.delenv("MAGISTRATE_KEY", raising=False)
    key_file = tmp_path / "k"
    key_file.write_text("from-file\n")
    assert read_token(None, interactive=lambda: False) is None
    assert read_token(None, "key: ", interactive=lambda: True) == "typed" and asked == ["key: "]
    monkeypatch.setenv("MAGISTRATE_KEY", "from-env")
    assert read_token(None, interactive=lambda: True) == "from-env"
    assert read_token(key_file, interactive=lambda: True) == "from-file"
    with pytest.raises(CredentialError, match="cannot read"):
        read_token(tmp_path / "missing")
    database = open_database(f"sqlite:///{tmp_path}/o.db")
    keys = Keys(database)
    _, agent = keys.create("agent", "agent:x")
    _, alice = keys.create("approver", "alice")
    monkeypatch.setenv("MAGISTRATE_KEY", alice)
    assert operator_key(keys, None, ("approver", "admin"), "approving").name == "alice"
    with pytest.raises(CredentialError, match="has role approver; creating a key needs an admin"):
        operator_key(keys, None, ("admin",), "creating a key")
    monkeypatch.setenv("MAGISTRATE_KEY", agent)
    with pytest.raises(CredentialError, match="has role agent"):
        operator_key(keys, None, ("approver", "admin"), "approving")
    keys.revoke("alice")
    monkeypatch.setenv("MAGISTRATE_KEY", alice)
    with pytest.raises(CredentialError, match="invalid or revoked"):
        operator_key(keys, None, ("approver", "admin"), "approving")
    database.close()
