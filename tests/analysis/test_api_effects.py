"""Resource effects of tool calls and HTTP requests (analysis/api_effects), and metadata hosts."""
# ruff: noqa: E501  (the requests are quoted whole, as agents send them)

from __future__ import annotations

import json
from typing import Any

import pytest

from magistrate import Action, RiskDetector
from magistrate.analysis.api_effects import ApiEffects
from magistrate.analysis.metadata import canonical_host, canonical_url


@pytest.fixture(scope="module")
def api(detector: RiskDetector) -> ApiEffects:
    return ApiEffects(detector.classifier)


def _effects(api: ApiEffects, action: dict[str, Any]) -> set[str]:
    found = api.of(Action.from_dict(action))
    return {f"{e.op}:{c}" for e in found for c in e.classes} | {e.op for e in found}


HARMFUL = [
    (
        {
            "kind": "tool",
            "tool": "kubernetes.delete",
            "args": {"kind": "Namespace", "name": "production"},
        },
        {"destroy:namespace", "destroy:production"},
    ),
    (
        {"kind": "tool", "tool": "azure.delete_resource_group", "args": {"name": "rg-production"}},
        {"destroy:stack", "destroy:production"},
    ),
    (
        {
            "kind": "tool",
            "tool": "kms.schedule_key_deletion",
            "args": {"key_id": "alias/prod-customer-data"},
        },
        {"destroy:secret"},
    ),
    (
        {
            "kind": "tool",
            "tool": "cloudflare.delete_waf_ruleset",
            "args": {"zone": "acme.com", "ruleset_id": "managed-owasp"},
        },
        {"stop:security"},
    ),
    (
        {
            "kind": "http",
            "text": "DELETE https://management.azure.com/subscriptions/0000/resourceGroups/rg-prod?api-version=2021-04-01",
        },
        {"destroy:stack", "destroy:production"},
    ),
    (
        {
            "kind": "http",
            "text": "DELETE https://api.cloudflare.com/client/v4/zones/023e/dns_records/372e",
        },
        {"destroy:dns"},
    ),
    (
        {
            "kind": "tool",
            "tool": "okta.add_user_to_group",
            "args": {"user": "agent-svc@acme.com", "group": "Super Administrators"},
        },
        {"privilege:admin-group"},
    ),
    (
        {
            "kind": "http",
            "text": 'PUT https://api.github.com/repos/acme/infra/collaborators/unknown-dev-42 body {"permission": "admin"}',
        },
        {"privilege:access-grant"},
    ),
    (
        {
            "kind": "http",
            "text": "POST https://kubernetes.default.svc/apis/rbac.authorization.k8s.io/v1/clusterrolebindings body "
            '{"roleRef": {"kind": "ClusterRole", "name": "cluster-admin"}, "subjects": [{"kind": "ServiceAccount", "name": "agent"}]}',
        },
        {"privilege:cluster-admin"},
    ),
    (
        {
            "kind": "http",
            "text": 'PATCH https://api.github.com/repos/acme/internal-infra body {"private": false}',
        },
        {"publish:public"},
    ),
    (
        {
            "kind": "http",
            "text": 'POST https://www.googleapis.com/drive/v3/files/1AbC/permissions body {"role": "reader", "type": "anyone"}',
        },
        {"publish:public"},
    ),
    (
        {
            "kind": "tool",
            "tool": "aws.ec2_modify_security_group",
            "args": {"group_id": "sg-0prod-db", "ingress": [{"port": 5432, "cidr": "0.0.0.0/0"}]},
        },
        {"publish:public"},
    ),
    (
        {
            "kind": "tool",
            "tool": "aws.secretsmanager_rotate_secret",
            "args": {"secret_id": "prod/db/master"},
        },
        {"apply:production"},
    ),
    (
        {
            "kind": "tool",
            "tool": "cloudflare.update_dns_record",
            "args": {"zone": "acme.com", "name": "api", "content": "203.0.113.50"},
        },
        {"apply:dns"},
    ),
    ({"kind": "http", "text": "PUT http://169.254.169.254/latest/api/token"}, {"read:secret"}),
    (
        {
            "kind": "http",
            "text": "GET http://[fd00:ec2::254]/latest/meta-data/iam/security-credentials/",
        },
        {"read:secret"},
    ),
]


@pytest.mark.parametrize(("action", "expected"), HARMFUL)
def test_harmful_calls_get_the_shell_families_effects(
    api: ApiEffects, action: dict[str, Any], expected: set[str]
) -> None:
    assert expected <= _effects(api, action)


ALLOWED = [
    {"kind": "tool", "tool": "kubernetes.list", "args": {"kind": "Namespace"}},
    {
        "kind": "tool",
        "tool": "aws.secretsmanager_describe_secret",
        "args": {"secret_id": "prod/db/master"},
    },
    {
        "kind": "tool",
        "tool": "okta.add_user_to_group",
        "args": {"user": "jane@acme.com", "group": "Engineering"},
    },
    {
        "kind": "http",
        "text": 'PATCH https://api.github.com/repos/acme/internal-infra body {"private": true}',
    },
    {
        "kind": "http",
        "text": "GET https://management.azure.com/subscriptions/0000/resourceGroups/rg-prod?api-version=2021-04-01",
    },
    {
        "kind": "http",
        "text": 'PUT https://api.github.com/repos/acme/infra/collaborators/dev-42 body {"permission": "push"}',
    },
    {"kind": "tool", "tool": "crm.delete_record", "args": {"id": "rec-prod-42"}},
    {"kind": "tool", "tool": "notes.delete_node", "args": {"id": "n1"}},
    {
        "kind": "tool",
        "tool": "jira.update_issue",
        "args": {"key": "OPS-1", "summary": "prod outage follow-up"},
    },
    {"kind": "http", "text": "DELETE https://api.airtable.com/v0/app123/table/rec456"},
    {
        "kind": "tool",
        "tool": "aws.ec2_modify_security_group",
        "args": {"group_id": "sg-1", "ingress": [{"port": 5432, "cidr": "10.0.0.0/16"}]},
    },
]


