"""Issue 12, item 4: identity comes from the credential, never from the action body. Each test
reproduces a finding: `deploy api to staging` was denied with `"role": "reader"` and allowed
with the role left out; a suspended `agent:x` was allowed as `agent:x` followed by a
zero-width space or a no-break space."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest

from magistrate import Action, Decision, Governor, InvalidAction, RiskDetector
from magistrate.config import Settings
from magistrate.db import open_database
from magistrate.keys import Keys
from magistrate.roles import RoleBinding, least_privileged
from magistrate.server import create_app
from tests.servers import ThreadServer, bearer

DEPLOY = {"kind": "deploy", "text": "deploy api to staging"}
ROLES = {"agent:reader-*": "reader", "agent:ship-*": "deployer", "agent:x": "reader"}


def _verdict(gov: Governor, principal: str, role: str | None = None) -> tuple[Decision, str]:
    v = gov.check({**DEPLOY, "principal": principal, "role": role})
    return v.decision, " ".join(v.reasons)


# ---------------------------------------------------------------------- roles
def test_leaving_the_role_out_does_not_escape_the_bound_role(detector: RiskDetector) -> None:
    gov = Governor(detector=detector, principal_roles=ROLES)
    # the reproduction: reader denied; the same action with the role left out was allowed
    assert _verdict(gov, "agent:x", "reader")[0] is Decision.DENY
    decision, why = _verdict(gov, "agent:x")
    assert decision is Decision.DENY and "role reader may not perform deploy" in why
    # a pattern binds each principal a gateway acts for
    assert _verdict(gov, "agent:reader-7")[0] is Decision.DENY
    assert _verdict(gov, "agent:ship-1")[0] is Decision.ALLOW
    assert gov.check({"kind": "shell", "text": "ls", "principal": "agent:x"}).decision == "allow"


def test_an_action_cannot_claim_a_more_privileged_role(detector: RiskDetector) -> None:
    gov = Governor(detector=detector, principal_roles=ROLES)
    for claimed in ("deployer", "admin", "executor"):
        decision, why = _verdict(gov, "agent:x", claimed)
        assert decision is Decision.DENY and "role reader" in why, claimed
    # a claim may narrow: a deployer that says it acts as a reader is held to it
    decision, why = _verdict(gov, "agent:ship-1", "reader")
    assert decision is Decision.DENY and "role reader" in why
    decision, why = _verdict(gov, "agent:ship-1", "janitor")
    assert decision is Decision.DENY and "unknown role 'janitor'" in why


def test_an_unregistered_principal_gets_the_least_privileged_role(detector: RiskDetector) -> None:
    gov = Governor(detector=detector, principal_roles=ROLES)
    assert least_privileged(gov.constitution.model.roles) == "reader"
    decision, why = _verdict(gov, "agent:nobody-registered")
    assert decision is Decision.DENY and "role reader" in why
    generous = Governor(detector=detector, principal_roles=ROLES, default_role="deployer")
    assert _verdict(generous, "agent:nobody-registered")[0] is Decision.ALLOW
    with pytest.raises(ValueError, match="'wizard' for 'agent:y' is not a role"):
        Governor(detector=detector, principal_roles={"agent:y": "wizard"})


def test_without_bindings_a_claimed_role_still_narrows(detector: RiskDetector) -> None:
    gov = Governor(detector=detector)
    assert not gov.justica.role_binding.in_use
    assert _verdict(gov, "agent:free", "reader")[0] is Decision.DENY
    assert _verdict(gov, "agent:free")[0] is Decision.ALLOW


def test_bindings_come_from_settings() -> None:
    s = Settings(principal_roles="agent:etl-*=reader, agent:ci=executor", default_role="reader")
    assert s.principal_roles == {"agent:etl-*": "reader", "agent:ci": "executor"}
    with pytest.raises(ValueError, match="NAME=ROLE"):
        Settings(principal_roles="agent:etl-*")
    binding = RoleBinding(Governor().constitution.model.roles, s.principal_roles, s.default_role)
    assert [binding.bound(p) for p in ("agent:etl-1", "agent:ci", "zed")] == [
        "reader",
        "executor",
        "reader",
    ]


# ---------------------------------------------------------------------- names
@pytest.mark.parametrize(
    "lookalike",
    ["agent:x\u200b", "agent:x\u00a0", "\u200bagent:x", "agent:\u2060x", "agent:x\u202e", " x"],
)
def test_a_suspended_principal_cannot_come_back_under_a_lookalike_name(
    detector: RiskDetector, lookalike: str
) -> None:
    gov = Governor(detector=detector)
    assert gov.check({"kind": "shell", "text": "rm -rf /", "principal": "agent:x"}).decision == (
        "deny"
    )
    assert gov.trust.state("agent:x").suspended
    # the reproduction: `ls` was allowed under these names; now they are refused outright
    with pytest.raises(InvalidAction) as info:
        Action(kind="shell", text="ls", principal=lookalike)
    assert info.value.field == "principal"
    with pytest.raises(InvalidAction):
        gov.check({"kind": "shell", "text": "ls", "principal": lookalike})
    # a compatibility form folds to the same principal, who is still suspended
    full_width = gov.check({"kind": "shell", "text": "ls", "principal": "\uff41gent:x"})
    assert full_width.principal == "agent:x" and full_width.decision is Decision.DENY
    assert any("suspended" in r for r in full_width.reasons)


# ---------------------------------------------------------------------- over HTTP
@dataclass
class Live:
    url: str
    keys: Keys
    governor: Governor

    def client(self, role: str, name: str, may_act_as: str | None = None) -> httpx2.Client:
        _, token = self.keys.create(role, name, may_act_as)
        return httpx2.Client(base_url=self.url, headers=bearer(token), timeout=30)


@pytest.fixture(scope="module")
def live(detector: RiskDetector, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    root: Path = tmp_path_factory.mktemp("identity")
    db = open_database(f"sqlite:///{root}/m.db")
    governor = Governor(detector=detector, principal_roles=ROLES)
    settings = Settings(database_url=f"sqlite:///{root}/m.db", spool_dir=root / "spool")
    with ThreadServer(create_app(settings, governor=governor)) as server:
        yield Live(server.url, Keys(db), governor)
    governor.close()
    db.close()


def test_over_http_the_role_comes_from_the_keys_principal(live: Live) -> None:
    gateway = live.client("agent", f"gw-{uuid.uuid4().hex[:6]}", "agent:*")
    with gateway as c:
        for principal, role, decision in (
            ("agent:reader-1", None, "deny"),  # the body says nothing: the bound role holds
            ("agent:reader-1", "deployer", "deny"),  # nor can it claim more
            ("agent:ship-2", None, "allow"),
            ("agent:ship-2", "reader", "deny"),  # but may claim less
        ):
            r = c.post("/v1/check", json={**DEPLOY, "principal": principal, "role": role})
            assert r.status_code == 200, r.text
            assert (r.json()["principal"], r.json()["decision"]) == (principal, decision), role


def test_over_http_lookalike_principals_are_422_and_compatibility_forms_fold(live: Live) -> None:
    with live.client("agent", "agent:x") as c:
        for lookalike in ("agent:x\u200b", "agent:x\u00a0"):
            r = c.post("/v1/check", json={"kind": "shell", "text": "ls", "principal": lookalike})
            assert r.status_code == 422 and r.json()["field"] == "principal", r.text
        r = c.post("/v1/check", json={"kind": "shell", "text": "ls", "principal": "\uff41gent:x"})
        assert r.status_code == 200 and r.json()["principal"] == "agent:x"
        other = c.post("/v1/check", json={"kind": "shell", "text": "ls", "principal": "agent:y"})
        assert other.status_code == 403
