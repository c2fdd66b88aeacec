"""Cloud metadata addresses, however spelled: `0xa9fea9fe`, `2852039166`, `0251.0376.0251.0376`,
`[fd00:ec2::254]`, `[::ffff:169.254.169.254]` all reach `169.254.169.254`.

The instance metadata service hands out the machine's cloud credentials; a URL is rewritten to
the canonical address before it is classified, so one path class pattern covers every spelling.
Only hosts that turn out to be metadata addresses are rewritten: other URLs stay as written.
"""

from __future__ import annotations

import ipaddress
import re

# Canonical address of each metadata service, by every address that reaches it.
_ALIASES = {
    "169.254.169.254": "169.254.169.254",  # AWS, Azure, GCP, OCI, DigitalOcean, OpenStack
    "fd00:ec2::254": "169.254.169.254",  # AWS IMDS over IPv6
    "169.254.170.2": "169.254.170.2",  # ECS task credentials
    "fd00:ec2::23": "169.254.169.123",  # AWS time service (no credentials; kept distinct)
    "100.100.100.200": "169.254.169.254",  # Alibaba Cloud
    "metadata.google.internal": "metadata.google.internal",
    "metadata.goog": "metadata.google.internal",
    "metadata": "metadata.google.internal",  # GCE's short name
}
_URL = re.compile(
    r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)?(?:[^/@\s]*@)?"
    r"(?P<host>\[[^\]/]*\]|[^/:?#\[\]\s]+)(?P<port>:\d*)?(?P<rest>[/?#].*)?$",
    re.S,
)
_PART = re.compile(r"^(?:0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*)$")


def _part(p: str) -> int:
    if p[:2].lower() == "0x":
        return int(p[2:] or "0", 16)
    return int(p, 8) if p[0] == "0" else int(p)


def _ipv4(host: str) -> str | None:
    """inet_aton's reading of a host: 1 to 4 parts, each decimal, 0x hex or 0 octal."""
    parts = host.rstrip(".").split(".")
    if not 1 <= len(parts) <= 4 or not all(_PART.match(p) for p in parts):
        return None
    values = [_part(p) for p in parts]
    last_bits = 8 * (5 - len(values))
    if any(v > 255 for v in values[:-1]) or values[-1] >= 1 << last_bits:
        return None
    number = 0
    for v in values[:-1]:
        number = number << 8 | v
    number = number << last_bits | values[-1]
    return str(ipaddress.IPv4Address(number))


def canonical_host(host: str) -> str | None:
    """The metadata service a host names (`169.254.169.254`…), or None when it names none."""
    h = host.strip().lower().rstrip(".")
    if h.startswith("[") and h.endswith("]"):
        h = h[1:-1].split("%", 1)[0]  # a zone index (`%eth0`) does not change the address
        try:
            addr = ipaddress.IPv6Address(h)
        except ValueError:
            return None
        mapped = addr.ipv4_mapped
        h = str(mapped) if mapped is not None else str(addr)
    elif h and h[0].isdigit():
        h = _ipv4(h) or h
    return _ALIASES.get(h)


def canonical_url(url: str) -> str:
    """The URL with a metadata host spelled canonically; any other URL unchanged."""
    if len(url) > 4096 or (":" not in url and "." not in url):
        return url  # no scheme and a host without a dot: a relative path (see below)
    m = _URL.match(url.strip())
    if m is None:
        return url
    host, scheme = m.group("host"), m.group("scheme") or ""
    if not scheme and "." not in host:
        return url  # `metadata/x` without a scheme is a relative path, not GCE's short name
    canonical = canonical_host(host)
    if canonical is None or (canonical == host and not m.group("port")):
        return url
    # The port is dropped: the service answers on its one port, and rules name the bare host.
    return f"{scheme}{canonical}{m.group('rest') or ''}"


def is_metadata_url(url: str) -> bool:
    """Whether a URL (scheme optional) is addressed to a cloud metadata service."""
    m = _URL.match(url.strip()[:4096])
    return m is not None and canonical_host(m.group("host")) is not None


# A request to this machine (`http://localhost:8080/…`, `127.0.0.1`, `[::1]`).
_LOOPBACK = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*://)?(?:[^/@\s]*@)?(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?=[:/?#]|$)",
    re.I,
)


def is_loopback(target: str) -> bool:
    """Whether a URL or host is this machine's own (localhost, 127.0.0.0/8, ::1)."""
    return _LOOPBACK.match(target) is not None
