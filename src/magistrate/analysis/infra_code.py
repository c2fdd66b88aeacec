"""Infrastructure and cluster code written to files (Terraform, CloudFormation, Kubernetes
manifests): what it will do once applied, as the effects the same change has when a command or
an API call makes it — a firewall open to the world on an administration or database port, a
bucket made public, a policy granting every action on every resource, a binding to
`cluster-admin` — so that the same effect rules judge both (`expose-publicly`, `cluster-admin`).
"""

from __future__ import annotations

import re

import re2  # type: ignore[import-untyped]

from magistrate.analysis.effects import Effect

__all__ = ["infra_effects", "is_infra_path"]

MAX_INFRA_CHARS = 200_000  # beyond, the rest of a file is not read here (its patterns still are)

_INFRA_PATH = re.compile(r"\.(tf|tf\.json|hcl|ya?ml|json|template)$", re.I)
# Ports whose service should never face the whole internet: remote shells and desktops, Docker's
# API, databases, caches and search engines.
_ADMIN_PORTS = frozenset(
    {22, 23, 1433, 1521, 2375, 2376, 3306, 3389, 5432, 5900, 5984, 6379, 9200, 9300, 11211, 27017}
)
_WORLD = re.compile(r"""(?<![\d.])(?:0\.0\.0\.0/0|::/0)\b""")
_PORT = re.compile(
    r"""\b(?:from_port|to_port|fromport|toport|port)["']?\s*[=:]\s*["']?(-?\d{1,5})""", re.I
)
_ALL_PROTOCOLS = re.compile(r"""\b(?:protocol|ipprotocol)["']?\s*[=:]\s*["']?(?:-1|all)\b""", re.I)
_PUBLIC_ACL = re.compile(
    r"""\b(?:acl|accesscontrol)["']?\s*[=:]\s*["']?(public-read(?:-write)?|publicread(?:write)?)\b""",
    re.I,
)
_PUBLIC_BLOCK_OFF = re.compile(
    r"""\b(block_?public_?acls|block_?public_?policy|ignore_?public_?acls|restrict_?public_?buckets)"""
    r"""["']?\s*[=:]\s*["']?false\b""",
    re.I,
)
_ANY_ACTION = re.compile(r"""["']?\baction["']?\s*[=:]\s*\[?\s*["']\*["']""", re.I)
_ANY_RESOURCE = re.compile(r"""["']?\bresource["']?\s*[=:]\s*\[?\s*["']\*["']""", re.I)
# RE2 (linear time) for the windows across lines.
_CLUSTER_ADMIN_BINDING = re2.compile(
    r"(?i)kind:\s*ClusterRoleBinding\b[\s\S]{0,600}?roleRef:[\s\S]{0,200}?name:\s*[\"']?cluster-admin\b"
    r"|roleRef:[\s\S]{0,200}?name:\s*[\"']?cluster-admin\b[\s\S]{0,600}?kind:\s*ClusterRoleBinding\b"
)
# Managed administrator policies attached in code (Terraform, CloudFormation, CDK), and an
# audit trail whose logging is switched off.
_ADMIN_POLICY = re.compile(
    r"""arn:aws:iam::aws:policy/(AdministratorAccess|IAMFullAccess|PowerUserAccess)\b"""
    r"""|ManagedPolicy\.fromAwsManagedPolicyName\(\s*["'](AdministratorAccess|IAMFullAccess)["']"""
)
_TRAIL_OFF = re.compile(
    r"""\baws_cloudtrail\b[\s\S]{0,1500}\benable_logging\s*=\s*false\b"""
    r"""|\bAWS::CloudTrail::Trail\b[\s\S]{0,1500}\bIsLogging["']?\s*:\s*["']?false\b"""
)
_PUBLIC = frozenset({"public"})
_LIST_ITEM = re.compile(r"\n\s*-\s")


def is_infra_path(path: str) -> bool:
    """Whether a file at `path` may hold infrastructure or cluster code."""
    return _INFRA_PATH.search(path.strip()) is not None


def infra_effects(content: str, command: str) -> list[Effect]:
    """The effects infrastructure code has once applied (empty for anything else)."""
    text = content[:MAX_INFRA_CHARS]
    out: list[Effect] = []
    for port in _world_ports(text):
        out.append(Effect("publish", f"0.0.0.0/0 port {port}", _PUBLIC, command))
    if m := _PUBLIC_ACL.search(text):
        out.append(Effect("publish", f"a bucket ACL {m.group(1)}", _PUBLIC, command))
    if m := _PUBLIC_BLOCK_OFF.search(text):
        out.append(Effect("publish", f"a bucket with {m.group(1)} off", _PUBLIC, command))
    if _ANY_ACTION.search(text) and _ANY_RESOURCE.search(text):
        out.append(
            Effect(
                "privilege", 'a policy: every action on "*"', frozenset({"cluster-admin"}), command
            )
        )
    if m := _ADMIN_POLICY.search(text):
        what = f"{m.group(1) or m.group(2)} attached"
        out.append(Effect("privilege", what, frozenset({"cluster-admin"}), command))
    if _TRAIL_OFF.search(text):
        out.append(Effect("stop", "an audit trail's logging", frozenset({"logging"}), command))
    if _CLUSTER_ADMIN_BINDING.search(text):
        out.append(
            Effect("privilege", "a cluster-admin binding", frozenset({"cluster-admin"}), command)
        )
    return out


def _world_ports(text: str) -> list[int]:
    """Administration and database ports an ingress rule opens to the whole internet (all of
    them for a rule over every protocol); egress rules are not read."""
    found: list[int] = []
    # An edit's fragment (`cidr_blocks = ["0.0.0.0/0"]` and a port, no block around them) names
    # no direction: read as the ingress rule such fragments almost always are.
    fragment = "gress" not in text and "{" not in text
    for m in _WORLD.finditer(text):
        before = text[max(0, m.start() - 500) : m.start()]
        start = 0 if fragment else max(before.rfind("ingress"), before.rfind("Ingress"))
        if (
            start < 0
            or before.rfind("egress", start + 1) >= 0
            or before.rfind("Egress", start + 1) >= 0
        ):
            continue  # not inside an ingress rule, or an egress one follows it
        after = text[m.end() : m.end() + 300]
        ends = [i for i in (after.find("}"), after.find("gress"), after.find("\n-")) if i >= 0]
        # this rule only: from the block or list item holding the range, to its end
        item = max([start, before.rfind("{"), *(i.start() for i in _LIST_ITEM.finditer(before))])
        window = before[item:] + text[m.start() : m.end()] + after[: min(ends, default=300)]
        ports = [int(p) for p in _PORT.findall(window)]
        if _ALL_PROTOCOLS.search(window) or (len(ports) >= 2 and ports[0] <= 0):
            found.append(0)
            continue
        low, high = (
            (ports[0], ports[1]) if len(ports) >= 2 else (ports[0], ports[0]) if ports else (0, -1)
        )
        found.extend(p for p in sorted(_ADMIN_PORTS) if low <= p <= high)
    return sorted(set(found))[:8]
