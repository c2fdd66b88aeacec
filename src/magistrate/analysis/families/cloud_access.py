"""Who may reach a cloud account's things: secrets printed, roles granted, things made public,
multi-factor authentication removed. Part of the cloud family (`families.cloud`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from magistrate.analysis.effects import Effect
from magistrate.analysis.families.base import Classify, environment_classes, resource
from magistrate.analysis.families.cli import has, secret_read, values
from magistrate.analysis.invocation import Invocation

# Word sequences (in order, among the nouns and verbs) that print a secret or a credential.
_SECRET_READS = (
    ("secretsmanager", "get-secret-value"),
    ("secretsmanager", "batch-get-secret-value"),
    ("sts", "get-session-token"),
    ("configure", "export-credentials"),
    ("ecr", "get-login-password"),
    ("secrets", "versions", "access"),
    ("auth", "print-access-token"),
    ("auth", "print-identity-token"),
    ("auth", "application-default", "print-access-token"),
    ("keyvault", "secret", "show"),
    ("keyvault", "secret", "download"),
    ("account", "get-access-token"),
    ("storage", "account", "keys", "list"),
    ("config", "get"),
    ("auth", "token"),
    ("secrets", "reveal"),
)
_SSM_DECRYPT = ("get-parameter", "get-parameters", "get-parameters-by-path")
_ADMIN = re.compile(
    r"(AdministratorAccess|IAMFullAccess|PowerUserAccess|roles/(owner|editor|iam\.\w*admin\w*"
    r"|resourcemanager\.\w*admin\w*)|^(Owner|Contributor|User Access Administrator)$"
    r"|manage\s+all-resources)",
    re.I,
)
_GRANTS = frozenset(
    {
        "create-access-key", "create-login-profile", "update-login-profile", "put-user-policy",
        "put-role-policy", "attach-user-policy", "attach-role-policy", "attach-group-policy",
        "add-user-to-group", "create-user", "update-assume-role-policy",
        "add-iam-policy-binding", "set-iam-policy", "create-for-rbac",
    }
)  # fmt: skip
_MFA = frozenset(
    {"deactivate-mfa-device", "delete-virtual-mfa-device", "delete-account-password-policy"}
)
_OPEN_CIDR = re.compile(r"(^|[^\d])0\.0\.0\.0/0|::/0|^\*$|^internet$|^any$", re.I)
_PUBLIC_ACL = re.compile(r"^(public-read|public-read-write|authenticated-read)$", re.I)


def _seq(words: list[str], want: tuple[str, ...]) -> bool:
    k = 0
    for w in words:
        if k < len(want) and w == want[k]:
            k += 1
    return k == len(want) and words[0] == want[0]


def _secret(inv: Invocation, words: list[str], classify: Classify) -> Effect | None:
    if any(_seq(words, want) for want in _SECRET_READS):
        if words[:2] == ["config", "get"] and inv.name != "heroku":
            return None
        return secret_read(f"{inv.name}/{'/'.join(words[:4])}", inv, classify)
    decrypted = has(inv.argv, "--with-decryption")
    if words[:1] == ["ssm"] and words[1:2] and words[1] in _SSM_DECRYPT and decrypted:
        return secret_read(f"{inv.name}/ssm/{words[1]}", inv, classify)
    return None


def _grant(inv: Invocation, words: list[str]) -> Effect | None:
    text = " ".join(inv.argv)
    role_values = values(inv.argv, "--role", "--policy-arn", "--statements")
    admin = any(_ADMIN.search(v) for v in role_values) or "cluster-admin" in text
    if (
        set(words) & _GRANTS
        or words[:3] == ["role", "assignment", "create"]
        or (words[:3] == ["iam", "policy", "create"])
    ):
        kind = "cluster-admin" if admin or "update-assume-role-policy" in words else "access-grant"
        if kind == "access-grant" and words[:3] == ["iam", "policy", "create"]:
            kind = "cluster-admin" if _ADMIN.search(text) else kind
        return resource("privilege", " ".join(words[:3]), {kind}, inv)
    if "service-accounts" in words and "keys" in words and "create" in words:
        return resource("privilege", "a service-account key", {"access-grant"}, inv)
    return None


def _vault_policy(inv: Invocation, words: list[str]) -> Effect | None:
    """`az keyvault set-policy … --secret-permissions all`: every secret, key or certificate
    of a vault handed to one identity (read, change, delete and purge them all)."""
    if words[:2] != ["keyvault", "set-policy"]:
        return None
    granted = values(inv.argv, "--secret-permissions", "--key-permissions",
                     "--certificate-permissions")  # fmt: skip
    if any(v.lower() in ("all", "purge") for v in granted):
        return resource("privilege", "every permission on a key vault", {"cluster-admin"}, inv)
    return None


def _public(inv: Invocation, words: list[str]) -> Effect | None:
    argv = inv.argv
    text = " ".join(argv)
    members = values(argv, "--member", "--members") + [w for w in argv if ":" in w]
    if any(m.lower().startswith(("allusers", "allauthenticatedusers")) for m in members):
        return resource("publish", "access for allUsers", {"public"}, inv)
    if any(_PUBLIC_ACL.match(v) for v in values(argv, "--acl", "-a")):
        return resource("publish", "a public ACL", {"public"}, inv)
    if "authorize-security-group-ingress" in words or (
        {"firewall-rules", "rule"} & set(words) and {"create", "update"} & set(words)
    ):
        cidrs = values(argv, "--cidr", "--source-ranges", "--source-address-prefixes")
        if any(_OPEN_CIDR.search(c) for c in cidrs) or "0.0.0.0/0" in text:
            return resource("publish", "a port open to the internet", {"public"}, inv)
    if "delete-public-access-block" in words or re.search(
        r"(BlockPublic\w+|RestrictPublicBuckets|IgnorePublicAcls)=false", text
    ):
        return resource("publish", "public access block removed", {"public"}, inv)
    if re.search(r'"Principal"\s*:\s*("\*"|\{\s*"AWS"\s*:\s*"\*")', text):
        return resource("publish", "a policy for everyone", {"public"}, inv)
    if "add-permission" in words and any(
        v.strip("'\"") in ("*", "everyone") for v in values(argv, "--principal")
    ):  # a function, topic or queue anyone may call
        return resource("publish", "a permission for every principal", {"public"}, inv)
    if any(v.lower() == "true" for v in values(argv, "--allow-blob-public-access")):
        return resource("publish", "public blob access allowed", {"public"}, inv)
    if has(argv, "--publicly-accessible") or any(
        v.lower() in ("blob", "container") for v in values(argv, "--public-access")
    ):
        return resource("publish", "a public endpoint or container", {"public"}, inv)
    if "create-function-url-config" in words and "NONE" in values(argv, "--auth-type"):
        return resource("publish", "an unauthenticated function URL", {"public"}, inv)
    if "modify-db-snapshot-attribute" in words and "all" in values(argv, "--values-to-add"):
        return resource("publish", "a snapshot shared with everyone", {"public"}, inv)
    if {"modify-snapshot-attribute", "modify-image-attribute"} & set(words) and (
        "all" in values(argv, "--group-names")
        or any(
            "group=all" in v.lower().replace(" ", "") for v in values(argv, "--launch-permission")
        )
    ):  # an EBS snapshot or a machine image anyone can copy
        return resource("publish", "a snapshot or image shared with everyone", {"public"}, inv)
    return None


# Audit trails and the records they keep: stopping or deleting them.
_AUDIT_OFF = (
    ("cloudtrail", "stop-logging"),
    ("cloudtrail", "delete-trail"),
    ("logs", "delete-log-group"),
    ("logs", "delete-log-stream"),
    ("logging", "sinks", "delete"),
    ("logging", "buckets", "delete"),
    ("logging", "logs", "delete"),
    ("monitor", "diagnostic-settings", "delete"),
    ("monitor", "log-analytics", "workspace", "delete"),
)
# Threat detection, configuration recording and posture services switched off.
_SECURITY_OFF = (
    ("guardduty", "delete-detector"),
    ("guardduty", "disassociate-from-master-account"),
    ("guardduty", "disassociate-from-administrator-account"),
    ("guardduty", "stop-monitoring-members"),
    ("guardduty", "update-detector"),
    ("securityhub", "disable-security-hub"),
    ("configservice", "stop-configuration-recorder"),
    ("configservice", "delete-configuration-recorder"),
    ("access-analyzer", "delete-analyzer"),
    ("macie2", "disable-macie"),
    ("inspector2", "disable"),
    ("detective", "delete-graph"),
    ("scc", "disable"),
    ("security-center", "disable"),
    ("security", "pricing", "create"),
    ("cloudwatch", "disable-alarm-actions"),  # alarms that fire and tell no one
    ("cloudwatch", "delete-alarms"),
    ("organizations", "detach-policy"),  # a service control policy: the accounts' guardrails
    ("organizations", "delete-policy"),
    ("org-policies", "reset"),  # an organization constraint
    ("org-policies", "delete"),
    ("resource-manager", "org-policies", "disable-enforce"),
)


# Retention cut to days: what is older is deleted at once (a log group's or a bucket's).
_SHORT_RETENTION = re.compile(r'(--retention-(in-)?days[= ]|"(Days|NoncurrentDays)"\s*:\s*)[1-7]\b')
_LOGGING_OFF = re.compile(r'"enabled"\s*:\s*false|--no-enabled\b', re.I)
_RECORDS = re.compile(r"audit|trail|security|guardduty|flow|backup|archive|compliance", re.I)


def controls(inv: Invocation, words: list[str]) -> Iterator[Effect]:
    """Audit trails stopped, deleted or their retention cut; organization guardrails removed;
    security services switched off."""
    if any(_seq(words, want) for want in _AUDIT_OFF):
        yield resource("stop", " ".join(words[:3]), {"logging"}, inv)
    elif _SHORT_RETENTION.search(" ".join(inv.argv)) and (
        (
            {"put-retention-policy", "put-bucket-lifecycle-configuration"} & set(words)
            and any(_RECORDS.search(v) for v in values(inv.argv, "--log-group-name", "--bucket"))
        )
        or words[:3] == ["logging", "buckets", "update"]  # a project's log store itself
    ):
        yield resource("stop", "records kept for days only", {"logging"}, inv)
    elif _LOGGING_OFF.search(" ".join(inv.argv)) and (
        "update-cluster-config" in words or ("policies" in words and "update" in words)
    ):  # a cluster's control-plane and audit logs, or an alerting policy, switched off
        yield resource("stop", " ".join(words[:3]), {"security"}, inv)
    elif any(_seq(words, want) for want in _SECURITY_OFF):
        text = " ".join(inv.argv).lower()
        if words[:2] == ["guardduty", "update-detector"] and "--no-enable" not in text:
            return
        if words[:3] == ["security", "pricing", "create"] and "free" not in text:
            return  # `az security pricing create --tier free`: Defender plans off
        yield resource("stop", " ".join(words[:3]), {"security"}, inv)


def effects(inv: Invocation, words: list[str], classify: Classify) -> Iterator[Effect]:
    """Secrets read, roles granted, things made public, MFA removed, controls switched off."""
    stopped = list(controls(inv, words))
    if stopped:
        yield from stopped
        return
    if set(words) & _MFA or (
        "update-account-password-policy" in words
        and (any(a.startswith("--no-require") for a in inv.argv) or re.search(
            r"--minimum-password-length[= ][0-5]\b", " ".join(inv.argv)))
    ):  # fmt: skip
        yield resource("privilege", " ".join(words[:2]), {"mfa"}, inv)
        return
    secret, public, grant = (
        _secret(inv, words, classify),
        _public(inv, words),
        _grant(inv, words) or _vault_policy(inv, words),
    )
    if public is not None and grant is not None and "cluster-admin" not in grant.classes:
        grant = None  # `add-iam-policy-binding --member=allUsers --role=…viewer`: only public
    where = environment_classes(inv.argv)
    for found in (secret, public, grant):
        if found is not None:
            classes = found.classes if found.op == "read" else found.classes | where
            yield Effect(found.op, found.target, classes, found.command, found.privileged)
