"""A lean Redis connection for the one command on the shared-mode hot path: the trust ledger's
EVALSHA, once per decision.

redis-py's general path for a command — the pool, a poll of the socket before each command
(two `settimeout` calls and a `recv`), the retry wrapper, encoding each argument, the RESP3
parser — cost ~85 µs of CPU per decision on the benchmark machine, against ~25 µs for the
round trip's own system calls. Here each thread keeps one plain TCP connection of its own, the
command is encoded in one expression and its RESP2 reply read by a small parser: ~25 µs.

Only a client whose connections are plain TCP gets one (TLS, a Unix socket, a credential
provider or a pool of another kind keep redis-py's path). Failures read as redis-py's own:
`redis.ConnectionError` (a connection used before and found cut is retried once on a new one,
as the client's retry does), `redis.TimeoutError` (the connection is dropped: a late reply
must never be read as the next one's), `NoScriptError` / `ResponseError` for an error reply.
"""

from __future__ import annotations

import os
import socket
import threading
from typing import Any

import redis
from redis.exceptions import NoScriptError


class _Closed(Exception):
    """The server closed the connection."""


class _Conn:
    """One thread's connection: its socket, what it has read, whether it was used."""

    __slots__ = ("buf", "pid", "sock", "used")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()
        self.pid = os.getpid()
        self.used = False

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise _Closed()
        self.buf += chunk

    def _line(self) -> bytes:
        while (end := self.buf.find(b"\r\n")) < 0:
            self._fill()
        line = bytes(self.buf[:end])
        del self.buf[: end + 2]
        return line

    def reply(self) -> Any:
        """Read one RESP2 reply: bulk strings as text, integers as int, nil as None."""
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            while len(self.buf) < size + 2:
                self._fill()
            text = bytes(self.buf[:size]).decode("utf-8", "replace")
            del self.buf[: size + 2]
            return text
        if kind == b"*":
            count = int(rest)
            return None if count < 0 else [self.reply() for _ in range(count)]
        if kind == b":":
            return int(rest)
        if kind == b"+":
            return rest.decode("utf-8", "replace")
        if kind == b"-":
            message = rest.decode("utf-8", "replace")
            if message.startswith("NOSCRIPT"):
                raise NoScriptError(message)
            raise redis.ResponseError(message)
        raise _Closed(f"unexpected reply {line[:40]!r}")


def pack(args: tuple[bytes, ...]) -> bytes:
    """A command in RESP."""
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


class Wire:
    """Per-thread plain TCP connections to one Redis server and database."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        db: int = 0,
        username: str | None = None,
        password: str | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
    ) -> None:
        self.address = (host, port)
        self.db = db
        self.username = username
        self.password = password
        self.timeout = timeout
        self.connect_timeout = connect_timeout if connect_timeout is not None else timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: set[_Conn] = set()

    @classmethod
    def for_client(cls, client: Any) -> Wire | None:
        """A Wire to the server and database `client` uses; None unless its connections are
        plain TCP ones redis-py makes itself."""
        pool = getattr(client, "connection_pool", None)
        if type(client) is not redis.Redis or type(pool) is not redis.ConnectionPool:
            return None
        kw = pool.connection_kwargs
        if pool.connection_class is not redis.Connection or kw.get("credential_provider"):
            return None
        return cls(
            kw.get("host", "localhost"),
            int(kw.get("port", 6379)),
            db=int(kw.get("db") or 0),
            username=kw.get("username"),
            password=kw.get("password"),
            timeout=kw.get("socket_timeout"),
            connect_timeout=kw.get("socket_connect_timeout"),
        )

    def call(self, *args: bytes) -> Any:
        """Send one command and return its reply."""
        data = pack(args)
        for attempt in (0, 1):
            conn = self._conn()
            retry = conn.used and attempt == 0  # a pooled connection a restart may have cut
            try:
                conn.sock.sendall(data)
                conn.used = True
                return conn.reply()
            except TimeoutError as exc:  # socket.timeout: the reply may still come, later
                self._drop(conn)
                raise redis.TimeoutError(f"redis {self.address}: timed out") from exc
            except (OSError, _Closed) as exc:
                self._drop(conn)
                if not retry:
                    raise redis.ConnectionError(f"redis {self.address}: {exc!r}") from exc
        raise AssertionError("unreachable")

    def _conn(self) -> _Conn:
        conn: _Conn | None = getattr(self._local, "conn", None)
        if conn is not None and conn.pid == os.getpid():
            return conn
        try:
            sock = socket.create_connection(self.address, timeout=self.connect_timeout)
        except TimeoutError as exc:
            raise redis.TimeoutError(f"redis {self.address}: connect timed out") from exc
        except OSError as exc:
            raise redis.ConnectionError(f"redis {self.address}: {exc}") from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(self.timeout)
        conn = _Conn(sock)
        try:
            if self.password:
                user = (self.username.encode(),) if self.username else ()
                sock.sendall(pack((b"AUTH", *user, self.password.encode())))
                conn.reply()
            if self.db:
                sock.sendall(pack((b"SELECT", str(self.db).encode())))
                conn.reply()
        except redis.ResponseError:
            sock.close()
            raise
        except (OSError, _Closed) as exc:
            sock.close()
            raise redis.ConnectionError(f"redis {self.address}: {exc!r}") from exc
        self._local.conn = conn
        with self._lock:
            self._open.add(conn)
        return conn

    def _drop(self, conn: _Conn) -> None:
        self._local.conn = None
        with self._lock:
            self._open.discard(conn)
        conn.sock.close()

    def close(self) -> None:
        """Close every thread's connection (a thread that calls again opens a new one)."""
        with self._lock:
            conns, self._open = self._open, set()
        for conn in conns:
            conn.sock.close()
