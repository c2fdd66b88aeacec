"""The audit writer in a process of its own: chaining, signing and the store's inserts run
beside the checking interpreter instead of taking turns with it for the GIL.

The log's writer thread sends batches (length-prefixed JSON frames) down the child's stdin;
the child builds the records, writes them exactly as the in-process writer does (store, else
spool; the spool replayed, oldest first, before anything newer) and answers each batch with an
acknowledgement naming the last ticket it stored. A batch is forgotten by the parent only once
acknowledged: when the child dies, the unacknowledged batches are written in-process with the
replay path (records already stored are skipped), so nothing is lost or written twice.

A log can move its writer here only when the child can rebuild everything it needs from plain
values: a database named by URL (a file SQLite database or PostgreSQL), an HMAC signer (or
none) and anchor files without a sink hook.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import select
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from magistrate.audit.record import payload_from_fields, unbuilt

if TYPE_CHECKING:
    from magistrate.audit.log import AuditLog

_HEADER = struct.Struct("<I")
MAX_FRAME = 256 * 1024 * 1024  # a frame claiming more is garbage: the channel is broken


def spec_for(log: AuditLog) -> dict[str, Any] | None:
    """What a child needs to write as this log does; None when it cannot be rebuilt there."""
    from magistrate.audit.signing import HmacSigner

    db = log.db
    module = type(db).__module__
    if module == "magistrate.db.sqlite":
        if getattr(db, "in_memory", True):
            return None  # a memory database lives in this process only
        store: dict[str, Any] = {"url": db.url, "durable": bool(getattr(db, "durable", False))}
    elif module == "magistrate.db.postgres":
        store = {"url": db.url, "durable": True}
    else:
        return None
    signers = ([log.signer] if log.signer is not None else []) + list(log.previous_signers)
    if not all(isinstance(s, HmacSigner) for s in signers):
        return None  # a KMS hook signs in this process
    anchors = log.anchors
    if anchors is not None and (anchors.sink is not None or anchors.signer is not log.signer):
        return None
    return {
        **store,
        "chain_id": log.chain_id,
        "spool": str(log.spool.path),
        "key": log.signer.key.hex() if isinstance(log.signer, HmacSigner) else None,
        "previous": [s.key.hex() for s in log.previous_signers if isinstance(s, HmacSigner)],
        "anchors": (
            {"dir": str(anchors.directory), "store": anchors.store} if anchors is not None else None
        ),
    }


def encode_item(kind: str, value: Any) -> bytes:
    """One element of a frame's list: [kind, value] as JSON (values orjson refuses go
    through `json`)."""
    try:
        return orjson.dumps((kind, value), default=str, option=orjson.OPT_NON_STR_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps((kind, value), default=str).encode()


def encode_frame(last_ticket: int, items: list[bytes]) -> bytes:
    """One batch as a frame body: its encoded items joined (no Python object per value)."""
    return b'{"t":%d,"i":[%b]}' % (last_ticket, b",".join(items))


def decode_batch(frame: bytes) -> tuple[int, list[dict[str, Any]]]:
    """A frame body as (last ticket, payloads in order); approval rows as {"approval": row}."""
    try:
        body = orjson.loads(frame)
    except orjson.JSONDecodeError:  # written by the `json` fallback (big integers…)
        body = json.loads(frame)
    payloads: list[dict[str, Any]] = []
    for kind, value in body["i"]:
        if kind == "v":
            try:
                payloads.append(payload_from_fields(value))
            except Exception as exc:  # never lose the fact that a decision was made
                payloads.append(unbuilt(value, exc))
        elif kind == "a":
            payloads.append({"approval": value})
        else:
            payloads.append(value)
    return int(body["t"]), payloads


class FrameReader:
    """Length-prefixed frames from a file descriptor (raw reads: `select` sees all input)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buf = bytearray()
        self.eof = False

    def next(self, timeout: float | None) -> bytes | None:
        """The next whole frame; None on timeout or end of input (`eof` says which)."""
        while True:
            if len(self.buf) >= _HEADER.size:
                (size,) = _HEADER.unpack_from(self.buf)
                if size > MAX_FRAME:
                    raise OSError(f"audit writer channel: frame of {size} bytes")
                if len(self.buf) >= _HEADER.size + size:
                    frame = bytes(self.buf[_HEADER.size : _HEADER.size + size])
                    del self.buf[: _HEADER.size + size]
                    return frame
            if self.eof:
                return None
            if timeout is not None and not select.select([self.fd], [], [], timeout)[0]:
                return None
            chunk = os.read(self.fd, 1 << 20)
            if not chunk:
                self.eof = True
            self.buf += chunk


