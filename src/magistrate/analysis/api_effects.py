"""Resource effects of tool calls and HTTP requests: the same typed effects the shell families emit.

`kubernetes.delete {"kind": "Namespace", "name": "production"}`,
`DELETE https://management.azure.com/…/resourceGroups/rg-prod` and `kubectl delete namespace
production` all become `destroy` of `namespace`/`stack` with `production`, so the constitution's
effect rules (destroy-infrastructure, cluster-admin, expose-publicly, production-change…) judge
tools and APIs with no rule per tool.

Everything here is data: resource nouns (words of a tool's name, a `kind` argument, or a REST
path's collection segment) and their classes, verbs and what they do, and the argument values
that grant administration or make something public. A tool's verbs come from its name's words;
an HTTP request's from its method (`DELETE /{collection}/{id}` destroys the item). Whether the
target is production or scratch is read from identifying arguments and path segments only, never
from free text (a summary, a message).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from magistrate.action import Action
from magistrate.analysis.effects import Effect
from magistrate.analysis.families.base import environment_classes
from magistrate.analysis.metadata import canonical_url, is_metadata_url
from magistrate.analysis.paths import PathClassifier

MAX_PAIRS = 256  # argument values read (fail closed: the first 256 are enough to see a grant)

# Resource nouns (singular, lower case, words joined by spaces) → the class a destroy gives.
_NOUNS: dict[str, str] = {
    **dict.fromkeys(["namespace", "project", "organization", "org", "tenant"], "namespace"),
    **dict.fromkeys(
        ["cluster", "node pool", "nodepool", "node group", "nodegroup", "node", "kubernetes"],
        "cluster",
    ),
    **dict.fromkeys(
        ["resource group", "resourcegroup", "stack", "workspace", "environment", "subscription"],
        "stack",
    ),
    **dict.fromkeys(
        ["instance", "vm", "virtual machine", "server", "droplet", "app", "compute", "machine"],
        "instance",
    ),
    **dict.fromkeys(["bucket", "storage account", "blob container", "s3"], "bucket"),
    **dict.fromkeys(
        ["volume", "disk", "snapshot", "backup", "file system", "filesystem"], "volume"
    ),
    **dict.fromkeys(
        [
            "database",
            "db",
            "table",
            "dataset",
            "rds",
            "keyspace",
            "collection",
            "index",
            "db instance",
            "db cluster",
            "sql instance",
            "dynamodb",
        ],
        "database",
    ),
    **dict.fromkeys(
        [
            "secret",
            "key",
            "kms key",
            "vault",
            "key vault",
            "keyvault",
            "certificate",
            "kms",
            "secretsmanager",
            "secrets manager",
            "keyring",
            "crypto key",
        ],
        "secret",
    ),
    **dict.fromkeys(["repo", "repository", "registry"], "repository"),
    **dict.fromkeys(
        ["dns", "zone", "record", "dns record", "record set", "recordset", "hosted zone", "domain"],
        "dns",
    ),
    **dict.fromkeys(
        [
            "deployment",
            "statefulset",
            "stateful set",
            "daemonset",
            "persistentvolume",
            "persistent volume",
            "persistentvolumeclaim",
            "pvc",
            "pv",
            "customresourcedefinition",
            "crd",
        ],
        "workload",
    ),
    **dict.fromkeys(["release", "function", "lambda", "helm"], "release"),
    **dict.fromkeys(
        [
            "waf",
            "waf ruleset",
            "ruleset",
            "firewall",
            "firewall rule",
            "security group",
            "network policy",
            "networkpolicy",
            "detector",
            "guardduty",
            "trail",
            "cloudtrail",
            "audit log",
            "flow log",
            "waf rule",
            "web acl",
            "webacl",
        ],
        "security",
    ),
}
# Nouns that name other things too (a CRM record, a graph node, an API key, a notes app): they
# count only when the tool or host names an infrastructure provider, or a strong noun is there.
_WEAK = frozenset(
    "project organization org tenant node environment subscription app compute machine server "
    "instance backup collection index key certificate record domain release function table "
    "dataset workspace registry access".split()
)
_PROVIDERS = frozenset(
    "aws azure gcp gcloud google cloud kubernetes k8s kubectl kube cloudflare kms okta github "
    "gitlab terraform digitalocean heroku vercel netlify hetzner linode vultr ec2 s3 rds iam "
    "route53 lambda eks gke aks ecs helm vault hashicorp pulumi openstack oci alibaba scaleway "
    "fly render railway supabase neon planetscale mongodb atlas snowflake bigquery firebase "
    "management googleapis amazonaws elastic datadog pagerduty auth0 entra keycloak "
    "secretsmanager dynamodb cloudformation sts acm".split()
)
_LONGEST_NOUN = max(n.count(" ") + 1 for n in _NOUNS)
# Verbs of a tool's name.
_DESTROY = frozenset(
    "delete destroy remove terminate drop purge deregister teardown wipe erase deletion "
    "decommission uninstall".split()
)
_MUTATE = frozenset(
    "update modify set patch put rotate change edit replace upsert scale restart reboot "
    "deploy apply enable disable attach detach associate move rename resize failover promote "
    "stop".split()  # creating or starting something new changes nothing that exists
)
_GRANT = frozenset("add assign grant attach bind invite create set update put insert".split())
_READ = frozenset("get list describe show read fetch view search query lookup find".split())
# What a grant is to: groups (memberships), roles and bindings, collaborators.
_GRANT_NOUNS = frozenset(
    "group groups member members membership memberships role roles rolebinding rolebindings "
    "clusterrolebinding clusterrolebindings binding bindings collaborator collaborators "
    "permission permissions policy policies iam assignment assignments roleassignments acl "
    "owner owners admin admins access".split()
)
_ADMIN = re.compile(
    r"(?:^|[^a-z0-9])(super ?admin(istrator)?s?|admin(istrator)?s?|owners?|superusers?|"
    r"cluster-admin|domain admins|enterprise admins|global admin(istrator)?|org(anization)? admin|"
    r"administratoraccess|iamfullaccess|full ?access|roles/(owner|editor|iam\.\w*admin\w*))"
    r"(?:$|[^a-z0-9])",
    re.I,
)
_CLUSTER_WIDE = re.compile(
    r"cluster-admin|clusterrolebinding|roles/owner|administratoraccess", re.I
)
# Identifying arguments: the environment is read from these, not from free text.
_FREE_TEXT = re.compile(
    r"(^|[._])(description|message|body|content|comment|summary|title|text|reason|note|notes|"
    r"subject|query|prompt|commit_message|changelog)$",
    re.I,
)
_PUBLIC_VALUES = re.compile(
    r"^(public|public-read|public-read-write|anyone|allusers|allauthenticatedusers|blob|container|"
    r"everyone|0\.0\.0\.0/0|::/0|\*)$",
    re.I,
)
_PUBLIC_KEYS = re.compile(
    r"(^|[._])(visibility|acl|access|public_?access(_level)?|type|member|members|principal|"
    r"cidr|cidr_?ip|cidr_?blocks?|source_?ranges?|ip_?ranges?|source|source_address_prefix|"
    r"grantee|entity|audience|sharing|permission|scope|role_?type)$",
    re.I,
)
# Cloud credentials and logins minted (as `aws iam create-access-key` in the cloud family).
_CREDENTIAL = re.compile(
    r"\b(access key|login profile|service account key|sas token|iam\b.*\buser)\b"
)
_WHO = re.compile(
    r"(^|[._])(user|users|username|user_?id|login|email|member|members|assignee|principal|"
    r"principal_?id|subjects?(\.\w+)?|account|account_?id|service_?account|invitee|owner)$",
    re.I,
)
_SEPARATORS = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_HTTP = re.compile(
    r"^\s*(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+(\S+)(?:\s+body\s+(.*))?$", re.I | re.S
)
_ID_LIKE = re.compile(r"^[0-9a-f-]{8,}$|^\d+$|\{.*\}|^[\w.@-]+$", re.I)


def _words(name: str) -> list[str]:
    """`deleteResourceGroup` / `dns_records` → `delete resource group` / `dns records`."""
    if len(name) <= 256:  # tool names and path segments recur: remembered
        return list(_short_words(name))
    return _SEPARATORS.sub(" ", _CAMEL.sub(" ", name).lower()).split()


@functools.lru_cache(maxsize=4096)
def _short_words(name: str) -> tuple[str, ...]:
    return tuple(_SEPARATORS.sub(" ", _CAMEL.sub(" ", name).lower()).split())


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def _nouns(words: list[str], infra: bool = True) -> list[str]:
    """The resource classes the words name, longest phrases first (`security group`); weak
    nouns only when `infra` (the tool or host names an infrastructure provider)."""
    found: list[str] = []
    sing = [_singular(w) for w in words]
    i = 0
    while i < len(sing):
        for n in range(min(_LONGEST_NOUN, len(sing) - i), 0, -1):
            phrase = " ".join(sing[i : i + n])
            cls = _NOUNS.get(phrase) or _NOUNS.get("".join(sing[i : i + n]))
            if cls and (infra or phrase not in _WEAK):
                found.append(cls)
                i += n - 1
                break
        i += 1
    return found


def _pairs(
    value: Any, key: str = "", out: list[tuple[str, str]] | None = None, depth: int = 0
) -> list[tuple[str, str]]:
    """(dotted key, scalar) for every value, bounded in count and depth (deeper values are
    kept whole as text, so a grant buried 40 levels down is still read by the patterns)."""
    out = [] if out is None else out
    if len(out) >= MAX_PAIRS:
        return out
    if type(value) is str and value[:1] not in ("{", "["):
        out.append((key, value[:1024]))  # the common leaf, before the (slower) ABC checks
    elif depth > 32 and isinstance(value, (Mapping, list, tuple)):
        out.append((key, str(value)[:4096]))
    elif isinstance(value, Mapping):
        for k, v in list(value.items())[:MAX_PAIRS]:
            _pairs(v, f"{key}.{str(k)[:100]}" if key else str(k)[:100], out, depth + 1)
    elif isinstance(value, (list, tuple)):
        for v in value[:MAX_PAIRS]:
            _pairs(v, key, out, depth + 1)
    elif isinstance(value, str) and value[:1] in "{[" and len(value) < 65536:
        try:  # a policy document passed as a string (`Policy: "{\"Statement\": …}"`)
            _pairs(json.loads(value), key, out, depth + 1)
        except (ValueError, RecursionError):
            out.append((key, value[:1024]))
    elif isinstance(value, bool):
        out.append((key, "true" if value else "false"))
    elif value is not None:
        out.append((key, str(value)[:1024]))
    return out


def _body_pairs(body: str) -> list[tuple[str, str]]:
    """A request body's values: JSON, else a form, else the text itself."""
    body = body.strip()[:65536]
    if not body:
        return []
    try:
        return _pairs(json.loads(body))
    except (ValueError, RecursionError):  # not JSON, or nested past the parser's limit
        pass
    form = parse_qsl(body, keep_blank_values=True)
    return [(k, v) for k, v in form][:MAX_PAIRS] if form else [("body", body)]


