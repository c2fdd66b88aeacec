"""The trust ledger's own Redis connection for the one command on the shared-mode hot path: the
record script's EVALSHA, once per decision.

redis-py's client path for a command — take a connection from the pool, poll its socket for
stale data (two `settimeout` calls and a `recv`), the retry wrapper, release — cost more CPU
than the round trip itself. Here each thread keeps one redis-py `Connection` of its own, made
with the client's own settings (database, credentials, timeouts, decoding), and sends the
command through it directly: the protocol, its parser (hiredis, a dependency) and its errors
stay redis-py's. A command given as bytes throughout (`call_bytes`) is packed by hiredis in one
C call.

Only a client whose connections are plain TCP ones redis-py makes itself gets one (TLS, a Unix
socket or a credential provider keep the client's path). Failures read as the client's own:
`redis.ConnectionError` (a connection used before and found cut is retried once on a new one,
as the client's retry does), `redis.TimeoutError` (the connection is dropped: a late reply must
never be read as the next one's), `NoScriptError` / `ResponseError` for an error reply.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import redis

# redis-py's connection class; its methods carry no annotations, so it is held as Any.
_CONNECTION: Any = redis.Connection
_pack_bytes: Any = None
try:  # the C packer redis-py itself uses when hiredis is installed (a dependency)
    import hiredis

    _pack_bytes = hiredis.pack_command
except ImportError:  # pragma: no cover - redis-py's own packer then
    pass


class _Conn:
    """One thread's connection: redis-py's `Connection`, its process, whether it was used."""

    __slots__ = ("connection", "pid", "used")

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.pid = os.getpid()
        self.used = False


class Wire:
    """Per-thread redis-py connections to one Redis server and database."""

    def __init__(self, host: str = "localhost", port: int = 6379, **kwargs: Any) -> None:
        # what redis.Connection accepts: db, username, password, socket_timeout, decoding…
        self.kwargs = {**kwargs, "host": host, "port": port}
        self.kwargs.pop("health_check_interval", None)  # no poll before each command
        self.kwargs.pop("retry", None)  # one retry, here, for a cut connection only
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: set[_Conn] = set()

    @property
    def db(self) -> int:
        """The database this wire's connections select."""
        return int(self.kwargs.get("db") or 0)

    @classmethod
    def for_client(cls, client: Any) -> Wire | None:
        """A Wire with the settings of `client`'s connections; None unless they are plain TCP
        ones redis-py makes itself."""
        pool = getattr(client, "connection_pool", None)
        if type(client) is not redis.Redis or type(pool) is not redis.ConnectionPool:
            return None
        kw = dict(pool.connection_kwargs)
        if pool.connection_class is not redis.Connection or kw.get("credential_provider"):
            return None
        return cls(**kw)

    def call(self, *args: Any) -> Any:
        """Send one command and return its reply."""
        return self._send(args, None)

    def call_bytes(self, *args: bytes) -> Any:
        """`call` for a command whose every part is already bytes: packed by hiredis at once
        when it is installed (redis-py's packer looks at each part in Python first)."""
        return self._send(args, [_pack_bytes(args)] if _pack_bytes is not None else None)

    def call_many_bytes(
        self, commands: list[tuple[bytes, ...]], *, retry: bool = True
    ) -> list[Any]:
        """Many commands in one write, their replies read in order: one round trip. An error
        reply comes back as its exception in its place; the others are still read. With
        `retry`, a kept connection found cut is used again once when no reply was read: only
        for commands that may run twice (reads), as Redis may have run them before the cut."""
        if _pack_bytes is not None:
            packed = [b"".join([_pack_bytes(c) for c in commands])]
        else:
            packed = self._conn().connection.pack_commands(commands)
        for attempt in (0, 1):
            conn = self._conn()
            again = retry and conn.used and attempt == 0
            connection: Any = conn.connection
            replies: list[Any] = []
            try:
                connection.send_packed_command(packed, check_health=False)
                conn.used = True
                for _ in commands:
                    try:
                        replies.append(connection.read_response())
                    except redis.ResponseError as exc:  # consumed: the next reply follows
                        replies.append(exc)
                return replies
            except redis.TimeoutError:
                self._drop(conn)
                raise
            except redis.ConnectionError:
                self._drop(conn)
                if replies or not again:
                    raise
        raise AssertionError("unreachable")

    def _send(self, args: tuple[Any, ...], packed: Any) -> Any:
        for attempt in (0, 1):
            conn = self._conn()
            retry = conn.used and attempt == 0  # a kept connection a restart may have cut
            connection: Any = conn.connection
            try:
                if packed is None:
                    packed = connection.pack_command(*args)
                connection.send_packed_command(packed, check_health=False)
                conn.used = True
                return connection.read_response()
            except redis.TimeoutError:  # the reply may still come, later: never read it
                self._drop(conn)
                raise
            except redis.ConnectionError:
                self._drop(conn)
                if not retry:
                    raise
        raise AssertionError("unreachable")

    def _conn(self) -> _Conn:
        conn: _Conn | None = getattr(self._local, "conn", None)
        if conn is not None and conn.pid == os.getpid():
            return conn
        connection = _CONNECTION(**self.kwargs)
        connection.connect()  # connects, authenticates and selects the database, or raises
        conn = _Conn(connection)
        self._local.conn = conn
        with self._lock:
            self._open.add(conn)
        return conn

    def _drop(self, conn: _Conn) -> None:
        self._local.conn = None
        with self._lock:
            self._open.discard(conn)
        conn.connection.disconnect()

    def close(self) -> None:
        """Close every thread's connection (a thread that calls again opens a new one)."""
        with self._lock:
            conns, self._open = self._open, set()
        for conn in conns:
            conn.connection.disconnect()
