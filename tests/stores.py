"""Test helpers for real stores: a private PostgreSQL schema per test, and a TCP proxy that can
take PostgreSQL "down" and bring it back (a real outage as the client sees it)."""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import psycopg

PG_HOST = os.environ.get("MAGISTRATE_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("MAGISTRATE_TEST_PG_PORT", "5432"))
PG_DB = os.environ.get("MAGISTRATE_TEST_PG_DB", "test")
PG_USER = os.environ.get("MAGISTRATE_TEST_PG_USER", "postgres")


def pg_url(schema: str, port: int = PG_PORT) -> str:
    """A URL whose connections use `schema` first on the search path."""
    return (
        f"postgresql://{PG_USER}@{PG_HOST}:{port}/{PG_DB}"
        f"?options=-csearch_path%3D{schema}&connect_timeout=2"
    )


@contextmanager
def pg_schema() -> Iterator[str]:
    """A fresh schema in the test database, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(
        f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{PG_DB}", autocommit=True
    ) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schema
    finally:
        with psycopg.connect(
            f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{PG_DB}", autocommit=True
        ) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


class TcpProxy:
    """Forwards a local port to PostgreSQL; `stop()` cuts every connection and refuses new ones."""

    def __init__(self, target_host: str = PG_HOST, target_port: int = PG_PORT) -> None:
        self.target = (target_host, target_port)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        with self._lock:
            if self._listener is not None:
                try:
                    self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
                except OSError:
                    pass
                self._listener.close()
                self._listener = None
            for conn in self._conns:
                with suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            self._conns.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            if self._listener is not listener:  # stopped meanwhile
                client.close()
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with suppress(OSError):
                    s.close()