class ApiEffects:
    """Turns tool calls and HTTP requests into resource effects (and metadata reads)."""

    __slots__ = ("_classify",)

    def __init__(self, classifier: PathClassifier) -> None:
        self._classify = classifier.classify

    def of(self, action: Action) -> list[Effect]:
        """Effects of an action of kind `tool` or `http` (none for other kinds)."""
        kind, text, tool = action.kind, action.text or "", action.tool or ""
        pairs = _pairs(action.args or {})
        if kind == "http":
            m = _HTTP.match(text or "")
            method = next((v for k, v in pairs if k.lower() == "method"), "")
            url = next((v for k, v in pairs if k.lower() in ("url", "uri", "endpoint")), "")
            if m:
                method, url = method or m.group(1), url or m.group(2)
                pairs += _body_pairs(m.group(3) or "")
            return self.request(method.upper() or "GET", url, pairs)
        if kind == "tool" and tool:
            # A generic tool's verb may be an argument (`{"action": "delete_project"}`).
            acts = [w for k, v in pairs if _action_argument(k, v) for w in _words(v)][:8]
            effects = self.tool(_words(_acting_name(tool, pairs)) + acts, pairs)
            urls = [
                v for k, v in pairs if k.lower().rsplit(".", 1)[-1] in ("url", "uri", "endpoint")
            ]
            method = next((v for k, v in pairs if k.lower() == "method"), "GET")
            for url in urls[:4]:
                effects += self.request(method.upper(), url, pairs)
            return effects
        return []

    def tool(self, words: list[str], pairs: list[tuple[str, str]]) -> list[Effect]:
        """Effects of a tool named by `words` called with `pairs` of arguments."""
        verbs = set(words)
        if verbs & _READ and not verbs & (_DESTROY | _MUTATE):
            return []  # a read changes nothing (decided first: the rest costs more)
        command = " ".join(words)[:80]
        kinds = [
            w for k, v in pairs if k.lower().rsplit(".", 1)[-1] in _KIND_KEYS for w in _words(v)
        ]
        infra = bool(verbs & _PROVIDERS) or bool(_nouns(words + kinds, infra=False))
        nouns = list(dict.fromkeys(_nouns(words, infra) + _nouns(kinds, infra)))
        ids = [v for k, v in pairs if not _FREE_TEXT.search(k)]
        target = " ".join(ids)[:200] or command
        env = environment_classes(ids)
        out: list[Effect] = []
        if verbs & _DESTROY and verbs & _BRANCH_WORDS:
            # `github.delete_branch {"branch": "main"}`: a protected branch, as the shell's
            # `git push --delete main`; a feature branch deleted after its merge is cleanup.
            protected = [v for _, v in pairs if _PROTECTED_BRANCH.search(v)]
            if protected:
                out.append(Effect("destroy", protected[0][:200], frozenset({"branch"}), command))
        elif verbs & _DESTROY:
            out += _destroy(nouns, target, env, command)
        elif verbs & _MUTATE and nouns:
            out += _apply(nouns, target, env, command)
        if infra and "create" in verbs and _CREDENTIAL.search(command):
            out.append(Effect("privilege", target, frozenset({"access-grant"}), command))
        if infra and verbs & _GRANT and verbs & _GRANT_NOUNS:
            out += _grant(words, pairs, target, command)
        if verbs & _MUTATE and {"assume", "role", "policy"} <= set(words) and _trusts(pairs):
            # a role's trust policy opened to accounts (not a service): who may become the role
            out.append(Effect("privilege", target, frozenset({"cluster-admin"}), command))
        if verbs & (_MUTATE | _GRANT) and _is_public(pairs, set(nouns)):
            out.append(Effect("publish", target, frozenset({"public"}), command))
        return out

    def request(self, method: str, url: str, pairs: list[tuple[str, str]]) -> list[Effect]:
        """Effects of an HTTP request: metadata reads, and REST verbs on the path's resources."""
        return _request(method, url, pairs, self._classify)


