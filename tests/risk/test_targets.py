"""Where a target lies (risk/targets.py): the organization's own, surely outside, untrusted."""

from __future__ import annotations

import pytest

from magistrate.constitution.model import Organization
from magistrate.risk.targets import TargetScope, host_of

ORG = Organization(
    domains=["acme.com"],
    personal_domains=["gmail.com"],
    untrusted_domains=["pastebin.com"],
    untrusted_words=["ngrok"],
)


@pytest.mark.parametrize(
    ("target", "host"),
    [
        ("https://User@API.Acme.com:8443/x?y", "api.acme.com"),
        ("mailto:jane@Gmail.com", "gmail.com"),
        ("10.0.0.7", "10.0.0.7"),
        ("example.org.", "example.org"),
        ("", ""),
        # An address in a URL's path or query is not its host: before, this URL to anywhere
        # read as acme.com's own, and what it carried out was not exfiltration.
        ("https://drop.example.net/c?to=ops@acme.com", "drop.example.net"),
        ("https://t.example.app/l?db=postgres://u:p@db.acme.com/app", "t.example.app"),
        ("https://u:p@x@git.acme.com/r", "git.acme.com"),
        ("http://[::1]:8080/x", "[::1]"),
    ],
)
def test_host_of(target: str, host: str) -> None:
    assert host_of(target) == host


def test_a_url_is_not_made_internal_by_an_address_in_its_query() -> None:
    scope = TargetScope(ORG)
    assert not scope.internal("https://drop.example.net/c?to=ops@acme.com")
    assert scope.internal("https://ops.acme.com/c?to=someone@gmail.com")


@pytest.mark.parametrize(
    ("target", "internal", "external", "untrusted"),
    [
        ("https://build.acme.com/hook", True, False, False),
        ("http://localhost:8000", True, False, False),
        ("http://intranet/wiki", True, False, False),  # a bare name is on the local network
        ("http://10.1.2.3/x", True, False, False),
        ("http://172.20.0.1/x", True, False, False),
        ("http://8.8.8.8/x", False, True, False),
        ("jane@gmail.com", False, True, False),
        ("https://pastebin.com/raw/x", False, True, True),
        ("https://abc123.ngrok-free.app", False, True, True),
        ("https://example.org/x", False, False, False),  # unknown: outside only when told so
        ("https://acme.com.evil.org/x", False, False, False),
    ],
)
def test_scope(target: str, internal: bool, external: bool, untrusted: bool) -> None:
    scope = TargetScope(ORG)
    assert scope.internal(target) is internal
    assert scope.external(target) is external
    assert scope.untrusted(target) is untrusted


def test_unknown_hosts_are_external_once_the_domains_are_complete() -> None:
    scope = TargetScope(ORG.model_copy(update={"unknown_is_external": True}))
    assert scope.external("https://example.org/x")
    assert not scope.external("https://build.acme.com/x")
    assert not scope.external("http://intranet/wiki")
