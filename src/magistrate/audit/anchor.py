"""Chain anchors: each chain's head, checkpointed outside the database as batches commit.

Someone who can write to the database can delete the newest records and rewind the head row,
or restore an older copy: the chain that remains is internally consistent. The anchor — a
small signed file per (database, chain), kept apart from the database — remembers how far the
chain reached and the hash it had there, so `audit verify` sees the database fall short of it.

An anchor only moves forward. When a writer finds the database behind its anchor (rewound or
restored), it keeps the old checkpoint as a conflict file before anchoring the new head, so
the evidence survives for `audit verify`. An optional sink (`MAGISTRATE_AUDIT_ANCHOR_SINK=
module:callable`) receives every checkpoint too, to ship it off the host.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from magistrate.audit.signing import Signer, find_signer

try:  # POSIX: processes writing the same chain take turns on its anchor
    import fcntl
except ImportError:  # pragma: no cover - Windows: one writer per chain
    fcntl = None  # type: ignore[assignment]

AnchorSink = Callable[[dict[str, Any]], None]


class AnchorError(Exception):
    """An anchor file is unreadable or its signature does not match."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """How far a chain reached: its last sequence number and hash, signed."""

    store: str  # the database's short id (see signing.store_id)
    chain: str
    seq: int
    hash: str
    count: int
    time: float
    signer: str = ""  # the signer's tag; empty: unsigned
    sig: str = ""

    def signed_part(self) -> bytes:
        """The bytes the signature covers."""
        fields = self.to_dict()
        fields.pop("sig")
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {name: getattr(self, name) for name in _FIELDS}


_FIELDS = ("store", "chain", "seq", "hash", "count", "time", "signer", "sig")


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "main"


class Anchors:
    """The anchor files of one database's chains, in a directory apart from the database.

    A chain's file holds two fixed-size slots, written in turn with one `pwrite` each on a file
    kept open: a checkpoint costs microseconds (no new file and rename per batch), and a write
    torn by a crash leaves the other slot whole. Readers take the slot with the higher seq.
    """

    def __init__(
        self,
        directory: Path,
        store: str,
        signer: Signer | None,
        sink: AnchorSink | None = None,
        previous: Sequence[Signer] = (),
    ) -> None:
        self.directory = Path(directory)
        self.store = store
        self.signer = signer
        self.previous = tuple(previous)  # keys before a rotation: their checkpoints still verify
        self.sink = sink
        self.sink_errors = 0
        self._fds: dict[str, int] = {}
        self._lock = threading.Lock()

    def path(self, chain: str) -> Path:
        """The anchor file of a chain."""
        return self.directory / f"{self.store}.{_safe(chain)}.anchor"

    def read(self, chain: str) -> Checkpoint | None:
        """A chain's checkpoint (None when it has none); AnchorError when it is damaged."""
        return self._load(self.path(chain))

    def _load(self, path: Path) -> Checkpoint | None:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise AnchorError(f"anchor {path} is unreadable: {exc}") from exc
        return _decode(data, path)[0]

    def check(self, point: Checkpoint) -> str | None:
        """Why a checkpoint cannot be trusted, or None when its signature holds."""
        if not point.signer:
            return None if self.signer is None else "the anchor is unsigned"
        signers = ([self.signer] if self.signer is not None else []) + list(self.previous)
        signer = find_signer(signers, point.signer)
        if signer is None:
            return f"the anchor is signed by {point.signer}, a key not available here"
        if not hmac.compare_digest(signer.mac(point.signed_part()), point.sig):
            return "the anchor's signature does not match (the file was altered)"
        return None

    def chains(self) -> dict[str, Checkpoint]:
        """Every anchored chain of this database (damaged files raise AnchorError)."""
        out: dict[str, Checkpoint] = {}
        for path in sorted(self.directory.glob(f"{self.store}.*.anchor")):
            point = self._load(path)
            if point is not None:
                out[point.chain] = point
        return out

    def conflicts(self, chain: str) -> list[Checkpoint]:
        """Checkpoints a writer found the database behind (kept as evidence), oldest first."""
        found = []
        for path in sorted(self.directory.glob(f"{self.store}.{_safe(chain)}.conflict-*.json")):
            with contextlib.suppress(AnchorError):
                point = self._load(path)
                if point is not None and point.chain == chain:
                    found.append(point)
        return found

    def advance(self, chain: str, first_seq: int, prev: str, last_seq: int, last_hash: str) -> str:
        """Anchor a committed batch (records first_seq..last_seq, linked to `prev`). Returns ""
        or, when the database had fallen behind the anchor, a description of that."""
        with self.hold(chain) as anchor:
            return anchor(first_seq, prev, last_seq, last_hash)

    @contextlib.contextmanager
    def hold(self, chain: str) -> Iterator[Callable[[int, str, int, str], str]]:
        """Hold the chain's anchor across a database write, and anchor what it committed.

        Writers of one chain in several processes (CLI commands, hooks) then commit and anchor
        in the same order: without it, a batch committed first but anchored last would look
        like a rewind. Yields `advance(first_seq, prev, last_seq, last_hash) -> problem`; the
        sink hears of the checkpoints once the lock is released."""
        published: list[Checkpoint] = []
        with self._locked(chain) as fd:

            def advance(first_seq: int, prev: str, last_seq: int, last_hash: str) -> str:
                problem, point = self._advance_locked(
                    fd, chain, first_seq, prev, last_seq, last_hash
                )
                published.append(point)
                return problem

            yield advance
        if self.sink is not None:
            for point in published:
                try:
                    self.sink(point.to_dict())
                except Exception:  # the local anchor holds; a sink outage must not stop the log
                    self.sink_errors += 1

    def _advance_locked(
        self, fd: int, chain: str, first_seq: int, prev: str, last_seq: int, last_hash: str
    ) -> tuple[str, Checkpoint]:
        problem = ""
        try:
            old, slot = _decode(os.pread(fd, 2 * SLOT, 0), self.path(chain))
        except AnchorError:
            old, slot = None, 1  # damaged: replaced (verify reports it until then)
        # Past the anchor: another writer of this chain moved it on (its records are signed
        # and verified like ours). At or behind it, without the anchored link: rewound.
        if old is not None and (
            first_seq - 1 < old.seq or (first_seq - 1 == old.seq and prev != old.hash)
        ):
            problem = self._keep_conflict(chain, old, first_seq, prev)
        point = self._sign(
            Checkpoint(self.store, chain, last_seq, last_hash, last_seq, time.time())
        )
        data = json.dumps(point.to_dict(), sort_keys=True).encode()
        if len(data) >= SLOT:
            raise AnchorError(f"chain {chain!r}: the checkpoint does not fit a slot")
        # The other slot than the newest: a torn write never damages the last good one.
        os.pwrite(fd, data.ljust(SLOT - 1) + b"\n", (1 - slot) * SLOT)
        return problem, point

    def _keep_conflict(self, chain: str, old: Checkpoint, first_seq: int, prev: str) -> str:
        path = self.directory / f"{self.store}.{_safe(chain)}.conflict-{time.time_ns()}.json"
        path.write_text(json.dumps(old.to_dict(), sort_keys=True), encoding="utf-8")
        return (
            f"chain {chain}: the database resumed at seq {first_seq - 1} (hash {prev[:12]}…) "
            f"behind its anchor at seq {old.seq} (hash {old.hash[:12]}…): records were deleted "
            f"or an older copy restored; the old anchor is kept in {path.name}"
        )

    def _sign(self, point: Checkpoint) -> Checkpoint:
        if self.signer is None:
            return point
        unsigned = Checkpoint(**{**point.to_dict(), "signer": self.signer.tag, "sig": ""})
        return Checkpoint(**{**unsigned.to_dict(), "sig": self.signer.mac(unsigned.signed_part())})

    @contextlib.contextmanager
    def _locked(self, chain: str) -> Iterator[int]:
        """The chain's open anchor file, held exclusively (threads here, processes by flock)."""
        with self._lock:
            fd = self._fds.get(chain)
            if fd is None:
                self.directory.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path(chain), os.O_RDWR | os.O_CREAT, 0o600)
                self._fds[chain] = fd
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield fd
            finally:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Close the anchor files this object holds open (reopened when next used)."""
        with self._lock:
            for fd in self._fds.values():
                os.close(fd)
            self._fds.clear()


SLOT = 1024  # bytes per checkpoint slot; two slots per file


def _decode(data: bytes, path: Path) -> tuple[Checkpoint | None, int]:
    """The newest whole checkpoint in an anchor file, and its slot (a plain JSON file, as a
    conflict file is, reads as one slot). AnchorError when nothing in it is whole."""
    best: Checkpoint | None = None
    index, damaged = 0, False
    for i in range(0, len(data), SLOT):
        chunk = data[i : i + SLOT].strip(b" \t\r\n\0")
        if not chunk:
            continue
        try:
            point = Checkpoint(**json.loads(chunk))
        except (ValueError, TypeError):
            damaged = True
            continue
        if best is None or point.seq > best.seq:
            best, index = point, i // SLOT
    if best is None and damaged:
        raise AnchorError(f"anchor {path} is unreadable")
    return best, index