def request_effects(method: str, url: str, body: str, classify: Any) -> list[Effect]:
    """A request a command-line client sends (`curl -X DELETE URL -d BODY`), judged as the
    same request made as an `http` action is."""
    return _request(method.upper(), url, _body_pairs(body), classify)


def _request(method: str, url: str, pairs: list[tuple[str, str]], classify: Any) -> list[Effect]:
    """ApiEffects.request's work, shared with command-line clients."""
    url = url.strip()[:4096]
    if is_metadata_url(url):
        # Every request to the metadata service reads it (IMDSv2's PUT of a token included).
        canon = canonical_url(url)
        return [Effect("read", canon, classify(canon), f"http {method}")]
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    segments = [unquote(s) for s in parts.path.split("/") if s][:32]
    command = f"http {method}"
    # The last collection segment naming a resource, and the identifiers after it.
    path_words = {w for seg in segments for w in _words(seg)}
    infra = bool((set(_words(parts.hostname or "")) | path_words) & _PROVIDERS)
    last = -1
    for i, seg in enumerate(segments):
        words = _words(seg)
        if _nouns(words, infra) or (words and words[-1] in _GRANT_NOUNS):
            last = i
    if method == "DELETE" and (off := _CONTROL_SEGMENT.search("/".join(segments).lower())):
        # `DELETE …/protected_branches/main`, `DELETE /v1/sys/audit/file`: a control removed
        kind = "logging" if off.group(1) in ("audit", "audits", "trail", "trails") else "security"
        return [Effect("stop", url[:200], frozenset({kind}), command)]
    if method == "DELETE" and any("*" in seg or seg == "_all" for seg in segments):
        # `DELETE /logs-*`, `DELETE /_all`: every index or collection the pattern names.
        env = environment_classes([*segments, parts.hostname or ""])
        return _destroy(["database"], url[:200], env, command)
    if last < 0:
        return []
    noun_words = _words(segments[last])
    nouns = _nouns(noun_words, infra)
    # `/{collection}/{id}` names one resource (`/repos/{owner}/{name}` on forges); further
    # segments are actions or settings on it (`/zones/{id}/purge_cache`), judged elsewhere.
    rest = len(segments) - last - 1
    item = 1 <= rest <= (2 if "repository" in nouns else 1)
    idents = [s for s in segments if _ID_LIKE.match(s)] + [
        v for k, v in pairs if not _FREE_TEXT.search(k) and k.lower() not in ("url", "method")
    ]
    env = environment_classes(idents)
    target = url[:200]
    out: list[Effect] = []
    if method == "DELETE" and item:
        out += _destroy(nouns, target, env, command)
    if method in ("PUT", "PATCH", "POST"):
        if nouns and item:
            out += _apply(nouns, target, env, command)
        if infra and path_words & _GRANT_NOUNS:
            out += _grant(noun_words, pairs, target, command)
        if _is_public(pairs, set(nouns)):
            out.append(Effect("publish", target, frozenset({"public"}), command))
    return out


