"""Network tools that save what they fetch to disk: curl -o/-O, wget, aria2c, axel, fetch,
HTTPie --download, Invoke-WebRequest -OutFile, Start-BitsTransfer, certutil -urlcache,
and bitsadmin /transfer. (scp and rsync from another machine are copies, not downloads:
fetching a log from staging is everyday work.)

Each saved file is a `write` effect on its path with the extra class `download`, so a rule
matches "a download written to disk" (`effect: {op: [write], classes: [download]}`) whatever
program did it, and the file's own classes (`temp`, `shell-init`…) still apply.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from magistrate.analysis.effects import Effect
from magistrate.analysis.families.base import Classify, Example, Family
from magistrate.analysis.invocation import Invocation, short_option_value

_URL = re.compile(r"^(?:https?|ftp|ftps|tftp|sftp)://", re.I)
_STDOUT = frozenset({"-", "/dev/null", "/dev/stdout", "nul", "$null", "/dev/stderr"})
_FOLDER_OPTIONS = {
    "wget": ("--directory-prefix",),
    "wget2": ("--directory-prefix",),
    "aria2c": ("-d", "--dir"),
    "axel": ("--output",),
}
_DEFAULT_SAVERS = frozenset({"wget", "wget2", "aria2c", "axel", "lwp-download", "fetch"})


def _url_name(url: str) -> str:
    """The file a remote-name download writes: the URL's last path segment."""
    path = url.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    tail = path.rsplit("/", 1)[-1] if "/" in path.split("://", 1)[-1] else ""
    return tail or "index.html"


def _long_value(argv: list[str], i: int, names: tuple[str, ...]) -> str | None:
    for name in names:
        # PowerShell's parameters are case-insensitive; `-o` and `-O` are two curl options.
        low = argv[i] if len(name) <= 2 else argv[i].lower()
        if low == name:
            return argv[i + 1] if i + 1 < len(argv) else None
        if low.startswith(name + "=") or (name.startswith("-") and low.startswith(name + ":")):
            return argv[i].split("=", 1)[-1].split(":", 1)[-1]
    return None


def _curl_like(inv: Invocation, urls: list[str]) -> Iterator[str]:
    """Files curl, HTTPie and xh write: -o F, --output F, -O (remote name), --download."""
    argv = inv.argv
    remote_name = False
    for i, arg in enumerate(argv):
        value = _long_value(argv, i, ("--output", "--output-document", "-o"))
        if value is None and inv.name in ("curl", "curlie"):
            value = short_option_value(argv, i, "o")
        if value is not None:
            yield value
        if arg in ("--remote-name", "--remote-name-all", "-O", "--download", "-d") or (
            inv.name == "curl" and len(arg) > 1 and arg[0] == "-" and arg[1] != "-" and "O" in arg
        ):
            remote_name = remote_name or arg != "-d" or inv.name != "curl"
    if remote_name and not any(_long_value(argv, i, ("--output", "-o")) for i in range(len(argv))):
        for u in urls:
            yield _url_name(u)


def _wget_like(inv: Invocation, urls: list[str]) -> Iterator[str]:
    """Files wget and other default savers write, unless sent to stdout or only checked."""
    argv = inv.argv
    if inv.flags & {"spider", "help", "h", "version", "V", "S"} and not urls:
        return
    if "spider" in inv.flags:
        return
    named: str | None = None
    folder = ""
    for i, _arg in enumerate(argv):
        value = _long_value(argv, i, ("--output-document", "--out", "--output"))
        if value is None:
            value = short_option_value(argv, i, "O" if inv.name.startswith("wget") else "o")
        if value is not None:
            named = value
        folder = _long_value(argv, i, _FOLDER_OPTIONS.get(inv.name, ())) or folder
        if inv.name.startswith("wget"):
            folder = short_option_value(argv, i, "P") or folder
    if named is not None:
        yield named
        return
    for u in urls:
        yield f"{folder.rstrip('/')}/{_url_name(u)}" if folder else _url_name(u)


def _powershell(inv: Invocation, urls: list[str]) -> Iterator[str]:
    argv = inv.argv
    for i, _arg in enumerate(argv):
        value = _long_value(argv, i, ("-outfile", "-outf", "-destination"))
        if value is not None:
            yield value
    if inv.name == "start-bitstransfer":
        plain = [a for a in inv.operands if not a.startswith("-")]
        if len(plain) >= 2 and _URL.match(plain[0]):
            yield plain[1]


