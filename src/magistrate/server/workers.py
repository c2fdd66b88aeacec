"""Which worker this is: a slot claimed with a file lock, so every worker process on a host has
its own audit chain, and a restarted worker continues (and replays the spool of) its slot's."""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path
from typing import IO

MAX_SLOTS = 1024


def host_name() -> str:
    """This host's name, safe for chain ids and file names."""
    name = socket.gethostname() or "host"
    return "".join(c if c.isalnum() or c in "-." else "-" for c in name)[:63] or "host"


class WorkerSlot:
    """An exclusive slot `<host>-<n>`, held (by an open, locked file) until released or until
    the process exits; two processes never hold the same slot at once."""

    def __init__(self, spool_dir: Path) -> None:
        spool_dir.mkdir(parents=True, exist_ok=True)
        host = host_name()
        self._file: IO[str] | None = None
        for n in range(MAX_SLOTS):
            path = spool_dir / f"worker-{host}-{n}.lock"
            handle = open(path, "a+")  # noqa: SIM115 - held open: the lock lives with it
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                continue
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            self._file = handle
            self.id = f"{host}-{n}"
            return
        raise RuntimeError(f"all {MAX_SLOTS} worker slots in {spool_dir} are taken")

    def release(self) -> None:
        """Give the slot back."""
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None
