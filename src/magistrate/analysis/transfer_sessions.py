"""File-transfer sessions (sftp, ftp, lftp, tftp, smbclient) read as the commands they stand for.

A session takes its commands from a here-document, a here-string, a pipe or an option
(`lftp -c`, `smbclient -c`, `tftp -c`) and each one does what a plain command would:
`put ~/.ssh/id_rsa` sends a file to the host as `scp ~/.ssh/id_rsa host:` does, `get R L`
writes L as `scp host:R L` does, `rm R` deletes on the host as `ssh host rm R` does, and
`!cmd` runs cmd here. Translating them lets one judgement serve both spellings.
"""

from __future__ import annotations

import re
import shlex

__all__ = ["TRANSFER_CLIENTS", "session_lines"]

# Options that take a value, per client (the first other operand names the host).
_VALUED = {
    "sftp": frozenset("-b -B -c -D -F -i -J -l -o -P -R -s -S -X".split()),
    "ftp": frozenset("-P -s".split()),
    "lftp": frozenset("-c -e -f -p -u --user --password --env-password".split()),
    "tftp": frozenset("-c -m -R".split()),
    "smbclient": frozenset("-A -c -D -I -m -n -O -p -R -s -T -U -W -b -E -l".split()),
    "psftp": frozenset("-b -i -l -P -pw -hostkey".split()),
    "ncftp": frozenset("-u -p -P -j".split()),
}
TRANSFER_CLIENTS = frozenset(_VALUED)
# Options whose value is a command list for the session (not a file).
_INLINE = {"lftp": ("-c", "-e"), "smbclient": ("-c",), "tftp": ("-c",)}
_SENDS = frozenset({"put", "mput", "send", "append", "reput", "mreput"})
_FETCHES = frozenset({"get", "mget", "recv", "reget", "pget"})
_DELETES = {"rm": "rm", "mrm": "rm", "del": "rm", "delete": "rm", "mdelete": "rm",
            "rmdir": "rmdir", "deltree": "rm -r", "rmtree": "rm -r"}  # fmt: skip
_SPLIT = re.compile(r"[\n;]")
MAX_LINES = 32


def _host_and_inline(name: str, argv: list[str]) -> tuple[str | None, list[str]]:
    """The host a session opens (from its operand) and the commands given by option."""
    valued, inline = _VALUED[name], _INLINE.get(name, ())
    host: str | None = None
    commands: list[str] = []
    k = 0
    while k < len(argv):
        word = argv[k]
        if word in valued and k + 1 < len(argv):
            if word in inline:
                commands.append(argv[k + 1])
            k += 2
            continue
        if not word.startswith("-") and host is None:
            host = word
        k += 1
    return _bare_host(host) if host else None, commands


def _bare_host(spec: str) -> str:
    """`user@host:/dir`, `ftp://user@host/dir`, `//server/share`: the `user@host` part."""
    spec = re.sub(r"^[a-z]+://", "", spec)
    spec = spec.lstrip("/")
    return re.split(r"[:/]", spec, maxsplit=1)[0]


def _words(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError:
        return line.split()


def _one(verb: str, args: list[str], host: str) -> str | None:
    """The plain command one session command stands for, or None."""
    args = [a for a in args if not a.startswith("-")] if verb != "mirror" else args
    if verb in _SENDS and args:
        local = args if verb.startswith("m") else args[:1]
        return "scp -r " + " ".join(shlex.quote(a) for a in local) + f" {host}:"
    if verb == "mirror":  # lftp: `mirror -R LOCAL REMOTE` uploads, plain mirror downloads
        operands = [a for a in args if not a.startswith("-")]
        if ("-R" in args or "--reverse" in args) and operands:
            return f"scp -r {shlex.quote(operands[0])} {host}:"
        if len(operands) > 1:
            return f"scp -r {host}:{shlex.quote(operands[0])} {shlex.quote(operands[1])}"
        return None
    if verb in _FETCHES and len(args) > 1 and verb != "mget":
        return f"scp {host}:{shlex.quote(args[0])} {shlex.quote(args[1])}"
    if verb in _DELETES and args:
        return f"ssh {host} {_DELETES[verb]} " + " ".join(shlex.quote(a) for a in args)
    return None


def session_lines(name: str, argv: list[str], stdin: str | None) -> list[str]:
    """The plain commands a transfer session's commands stand for (at most MAX_LINES)."""
    if name == "tftp" and "-c" in argv:  # tftp-hpa: everything after -c is one command
        at = argv.index("-c")
        argv = [*argv[:at], "-c", " ".join(argv[at + 1 :])]
    host, inline = _host_and_inline(name, argv)
    text = "\n".join([*inline, stdin or ""])
    out: list[str] = []
    for raw in _SPLIT.split(text)[: MAX_LINES * 4]:
        line = raw.strip()
        if line.startswith("!"):  # a local shell command
            if line[1:].strip():
                out.append(line[1:].strip())
            continue
        words = _words(line)
        if not words:
            continue
        verb = words[0].lower()
        if verb in ("open", "connect") and len(words) > 1:
            host = _bare_host(words[-1])
            continue
        if verb in ("shell", "lcd"):
            continue
        if host and (plain := _one(verb, words[1:], host)):
            out.append(plain)
        if len(out) >= MAX_LINES:
            break
    return out