def _windows_tools(inv: Invocation, urls: list[str]) -> Iterator[str]:
    """certutil -urlcache -f URL FILE, bitsadmin /transfer NAME URL FILE."""
    low = [a.lower() for a in inv.argv]
    if inv.name == "certutil" and "-urlcache" not in low:
        return
    if inv.name == "bitsadmin" and not {"/transfer", "/addfile", "/download"} & set(low):
        return
    files = [o for o in inv.operands if not _URL.match(o) and not o.startswith(("-", "/"))]
    if inv.name == "bitsadmin":
        files = [o for o in inv.operands[2:] if not _URL.match(o) and not o.startswith("/")]
        files = files or [o for o in inv.operands if re.match(r"^[a-z]:", o, re.I)]
    if urls:
        yield files[-1] if files else _url_name(urls[-1])


_HANDLERS = {
    **dict.fromkeys(("curl", "curlie", "http", "https", "xh", "httpie"), _curl_like),
    **dict.fromkeys(_DEFAULT_SAVERS, _wget_like),
    **dict.fromkeys(
        ("invoke-webrequest", "iwr", "invoke-restmethod", "irm", "start-bitstransfer"), _powershell
    ),
    **dict.fromkeys(("certutil", "bitsadmin"), _windows_tools),
}


def effects(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    """The files a network tool writes what it downloads to."""
    urls = [o for o in inv.operands if _URL.match(o)]
    urls += [a for a in inv.argv if _URL.match(a) and a not in urls]
    if not urls:
        return
    seen: set[str] = set()
    for target in _HANDLERS[inv.name](inv, urls):
        if not target or target.lower() in _STDOUT or target in seen:
            continue
        seen.add(target)
        classes = classify(target) | {"download"}
        yield Effect("write", target[:200], classes, inv.name, inv.privileged)


FAMILY: Family = Family(
    name="downloads",
    commands=frozenset(_HANDLERS),
    effects=effects,
    examples=(
        Example(
            "curl -o /tmp/x.tgz https://example.net/x.tgz", has=("write:download", "write:temp")
        ),
        Example("curl -LO https://example.net/tool.tar.gz", has=("write:download",)),
        Example("curl -fsSLo a.sh https://example.net/a.sh", has=("write:download",)),
        Example("curl -sSL https://example.net/a.sh --output a.sh", has=("write:download",)),
        Example("wget https://example.net/x.tgz", has=("write:download",)),
        Example("wget -q -P /tmp https://example.net/tool", has=("write:download", "write:temp")),
        Example("aria2c https://example.net/big.iso", has=("write:download",)),
        Example(
            "Invoke-WebRequest -Uri https://example.net/x.exe -OutFile x.exe",
            has=("write:download",),
        ),
        Example("iwr https://example.net/x.ps1 -OutFile $env:TEMP/x.ps1", has=("write:download",)),
        Example(
            "Start-BitsTransfer -Source https://example.net/x.exe -Destination C:/x.exe",
            has=("write:download",),
        ),
        Example(
            "certutil -urlcache -split -f https://example.net/x.exe x.exe", has=("write:download",)
        ),
        Example(
            "bitsadmin /transfer j /download https://example.net/x.exe C:\\x.exe",
            has=("write:download",),
        ),
        Example("http --download https://example.net/x.zip", has=("write:download",)),
        Example("curl -s https://api.github.com/repos/acme/app", lacks=("write:download",)),
        Example(
            "curl -s -o /dev/null -w '%{http_code}' https://example.net", lacks=("write:download",)
        ),
        Example("curl -X POST -d '{}' http://localhost:8080/api", lacks=("write:download",)),
        Example("wget -qO- https://example.net/status", lacks=("write:download",)),
        Example("wget -O - https://example.net/a | tar tz", lacks=("write:download",)),
        # Unpacked straight from the network: the download lands on disk all the same.
        Example("wget -O - https://example.net/a | tar xz", has=("write:download",)),
        Example("curl -fsSL https://example.net/x.zip | funzip > x.bin", has=("write:download",)),
        Example("wget --spider https://example.net", lacks=("write:download",)),
        Example("certutil -hashfile x.exe SHA256", lacks=("write:download",)),
    ),
)
