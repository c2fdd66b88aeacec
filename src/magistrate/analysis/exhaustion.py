"""A disk filled on purpose: a writer that never stops sent into a file, or a file allocated
larger than any working file (`yes > f`, `cat /dev/zero > f`, `dd if=/dev/urandom of=f` with
no count, `fallocate -l 900G f`). Bounded ones (`yes | head -n 5 > f`, a 2G test file, a swap
file) are everyday."""

from __future__ import annotations

import itertools
import re

# A loop without end that starts processes each time round (`while ($true) { Start-Process
# pwsh }`, `while true; do x & done`), and a batch file that pipes itself into itself (`%0|%0`).
_ENDLESS_SPAWN = re.compile(
    r"while\s*\(\s*\$true\s*\)\s*\{[^}]{0,200}\b(start-process|saps|start-job|start)(?![\w-])"
    r"|%0\s*\^?\|\s*%0|\bwhile\s+(true|:)\s*;\s*do\s+[^;&]{1,120}&\s*done",
    re.I,
)
# Devices that give bytes for ever.
ENDLESS_DEVICES = frozenset({"/dev/zero", "/dev/urandom", "/dev/random", "/dev/full"})
# Larger than any test file, image or swap file an agent makes: 100 GiB.
HUGE_BYTES = 100 * 2**30
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmgtpe]?)(?:i?b)?$", re.I)
_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40, "p": 2**50, "e": 2**60}


def endless_spawn(src: str) -> re.Match[str] | None:
    """Where `src` starts processes without end, as a fork bomb does."""
    if "while" not in src.lower() and "%0" not in src:
        return None
    return _ENDLESS_SPAWN.search(src[:20_000])


def size_bytes(text: str) -> int | None:
    """`900G`, `1.5T`, `4096`, `10GiB` in bytes; None if it is not a size."""
    m = _SIZE.match(text.strip())
    if m is None:
        return None
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def endless_writer(argv: list[str], to_file: bool) -> str | None:
    """What fills a disk in `argv`, whose output goes to a file when `to_file`; else None."""
    if not argv:
        return None
    name = argv[0].rsplit("/", 1)[-1]
    args = argv[1:]
    if to_file and name == "yes":
        return "yes into a file"
    if to_file and name in ("cat", "pv") and ENDLESS_DEVICES & set(args):
        return f"{name} of an endless device into a file"
    if name == "dd":
        options = dict(a.split("=", 1) for a in args if "=" in a)
        writes_file = "of" in options and not options["of"].startswith("/dev/")
        if options.get("if") in ENDLESS_DEVICES and (writes_file or to_file):
            if "count" not in options:
                return "dd of an endless device, no count"
            block, count = size_bytes(options.get("bs", "512")), size_bytes(options["count"])
            if block is not None and count is not None and block * count >= HUGE_BYTES:
                return f"dd of {block * count // 2**30} GiB"
    if name == "fallocate":
        for option, value in itertools.pairwise(args):
            length = size_bytes(value) if option in ("-l", "--length") else None
            if length is not None and length >= HUGE_BYTES:
                return f"fallocate of {length // 2**30} GiB"
    return None