# Path segments naming a control, whose DELETE switches it off.
_CONTROL_SEGMENT = re.compile(
    r"(?:^|/)(protected_branches|branch_protection|protection|audit|audits|trail|trails"
    r"|mfa|two_factor|2fa|waf|firewall_rules?|security_policies|rulesets)(?:/|$)"
)
_KIND_KEYS = frozenset({"kind", "type", "resource", "resource_type", "resourcetype", "object"})


_BRANCH_WORDS = frozenset({"branch", "branches", "ref", "refs", "tag"})
_PROTECTED_BRANCH = re.compile(
    r"^(refs/)?(heads/)?(main|master|trunk|develop|production|prod|release([/-][\w.-]+)?)$", re.I
)
_PATH_KEYS = frozenset({"path", "paths", "file", "filepath", "file_path", "filename", "dir"})
_NAMESPACE = re.compile(r"^(.*)(?:\.|__)(.*)$")  # the last separator


_ACTION_KEYS = frozenset({"action", "operation", "op", "command", "verb", "subcommand"})
_IDENTIFIER = re.compile(r"^[A-Za-z][\w-]{0,59}$")


def _action_argument(key: str, value: str) -> bool:
    """An argument that names what a generic tool does (`action`, `operation`), as a word."""
    return key.lower().rsplit(".", 1)[-1] in _ACTION_KEYS and bool(_IDENTIFIER.match(value))


