"""Infrastructure and cluster code written to files (analysis/infra_code.py): the effects it
has once applied, judged by the rules on those effects."""

from __future__ import annotations

import pytest

from magistrate import Action, Risk, RiskDetector
from magistrate.analysis.infra_code import infra_effects, is_infra_path

SSH_OPEN = """resource "aws_security_group" "bastion" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"""
WEB_OPEN = SSH_OPEN.replace("= 22", "= 443")
SSH_PRIVATE = SSH_OPEN.replace('["0.0.0.0/0"]\n  }\n  egress', '["10.0.0.0/8"]\n  }\n  egress')
CFN = """Resources:
  DbSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 443
          ToPort: 443
          CidrIp: 0.0.0.0/0
        - IpProtocol: tcp
          FromPort: 5432
          ToPort: 5432
          CidrIp: 0.0.0.0/0
"""
PUBLIC_BLOCK_OFF = """resource "aws_s3_bucket_public_access_block" "exports" {
  bucket                  = aws_s3_bucket.exports.id
  block_public_acls       = false
  restrict_public_buckets = false
}
"""
STAR_POLICY = """resource "aws_iam_user_policy" "ci" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }]
  })
}
"""
SCOPED_POLICY = STAR_POLICY.replace('Action = "*"', 'Action = ["s3:GetObject"]')
ADMIN_BINDING = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: default-admin
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
  - kind: ServiceAccount
    name: default
    namespace: default
"""
VIEW_BINDING = ADMIN_BINDING.replace("name: cluster-admin", "name: view")


@pytest.mark.parametrize(
    ("content", "effects"),
    [
        (SSH_OPEN, ["publish 0.0.0.0/0 port 22"]),
        (WEB_OPEN, []),  # a web port open to the world is what a load balancer is for
        (SSH_PRIVATE, []),  # open to the private network only (the egress to the world is normal)
        (CFN, ["publish 0.0.0.0/0 port 5432"]),
        (PUBLIC_BLOCK_OFF, ["publish a bucket with block_public_acls off"]),
        (
            'resource "aws_s3_bucket_acl" "x" {\n  acl = "public-read"\n}\n',
            ["publish a bucket ACL public-read"],
        ),
        (STAR_POLICY, ['privilege a policy: every action on "*"']),
        (SCOPED_POLICY, []),
        (ADMIN_BINDING, ["privilege a cluster-admin binding"]),
        (VIEW_BINDING, []),
    ],
)
def test_infra_effects(content: str, effects: list[str]) -> None:
    assert [f"{e.op} {e.target}" for e in infra_effects(content, "f")] == effects


def test_infra_paths() -> None:
    assert is_infra_path("infra/prod/storage.tf")
    assert is_infra_path("k8s/rbac.yaml")
    assert is_infra_path("template.json")
    assert not is_infra_path("src/app.py")


@pytest.mark.parametrize(
    ("path", "content", "harmful"),
    [
        ("infra/bastion/sg.tf", SSH_OPEN, True),
        ("infra/web/sg.tf", WEB_OPEN, False),
        ("infra/prod/storage.tf", PUBLIC_BLOCK_OFF, True),
        ("infra/iam/ci.tf", STAR_POLICY, True),
        ("infra/iam/ci.tf", SCOPED_POLICY, False),
        ("k8s/rbac.yaml", ADMIN_BINDING, True),
        ("k8s/rbac.yaml", VIEW_BINDING, False),
        ("docs/security-groups.md", SSH_OPEN, False),  # prose about it is not the code applied
    ],
)
def test_the_gate_judges_infra_code_by_its_effects(
    detector: RiskDetector, path: str, content: str, harmful: bool
) -> None:
    action = Action(kind="file", text=f"write {path}", args={"path": path, "content": content})
    level = detector.assess(action).level
    assert (level >= Risk.HIGH) is harmful, level