def _send(fd: int, body: bytes) -> None:
    data = _HEADER.pack(len(body)) + body
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class ProcessWriter:
    """The parent's end: starts the child, sends batches, hands acknowledgements to `on_ack`
    (on its reader thread; `{"eof": true}` when the child has gone)."""

    def __init__(self, spec: dict[str, Any], on_ack: Callable[[dict[str, Any]], None]) -> None:
        env = dict(os.environ)
        # The child imports this very package, wherever it was imported from here.
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from magistrate.audit.writer_proc import main; main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            close_fds=True,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in = self.proc.stdin.fileno()
        self._reader = FrameReader(self.proc.stdout.fileno())
        self._on_ack = on_ack
        _send(self._in, orjson.dumps(spec))
        self._thread = threading.Thread(
            target=self._read, name="magistrate-audit-acks", daemon=True
        )
        self._thread.start()

    def send(self, body: bytes) -> None:
        """Send one batch; OSError when the child is gone."""
        _send(self._in, body)

    def _read(self) -> None:
        try:
            while (frame := self._reader.next(None)) is not None:
                self._on_ack(orjson.loads(frame))
        except (OSError, ValueError):
            pass
        self._on_ack({"eof": True})

    def close(self, timeout: float = 30.0) -> None:
        """End the input (the child writes what it has, acknowledges, exits) and wait."""
        assert self.proc.stdin is not None
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._thread.join(timeout)


# ---------------------------------------------------------------------- the child
def _child_log(spec: dict[str, Any]) -> AuditLog:
    from magistrate.audit.anchor import Anchors
    from magistrate.audit.log import AuditLog
    from magistrate.audit.signing import HmacSigner
    from magistrate.db import open_database

    signer = HmacSigner(bytes.fromhex(spec["key"])) if spec["key"] else None
    previous = [HmacSigner(bytes.fromhex(k)) for k in spec["previous"]]
    anchors = None
    if spec["anchors"] is not None:
        a = spec["anchors"]
        anchors = Anchors(Path(a["dir"]), a["store"], signer, None, previous)
    db = open_database(spec["url"], durable=spec["durable"])
    db.writes_alone = True  # no other thread here wants the GIL
    log = AuditLog(
        db,
        chain_id=spec["chain_id"],
        signer=signer,
        anchors=anchors,
        previous_signers=previous,
        spool_dir=Path(spec["spool"]).parent,
    )
    if log.spool.path != Path(spec["spool"]):
        raise ValueError(f"spool {log.spool.path} is not the parent's {spec['spool']}")
    return log


def _write_until_taken(log: AuditLog, payloads: list[dict[str, Any]], parent: int) -> None:
    """Store or spool, retrying while neither takes them (as the thread writer does); gives
    up only when the parent is gone and ten more tries failed."""
    tries = 0
    while True:
        try:
            log.write_batch(payloads)
            return
        except Exception as exc:
            log.errors += 1
            log.last_error = f"{type(exc).__name__}: {exc}"
            tries += os.getppid() != parent
            if tries > 10:
                raise
            time.sleep(0.5)


def main() -> None:
    """The child: read the spec, then batches until the input ends; acknowledge each."""
    out = os.dup(1)
    os.dup2(2, 1)  # stray prints go to stderr, never into the acknowledgement channel
    parent = os.getppid()
    reader = FrameReader(sys.stdin.fileno())
    first = reader.next(None)
    if first is None:
        return
    log = _child_log(orjson.loads(first))
    # Each batch makes thousands of short-lived containers and no cycles to speak of: the
    # collector's passes over them were a fifth of this process's time.
    gc.freeze()
    gc.set_threshold(200_000, 50, 100)
    sent = {"w": 0, "s": 0, "e": 0, "c": 0}
    last_retry = time.monotonic()
    try:
        while True:
            frame = reader.next(1.0)
            if frame is None:
                if reader.eof:
                    break
                if len(log.spool) and time.monotonic() - last_retry > 1.0:
                    last_retry = time.monotonic()  # the store may be back: empty the spool
                    log.replay_spool()
                continue
            ticket, payloads = decode_batch(frame)
            _write_until_taken(log, payloads, parent)
            now = {
                "w": log.written,
                "s": log.spooled,
                "e": log.errors,
                "c": len(log.anchor_conflicts),
            }
            ack: dict[str, Any] = {"t": ticket, **{k: now[k] - sent[k] for k in now}}
            ack["le"] = log.last_error
            ack["ac"] = log.anchor_conflicts[sent["c"] :]
            sent = now
            _send(out, orjson.dumps(ack))
    finally:
        log.close()
        log.db.close()