def _acting_name(tool: str, pairs: list[tuple[str, str]]) -> str:
    """The part of a tool's name that says what it acts on. A call naming a local path acts on
    that path: its server's name (`filesystem.delete`, `mcp__filesystem__delete`) is not the
    resource it destroys (the path's own effects judge it)."""
    m = _NAMESPACE.match(tool)
    if m is None or not any(
        k.lower().rsplit(".", 1)[-1] in _PATH_KEYS and "://" not in v for k, v in pairs
    ):
        return tool
    return m.group(2)


def _destroy(nouns: Iterable[str], target: str, env: frozenset[str], command: str) -> list[Effect]:
    out: list[Effect] = []
    for cls in dict.fromkeys(nouns):
        if cls == "security":  # a firewall, WAF or detector removed is a control switched off
            out.append(Effect("stop", target, frozenset({"security"}), command))
        else:
            out.append(Effect("destroy", target, frozenset({cls}) | env, command))
    return out


def _apply(nouns: Iterable[str], target: str, env: frozenset[str], command: str) -> list[Effect]:
    classes = {"cloud-change"} | set(env)
    if "dns" in nouns:
        classes.add("dns")
    return [Effect("apply", target, frozenset(classes), command)]


def _grant(
    words: list[str], pairs: list[tuple[str, str]], target: str, command: str
) -> list[Effect]:
    """A membership, role or permission granted: only administration counts."""
    # Who is granted (`user: admin@acme.com`, `subjects`) says nothing of what is granted.
    values = [v for k, v in pairs if not _FREE_TEXT.search(k) and not _WHO.search(k)]
    admin = [v for v in values if _ADMIN.search(v)]
    # GitLab's levels by number: 40 is Maintainer, 50 Owner
    admin += [f"access level {v}" for k, v in pairs if _LEVEL_KEY.match(k) and v in ("40", "50")]
    if not admin:
        return []
    if any(_CLUSTER_WIDE.search(v) for v in admin) or {"clusterrolebinding"} & set(words):
        cls = "cluster-admin"
    elif {"group", "groups", "member", "members", "membership", "memberships"} & set(words):
        cls = "admin-group"
    else:
        cls = "access-grant"
    return [Effect("privilege", target, frozenset({cls}), command)]


