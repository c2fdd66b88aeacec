"""The spool: records that could not reach the store wait here, in order, on local disk."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any


class Spool:
    """An append-only JSONL file of unchained payloads; fsynced on every append."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._count = self._read_count()

    def _read_count(self) -> int:
        try:
            with self.path.open("rb") as f:
                return sum(1 for line in f if line.strip())
        except FileNotFoundError:
            return 0

    def reload(self) -> None:
        """Count the file again (another process appended to it or emptied it)."""
        with self._lock:
            self._count = self._read_count()

    def __len__(self) -> int:
        return self._count

    def append(self, payloads: list[dict[str, Any]]) -> None:
        """Add payloads durably (the caller may rely on them surviving a crash)."""
        if not payloads:
            return
        data = "".join(json.dumps(p) + "\n" for p in payloads)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            self._count += len(payloads)

    def read(self) -> list[dict[str, Any]]:
        """Every spooled payload, oldest first (a torn last line from a crash is skipped)."""
        with self._lock:
            try:
                lines = self.path.read_text(encoding="utf-8").splitlines()
            except FileNotFoundError:
                return []
        out: list[dict[str, Any]] = []
        for line in lines:
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return out

    def clear(self, count: int) -> None:
        """Drop the first `count` payloads (they reached the store)."""
        with self._lock:
            try:
                lines = self.path.read_text(encoding="utf-8").splitlines(keepends=True)
            except FileNotFoundError:
                self._count = 0
                return
            rest = [line for line in lines if line.strip()][count:]
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text("".join(rest), encoding="utf-8")
            os.replace(tmp, self.path)
            self._count = len(rest)
