"""Where a URL, host or address lies: inside the organization, surely outside, or untrusted.

Read from the constitution's `organization` (its domains, personal-mail and untrusted
domains, words that mark a drop site), so that a send to the company's own host and one to a
paste site are told apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from magistrate.constitution.model import Organization

__all__ = ["TargetScope", "host_of"]

_HOST = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?(?:[^@/\s]*@)?([^/:\s?#]+)", re.I)
_EMAIL_DOMAIN = re.compile(r"@([\w.-]+\.[a-z]{2,})\b", re.I)
# A URL's authority: user information (to its last `@`) and then the host.
_URL_HOST = re.compile(
    r"^\s*[a-z][a-z0-9+.-]*://(?:[^/?#\s]*@)?(\[[0-9a-f:.]+\]|[^/?#:@\s\[\]]+)", re.I
)
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_PRIVATE_NETS = ("10.", "192.168.", "127.", "169.254.", "0.", *(f"172.{n}." for n in range(16, 32)))


class TargetScope:
    """The organization's bounds, as questions about one target. Immutable once built."""

    def __init__(self, organization: Organization) -> None:
        self.organization = organization
        self.org_domains = tuple(d.lower() for d in organization.domains)
        words = organization.untrusted_words
        self._untrusted_words = (
            re.compile(r"(^|[.-])(" + "|".join(map(re.escape, words)) + r")([.-]|\d|$)")
            if words
            else None
        )

    def internal(self, target: str) -> bool:
        """True when a URL, host or address is in the organization's own domains or network."""
        host = host_of(target)
        if not host or host == "localhost" or "." not in host:
            return True
        if _IPV4.match(host):
            return host.startswith(_PRIVATE_NETS)
        return _under(host, self.org_domains)

    def untrusted(self, target: str) -> bool:
        """True when a URL or address is a paste site, request bin, tunnel or known drop."""
        host = host_of(target)
        if not host:
            return False
        return _under(host, self.organization.untrusted_domains) or bool(
            self._untrusted_words and self._untrusted_words.search(host)
        )

    def external(self, target: str) -> bool:
        """True when a URL, host or address is surely outside the organization."""
        host = host_of(target)
        if not host or host == "localhost":
            return False
        if _IPV4.match(host):
            return not host.startswith(_PRIVATE_NETS)
        org = self.organization
        if _under(host, self.org_domains):
            return False
        if _under(host, org.personal_domains) or _under(host, org.untrusted_domains):
            return True
        if self._untrusted_words and self._untrusted_words.search(host):
            return True
        return org.unknown_is_external and "." in host


def host_of(target: str) -> str:
    """The host of a URL, address or host name, lower case ("" when there is none)."""
    if url := _URL_HOST.match(target):
        # A URL's host is its authority's, never an address in its path or query: with
        # `?to=a@corp.example` a URL to anywhere read as the organization's own.
        return url.group(1).lower().rstrip(".")
    m = _EMAIL_DOMAIN.search(target)
    hm = _HOST.match(target)
    return (m.group(1) if m else hm.group(1) if hm else "").lower().rstrip(".")


def _under(host: str, domains: Iterable[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)