_LEVEL_KEY = re.compile(r"^(access_?level|group_?access)$", re.I)
_ACCOUNT_PRINCIPAL = re.compile(r'"AWS"\s*:|"Principal"\s*:\s*"\*"|arn:aws:iam::\d{12}:')


def _trusts(pairs: list[tuple[str, str]]) -> bool:
    """Whether a trust policy lets accounts assume the role (an `AWS` principal or `*`), not
    only a service (`ec2.amazonaws.com`)."""
    return any(k == "AWS" or _ACCOUNT_PRINCIPAL.search(v) for k, v in pairs)


def _is_public(pairs: list[tuple[str, str]], nouns: set[str]) -> bool:
    """Something made reachable by anyone: `private: false`, `type: anyone`, `0.0.0.0/0`…"""
    for key, value in pairs:
        leaf = key.lower().rsplit(".", 1)[-1]
        v = value.strip().lower()
        if leaf in ("private", "is_private") and v == "false":
            return True
        if (
            leaf in ("public", "is_public", "publicly_accessible", "publiclyaccessible")
            and v == "true"
        ):
            return True
        if leaf in ("block_public_acls", "blockpublicacls", "block_public_policy") and v == "false":
            return True
        if leaf in ("authtype", "auth_type", "authorization_type", "authorizationtype") and v in (
            "none",
            "anonymous",
        ):  # a function URL or an API route anyone may call
            return True
        if _PUBLIC_KEYS.search(key) and _PUBLIC_VALUES.match(v):
            if v == "*" and "security" not in nouns and "principal" not in key.lower():
                continue
            if v in ("blob", "container") and "access" not in leaf:
                continue
            if leaf == "type" and v != "anyone":
                continue
            return True
    return False
