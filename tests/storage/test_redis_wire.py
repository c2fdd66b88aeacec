"""The trust ledger's own Redis connection (`redis_wire`): the same answers as the client's path,
its database selected, and failures that read as redis-py's own (a cut connection retried once,
a timeout dropping the connection, error replies, a script Redis lost loaded again)."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import redis
from redis.exceptions import NoScriptError

from magistrate import Decision, Risk
from magistrate.db.base import StoreUnavailable
from magistrate.redis_store import RedisTrustLedger
from magistrate.redis_wire import Wire

OUTCOMES = [
    (Decision.ALLOW, Risk.LOW),
    (Decision.DENY, Risk.HIGH),
    (Decision.ESCALATE, Risk.MEDIUM),
    (Decision.ALLOW, Risk.MEDIUM),
    (Decision.DENY, Risk.CRITICAL),  # suspends
    (Decision.ALLOW, Risk.LOW),
]


def test_the_same_numbers_as_redis_pys_path(
    client: redis.Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1_800_000_000.0]
    monkeypatch.setattr(time, "time", lambda: now[0])
    lean = RedisTrustLedger(client, prefix=prefix)
    plain = RedisTrustLedger(client, prefix=prefix)
    assert lean._wire is not None
    plain._wire = None  # redis-py's own path
    for decision, risk in OUTCOMES:
        now[0] += 37.5  # some decay between outcomes
        assert lean.record("agent:lean", decision, risk) == plain.record(
            "agent:plain", decision, risk
        )
        assert lean.state("agent:lean") == plain.state("agent:plain")
    assert lean.state("agent:lean").suspended


def test_the_database_of_the_url_is_selected(client: redis.Redis, prefix: str) -> None:
    wire = Wire.for_client(client)
    assert wire is not None
    client.set(f"{prefix}here", "yes")
    assert wire.call("GET", f"{prefix}here") == "yes"
    assert wire.db == client.connection_pool.connection_kwargs.get("db", 0)
    wire.close()


def test_call_bytes_sends_what_redis_pys_packer_sends(
    client: redis.Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    wire = Wire.for_client(client)
    assert wire is not None
    args = (b"SET", f"{prefix}k\u00e9".encode(), "a b\r\n\x00 \u00e9".encode(), b"EX", b"60")
    sent: list[bytes] = []
    connection = wire._conn().connection
    real = connection.send_packed_command

    def send(packed: list[bytes], check_health: bool = True) -> None:
        sent.append(b"".join(packed))
        real(packed, check_health=check_health)

    monkeypatch.setattr(connection, "send_packed_command", send)
    assert wire.call_bytes(*args) == "OK"
    assert sent == [b"".join(connection.pack_command(*args))]
    assert client.get(f"{prefix}k\u00e9") == "a b\r\n\x00 \u00e9"
    wire.close()


def test_only_plain_tcp_clients_get_one() -> None:
    assert Wire.for_client(redis.Redis(unix_socket_path="/tmp/none.sock")) is None
    assert Wire.for_client(redis.Redis.from_url("rediss://127.0.0.1:1/0")) is None
    assert Wire.for_client(object()) is None


def test_a_cut_connection_is_retried_once(client: redis.Redis, prefix: str) -> None:
    ledger = RedisTrustLedger(client, prefix=prefix)
    wire = ledger._wire
    assert wire is not None
    ledger.record("agent:cut", Decision.ALLOW, Risk.LOW)
    conn = wire._local.conn
    host, port = conn.connection._sock.getsockname()[:2]
    assert client.client_kill(f"{host}:{port}")  # as a Redis restart cuts it
    before, after = ledger.record("agent:cut", Decision.ALLOW, Risk.LOW)
    assert after >= before and wire._local.conn is not conn


def test_an_error_reply_is_a_response_error(client: redis.Redis) -> None:
    wire = Wire.for_client(client)
    assert wire is not None
    with pytest.raises(redis.ResponseError, match="unknown command"):
        wire.call(b"NO-SUCH-COMMAND")
    with pytest.raises(NoScriptError):
        wire.call(b"EVALSHA", b"0" * 40, b"0")
    assert wire.call(b"PING") == "PONG"  # the connection is still in step
    wire.close()


def test_a_script_redis_lost_is_loaded_again(
    client: redis.Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = RedisTrustLedger(client, prefix=prefix)
    wire = ledger._wire
    assert wire is not None
    sent = wire.call_bytes
    answered: list[str] = []

    def as_after_a_restart(*args: bytes) -> object:
        if not answered:  # what Redis answers once its scripts are gone
            answered.append("NOSCRIPT")
            raise NoScriptError("NOSCRIPT No matching script. Please use EVAL.")
        answered.append("reply")
        return sent(*args)

    monkeypatch.setattr(wire, "call_bytes", as_after_a_restart)
    assert ledger.record("agent:lost", Decision.ALLOW, Risk.LOW)[1] > 0
    assert answered == ["NOSCRIPT", "reply"]


def test_a_silent_server_times_out_and_the_connection_is_dropped() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    wire = Wire("127.0.0.1", listener.getsockname()[1], socket_timeout=0.1)
    for _ in range(2):
        with pytest.raises(redis.TimeoutError):
            wire.call(b"PING")
    time.sleep(0.1)
    assert len(accepted) == 2  # a new connection each time: no late reply is ever read
    ledger = RedisTrustLedger(redis.Redis(port=listener.getsockname()[1], socket_timeout=0.1))
    with pytest.raises(StoreUnavailable):  # through the breaker: the verdict fails closed
        ledger.record("agent:silent", Decision.ALLOW, Risk.LOW)
    listener.close()
    for s in accepted:
        s.close()