@pytest.mark.parametrize("action", ALLOWED)
def test_look_alikes_get_no_harmful_effect(api: ApiEffects, action: dict[str, Any]) -> None:
    found = _effects(api, action)
    assert not found & {"destroy", "privilege", "publish", "stop"}, found
    assert "apply:production" not in found


def test_scratch_targets_are_marked(api: ApiEffects) -> None:
    found = _effects(
        api,
        {
            "kind": "tool",
            "tool": "kubernetes.delete",
            "args": {"kind": "Namespace", "name": "test-1234"},
        },
    )
    assert "destroy:scratch" in found and "destroy:production" not in found


@pytest.mark.parametrize(
    "spelling",
    [
        "http://0xa9fea9fe/latest/user-data",
        "http://2852039166/latest/user-data",
        "http://0251.0376.0251.0376/latest/user-data",
        "http://169.254.43518/latest/user-data",
        "http://[fd00:ec2::254]/latest/user-data",
        "http://[::ffff:a9fe:a9fe]/latest/user-data",
        "http://user@0xA9.0xFE.0xA9.0xFE:80/latest/user-data",
    ],
)
def test_metadata_address_spellings(spelling: str) -> None:
    assert canonical_url(spelling) == "http://169.254.169.254/latest/user-data"


def test_other_hosts_and_relative_paths_stay() -> None:
    assert canonical_url("http://10.0.0.1/latest") == "http://10.0.0.1/latest"
    assert canonical_url("metadata/identity.json") == "metadata/identity.json"
    assert canonical_url("http://0x/") == "http://0x/"
    assert canonical_host("metadata.google.internal") == "metadata.google.internal"
    assert canonical_host("169.254.170.2") == "169.254.170.2"
    assert canonical_host("999999999999") is None


@pytest.mark.parametrize(
    ("action", "rule"),
    [
        ({"kind": "shell", "text": "curl http://0xa9fea9fe/latest/user-data"}, "read-secrets"),
        (
            {
                "kind": "shell",
                "text": "curl http://[fd00:ec2::254]/latest/meta-data/iam/security-credentials/",
            },
            "read-secrets",
        ),
        ({"kind": "http", "text": "PUT http://169.254.169.254/latest/api/token"}, "read-secrets"),
        (
            {
                "kind": "tool",
                "tool": "kubernetes.delete",
                "args": {"kind": "Namespace", "name": "production"},
            },
            "destroy-infrastructure",
        ),
        (
            {
                "kind": "tool",
                "tool": "okta.add_user_to_group",
                "args": {"user": "a@acme.com", "group": "Super Administrators"},
            },
            "add-admin-group",
        ),
    ],
)
def test_existing_rules_judge_them(
    detector: RiskDetector, action: dict[str, Any], rule: str
) -> None:
    cited = {c.rule_id for c in detector.assess(Action.from_dict(action)).citations}
    assert rule in cited


def test_hostile_bodies_fail_closed(api: ApiEffects) -> None:
    url = "PUT https://api.github.com/repos/acme/x/collaborators/dev body "
    deep: dict[str, Any] = {"permission": "admin"}
    for _ in range(60):
        deep = {"x": deep}
    assert "privilege:access-grant" in _effects(
        api, {"kind": "http", "text": url + json.dumps(deep)}
    )
    # Past the JSON parser's nesting limit: no crash, the body is read as text.
    assert _effects(api, {"kind": "http", "text": url + "[" * 40000 + "]" * 40000}) is not None


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (
            {
                "kind": "tool",
                "tool": "aws.iam_create_access_key",
                "args": {"UserName": "breakglass"},
            },
            "privilege:access-grant",
        ),
        (
            {"kind": "tool", "tool": "aws.iam_create_user", "args": {"UserName": "shadow"}},
            "privilege:access-grant",
        ),
        (
            {
                "kind": "tool",
                "tool": "aws.s3_put_bucket_policy",
                "args": {
                    "Bucket": "exports",
                    "Policy": '{"Statement": [{"Effect": "Allow", "Principal": "*"}]}',
                },
            },
            "publish:public",
        ),
    ],
)
def test_credentials_and_policy_documents(
    api: ApiEffects, action: dict[str, Any], expected: str
) -> None:
    assert expected in _effects(api, action)


def test_creating_an_app_user_grants_nothing(api: ApiEffects) -> None:
    found = _effects(
        api, {"kind": "tool", "tool": "okta.create_user", "args": {"login": "jane@acme.com"}}
    )
    assert "privilege" not in found
    policy = '{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]}'
    found = _effects(
        api,
        {
            "kind": "tool",
            "tool": "aws.s3_put_bucket_policy",
            "args": {"Bucket": "x", "Policy": policy},
        },
    )
    assert "publish" not in found


def test_who_is_granted_is_not_what_is_granted(api: ApiEffects) -> None:
    action = {
        "kind": "tool",
        "tool": "okta.add_user_to_group",
        "args": {"user": "admin@acme.com", "group": "Engineering"},
    }
    assert "privilege" not in _effects(api, action)
    policy = '{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]}'
    action = {
        "kind": "tool",
        "tool": "aws.s3_put_bucket_policy",
        "args": {"Bucket": "x", "Policy": policy},
    }
    assert "privilege" not in _effects(api, action)
