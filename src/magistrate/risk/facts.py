"""Facts an action's analysis implies: what tool calls do, what their content carries, and
what follows from effects together (a secret read and a send: exfiltration).

Rules match on facts by name (`Fact`); each fact keeps the first evidence found for it.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote

from magistrate.analysis.api_effects import ApiEffects
from magistrate.analysis.effects import Effect
from magistrate.analysis.facts import Fact
from magistrate.analysis.infra_code import infra_effects, is_infra_path
from magistrate.analysis.manifests import declares_packages, manifest_effects
from magistrate.analysis.metadata import is_loopback
from magistrate.analysis.paths import PathClassifier
from magistrate.analysis.secrets import (
    CREDENTIAL_FORMATS,
    find_secrets,
    mask_secrets,
    strong_literal,
)
from magistrate.analysis.text import lookalike_host
from magistrate.analysis.text_model import REQUEST_CHARS, pasted_part, shipped_model, text_of
from magistrate.analysis.tools import flatten_args, tool_words
from magistrate.constitution.loader import SECRET, SENSITIVE
from magistrate.risk.subjects import CLI_TOOL, HTTP_LINE, PATHLIKE, SubjectReader
from magistrate.risk.targets import TargetScope, host_of
from magistrate.rule_match import Context, evidence_before

__all__ = ["DATA_CLASSES", "SECRET_CLASSES", "FactDeriver"]

SECRET_CLASSES = frozenset({"secret", "environment", "browser-session"})
_OPERATIONS = frozenset({"read", "write", "delete", "append", "send", "exec", "fetch"})
DATA_CLASSES = frozenset({"database-dump", "personal-data", "data"})
_HOLDS_SECRETS = frozenset({"home", "root"})  # folders read whole hold every secret in them
# Requests and tool calls (the harm model) and tool output (the orders model): what the text
# models read (shell, SQL and files have analyses of their own).
_TEXT_MODEL_KINDS = frozenset({"prompt", "tool", "other", "tool_output"})
_PEOPLE_TABLE = re.compile(
    r"(^|_)(users?|customers?|clients?|patients?|employees?|members?|contacts?|people|persons?"
    r"|accounts?|subscribers?|profiles?|students?|applicants?)(_|$)"
)
_PERSONAL_OBJECTS = re.compile(
    r"\b(contacts?|customers?|clients?|users?|leads?|employees?|patients?|members?|subscribers?"
    r"|people|persons?|profiles?|crm|audience|mailing list|records)\b"
)


# A credential's first word → the word its vendor's hosts carry (`github-token` → github).
_WEBHOOK_HOSTS = frozenset({"hooks.slack.com", "discord.com", "discordapp.com"})
_VENDORS = {
    "github": "github", "gitlab": "gitlab", "pypi": "pypi", "npm": "npmjs",
    "huggingface": "huggingface", "sendgrid": "sendgrid", "digitalocean": "digitalocean",
    "slack": "slack", "openai": "openai", "google": "google", "stripe": "stripe",
    "aws": "amazonaws", "azure": "windows.net",
}  # fmt: skip


# A connection string's password for a named server (not this machine or a compose service),
# and not a default every tutorial uses, nor the user's own name (`orders:orders`, a development
# database's convention).
_CONNECTION = re.compile(r"://(?P<user>[^/\s:@]+):(?P<password>[^@\s/]+)@(?P<host>[^/:\s?#'\"`]+)")
_LOCAL_HOST = re.compile(
    r"^(localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|\[?::1\]?|[^.]+|.+\.(local|localhost|test|internal\.test))$",
    re.I,
)
_DEFAULT_PASSWORDS = frozenset(
    "postgres password pass secret root admin changeme test dev local example mysql user"
    " guest 1234 123456 xxx".split()
)


def _strong_assigned(text: str, end: int) -> bool:
    """Whether the `password = …` that ends at `end` assigns a real-looking literal."""
    window = text.encode("utf-8", "surrogatepass")[max(0, end - 400) : end + 200]
    part = window.decode("utf-8", "ignore")
    return any(
        name == "assigned-secret" and strong_literal(part[a:b]) for a, b, name in find_secrets(part)
    )


def _live_connection(text: str) -> bool:
    """Whether text holds a connection string with a real-looking password for a named host."""
    for m in _CONNECTION.finditer(text[:20_000]):
        password = m.group("password").lower()
        if (
            not _LOCAL_HOST.match(m.group("host"))
            and password not in _DEFAULT_PASSWORDS
            and password != m.group("user").lower()
            and not password.startswith(("$", "{", "<", "%"))  # `$PGPASSWORD`, `{{pw}}`, `<pw>`
        ):
            return True
    return False


# A query value long enough to carry a secret in base64 (`?d=QVdTX0FDQ0VTU19LRVlf…`).
_B64_QUERY = re.compile(r"[?&][^=&#]{0,40}=([A-Za-z0-9+/_-]{24,}={0,2})(?=&|#|$)")


def _readings(url: str) -> list[str]:
    """A URL as sent, percent-decoded, and with base64 query values decoded after it (what
    a collector reads out of it)."""
    plain = unquote(url) if "%" in url else url
    out = [url, plain] if plain != url else [url]
    for m in _B64_QUERY.finditer(plain[:8192]):
        blob = m.group(1)
        try:
            decoded = base64.urlsafe_b64decode(
                blob.replace("+", "-").replace("/", "_") + "=" * (-len(blob) % 4)
            ).decode("utf-8")
        except (binascii.Error, ValueError):
            continue
        if decoded.isprintable() or "\n" in decoded:
            out.append(f"{plain[: m.start(1)]}{decoded}")  # still after the `?`
    return out[:8]


# Credentials no service takes in a query string: there they are being carried somewhere (a
# database's connection string, a private key), to any host not the organization's own.
_NEVER_IN_QUERIES = frozenset(
    {
        "url-password",
        "private-key",
        "encoded-private-key",
        "aws-secret-access-key",
        "azure-connection",
    }
)
# What infra_effects reads: ranges open to the world, cluster-admin, `*` policies, public ACLs.
_INFRA_TRIGGERS = ("0/0", "cluster-admin", '*\\"', "public", "Public")


class FactDeriver:
    """Adds effects and facts to an analysed context. Thread-safe; one per detector."""

    def __init__(
        self,
        reader: SubjectReader,
        targets: TargetScope,
        id_kind: list[int],
        id_owner: list[Any],
    ) -> None:
        self._reader = reader
        self._targets = targets
        self.classifier: PathClassifier = reader.classifier
        self._api = ApiEffects(reader.classifier)
        self._id_kind = id_kind  # pattern id → kind (the detector's compiled table)
        self._id_owner = id_owner  # pattern id → rule, or credential/sensitive-data detector name

    def derive(self, ctx: Context) -> None:
        """Tool effects, content facts, then the facts that follow from them, into `ctx`."""
        self._tool_effects(ctx)
        if ctx.action.kind == "file":
            self._infra_effects(ctx)
        elif ctx.action.kind in ("tool", "http") and ctx.action.args:
            self._applied_infra(ctx)
        self._content_facts(ctx)
        if ctx.action.kind not in ("prompt", "tool_output") and (
            host := lookalike_host(ctx.action.text or "") or lookalike_host(ctx.action.args_json)
        ):
            ctx.facts.setdefault(Fact.LOOKALIKE_HOST, host)
        if ctx.action.kind in _TEXT_MODEL_KINDS:
            self._text_model_facts(ctx)
        urls = ctx.arg_values.get("url", ()) if ctx.arg_values else ()
        if (ctx.effects or urls) and (
            any(self._id_kind[pid] == SECRET for pid in ctx.flagged)
            # encoded (percent or base64): the scan could not see what it holds
            or any("%" in u or _B64_QUERY.search(u) for u in urls)
            or any(e.op in ("fetch", "send") and _B64_QUERY.search(e.target) for e in ctx.effects)
        ):
            self._secret_in_requests(ctx, urls)  # only where a credential may be: rare
        self._derive_facts(ctx)

    def _text_model_facts(self, ctx: Context) -> None:
        """A request or tool call the harm model reads as harmful; tool output, or a document
        pasted into a request, the orders model reads as orders to the agent
        (analysis/text_model.py)."""
        action = ctx.action
        pairs = flatten_args(action.args) if action.args else []
        # a tool call whose arguments hold no words (a path, an id) asks nothing of anyone
        if action.kind != "tool_output" and (action.text or any(" " in v for _, v in pairs)):
            text = text_of(action.text, action.tool, pairs)
            harm = shipped_model("harm")
            probability = harm.probability(text[:REQUEST_CHARS])
            if probability >= harm.threshold:
                ctx.facts.setdefault(Fact.HARMFUL_INTENT, f"harm model: {probability:.2f}")
        # The orders model's verdict counts only beside an ask the scan found (the rule on it
        # needs both): where the scan flagged nothing, it is not read.
        if not ctx.flagged or action.kind not in ("tool_output", "prompt"):
            return
        if action.kind == "tool_output":
            data = text_of(action.text, action.tool, pairs)
        else:
            data = pasted_part(action.text)
        if data:
            orders = shipped_model("orders")
            probability = orders.highest(data)
            if probability >= orders.threshold:
                ctx.facts.setdefault(Fact.ORDERS_READ, f"orders model: {probability:.2f}")

    def _infra_effects(self, ctx: Context) -> None:
        """Infrastructure or cluster code written to a file: the effects it has once applied
        (analysis/infra_code.py), so that the rules on those effects judge it; a dependency
        manifest: the install it declares (analysis/manifests.py)."""
        written = [
            *ctx.arg_values.get("path", ()),
            *(s.text for s in ctx.subjects if s.view == "path"),
        ]
        paths = [p for p in written if is_infra_path(p)]
        manifests = [p for p in written if declares_packages(p)]
        if manifests:  # requirements, package.json, Gemfile: what the next install fetches
            for subj in ctx.subjects:
                if subj.view == "data":
                    ctx.effects.extend(manifest_effects(manifests[0], subj.text))
        if not paths:
            return
        for subj in ctx.subjects:
            if subj.view == "data":
                ctx.effects.extend(infra_effects(subj.text, paths[0][:120]))

    def _applied_infra(self, ctx: Context) -> None:
        """A tool or API call that applies infrastructure code or a policy given in its
        arguments (`kubectl_apply {"manifest": …}`, `put_role_policy {"PolicyDocument": "{…}"}`,
        an ingress rule's ranges): the effects the same code has written to a file."""
        action = ctx.action
        if ctx.tool_words and set(self._reader.verb_ops(ctx.tool_words)) == {"read"}:
            return  # a read applies nothing
        args = action.args_json
        if not any(t in args for t in _INFRA_TRIGGERS):
            return  # nothing a rule below reads (most calls)
        # The call's words first (an `authorize … ingress` call names the direction), then the
        # arguments as `key=value` lines in their order (ports before the range they open),
        # then each string as itself (a policy document inside a string).
        flat = [s.text for s in ctx.subjects if s.origin == "args"]
        strings = [s.text for s in ctx.subjects if s.origin.startswith("args.")]
        text = "\n".join([ctx.tool_words or action.text or "", *flat, *strings])
        ctx.effects.extend(infra_effects(text, (action.tool or action.text or "")[:120]))

    def _tool_effects(self, ctx: Context) -> None:
        """Effects of tool, file and HTTP actions: verbs of the tool name applied to arguments."""
        action = ctx.action
        if action.kind == "tool" and any(s.origin == CLI_TOOL for s in ctx.subjects):
            return  # a git or CLI tool: the command it runs was analysed as that command
        if action.kind in ("tool", "http"):  # other kinds have no API effects
            ctx.effects += self._api.of(action)  # destroy, privilege, publish…
        elif not (ctx.tool_words or ctx.arg_values or action.kind == "file"):
            return  # nothing names an operation: no effects to add (the common shell/SQL case)
        ops: list[str] = []
        if ctx.tool_words:
            ops = self._reader.verb_ops(ctx.tool_words)
        for value in ctx.arg_values.get("operation", ()):
            # An operation named exactly is that operation: `append` appends (the verbs read
            # it as a write, which a start-up file's rules judge more strictly than an append
            # made by a command: the same lines, two tiers).
            literal = value.strip().lower()
            ops += [literal] if literal in _OPERATIONS else self._reader.verb_ops(tool_words(value))
        methods = [m.upper() for m in ctx.arg_values.get("method", ())]
        deletes_url = action.kind == "http" or "DELETE" in methods  # an HTTP tool's DELETE
        if action.kind != "http" and methods:
            if any(m in ("POST", "PUT", "PATCH") for m in methods):
                ops.append("send")
            elif "DELETE" in methods:
                ops.append("delete")
        if "fetch" in ops and ctx.arg_values.get("content") and "send" not in ops:
            ops.append("send")  # a request that carries a body sends it
        method = ""
        if action.kind == "http":
            methods = ctx.arg_values.get("method", [])
            m = HTTP_LINE.match(action.text or "")
            method = (methods[0] if methods else m.group(1) if m else "GET").upper()
            if m:
                ctx.arg_values.setdefault("url", []).append(m.group(2))
            has_body = bool(ctx.arg_values.get("content"))
            if method in ("POST", "PUT", "PATCH") or has_body:
                ops.append("send")
            elif method == "DELETE":
                ops.append("delete")
            else:
                ops.append("fetch")
        if action.kind == "file" and not ops:
            words = tool_words(action.text or "")
            ops = self._reader.verb_ops(words) or ["read"]
        if not ops and not ctx.tool_words:
            return
        paths = list(ctx.arg_values.get("path", ()))
        if action.kind == "file":
            paths += [s.text for s in ctx.subjects if s.view == "path" and s.origin == "text"]
        if action.target and PATHLIKE.match(action.target):
            paths.append(action.target)
        command = ctx.tool_words or action.kind
        classify = self.classifier.classify
        for op in dict.fromkeys(ops):
            if op in ("read", "write", "delete", "exec", "append"):
                for p in paths:
                    ctx.effects.append(Effect(op, p, classify(p), command))
            if op in ("send", "fetch") or (op == "delete" and deletes_url):
                for u in ctx.arg_values.get("url", ()):
                    ctx.effects.append(Effect(op, u, classify(u), command))
            if op == "send":
                for r in ctx.arg_values.get("recipient", ()):
                    ctx.effects.append(Effect("send", r, frozenset(), command))
                if _PERSONAL_OBJECTS.search(ctx.tool_words):  # export_contacts, sync_customers
                    ctx.effects.append(Effect("read", "$PERSONAL", classify("$PERSONAL"), command))
                for p in paths:  # attachments and uploaded files are read to be sent
                    ctx.effects.append(Effect("read", p, classify(p), command))

    def _content_facts(self, ctx: Context) -> None:
        """Secrets and personal data in what the action carries (not in shell text)."""
        written_out = ""  # a strong literal assigned to a password: named only if no format is
        for pid in ctx.flagged:
            kind = self._id_kind[pid]
            if kind not in (SECRET, SENSITIVE):
                continue
            # Data counts where it is written: into a file, or a credential into a document.
            written = ctx.action.kind == "file" or (kind == SECRET and ctx.action.kind == "tool")
            for subj_index, end in ctx.hits[pid]:
                subj = ctx.subjects[subj_index]
                if subj.view not in ("text", "code", "path", "url") and not (
                    subj.view == "data" and written
                ):
                    continue
                if self._id_owner[pid] == "chat-webhook" and (
                    subj.view == "url" or ctx.action.kind == "http"
                ):
                    continue  # a webhook called: its address is where the request goes
                evidence = evidence_before(subj.text, end)
                ctx.facts.setdefault(Fact.SENSITIVE_CONTENT, evidence)
                if kind == SECRET:
                    ctx.facts.setdefault(Fact.SECRET_CONTENT, f"{self._id_owner[pid]}")
                    owner = str(self._id_owner[pid])
                    if owner == "assigned-secret" and _strong_assigned(subj.text, end):
                        written_out = owner
                    elif owner in CREDENTIAL_FORMATS or (
                        owner == "url-password" and _live_connection(subj.text)
                    ):
                        ctx.facts.setdefault(Fact.CREDENTIAL_CONTENT, owner)
                    if subj.view == "url" and self._leaves(str(self._id_owner[pid]), subj.text):
                        ctx.facts.setdefault(
                            Fact.EXFILTRATION,
                            f"{self._id_owner[pid]} in a request to {subj.text[:80]}",
                        )
                break
        if written_out:
            ctx.facts.setdefault(Fact.CREDENTIAL_CONTENT, written_out)

    def _leaves(self, secret: str, url: str) -> bool:
        """Whether a credential in a request's address goes to someone else: a vendor's token
        (`github-token`) to a host not the vendor's, any credential to an external host."""
        vendor = _VENDORS.get(secret.split("-", 1)[0])
        host = host_of(url)
        if secret == "chat-webhook" and host in _WEBHOOK_HOSTS:
            return False  # a webhook's address is its credential: posting to it is its use
        return (vendor is not None and bool(host) and vendor not in host) or self._targets.external(
            url
        )

    def _secret_in_requests(self, ctx: Context, urls: Sequence[str]) -> None:
        """A credential written into the address a command fetches or sends to (`curl
        'https://x/?t=ghp_…'`, a fetch tool's `url`), percent-encoded or not: the request
        carries it out."""
        targets = [e.target for e in ctx.effects if e.op in ("fetch", "send")]
        for target in [*targets, *urls][:16]:
            if "://" not in target:
                continue
            for text in _readings(target):
                query = text.find("?")
                for start, _, name in find_secrets(text):
                    carried = 0 <= query < start and name in _NEVER_IN_QUERIES
                    if self._leaves(name, target) or (carried and not self._targets.internal(text)):
                        ctx.facts.setdefault(
                            Fact.EXFILTRATION,
                            f"{name} in a request to {mask_secrets(text)[:80]}",
                        )
                        return

    def _derive_facts(self, ctx: Context) -> None:
        for e in ctx.effects:
            if e.op in ("delete", "truncate") and "personal-data" in e.classes:
                ctx.facts.setdefault(Fact.PERSONAL_DATA_DELETION, e.describe())
        for st in ctx.statements:
            if st.type in ("delete", "truncate", "drop") and any(
                _PEOPLE_TABLE.search(t) for t in st.tables
            ):
                ctx.facts.setdefault(Fact.PERSONAL_DATA_DELETION, st.text[:120])
        for value in ctx.arg_values.get("recipient", ()):
            if not self._targets.internal(value):
                ctx.facts.setdefault(Fact.OUTSIDE_RECIPIENT, value[:120])
        for role in ("url", "recipient") if ctx.arg_values else ():
            for value in ctx.arg_values.get(role, ()):
                if self._targets.external(value):
                    ctx.facts.setdefault(Fact.EXTERNAL_TARGET, value[:120])
                if not self._targets.internal(value):
                    ctx.facts.setdefault(Fact.UNVERIFIED_TARGET, value[:120])
        effects = ctx.effects
        if not effects:  # most actions: no comprehension (a call) to run
            return
        sends = [e for e in effects if e.op == "send"] or _foreign_fetches(ctx)
        if not sends:
            return
        secret_reads = [
            e for e in effects if e.op in ("read", "fetch") and e.classes & SECRET_CLASSES
        ]
        # A request carrying a credential to this machine's own server (a dev API on
        # localhost) sends nothing out.
        carries = (
            ctx.action.kind in ("tool", "http")
            and Fact.SECRET_CONTENT in ctx.facts
            and not all(is_loopback(e.target) for e in sends)
        )
        if not secret_reads:
            # A whole home folder or file system read (`tar czf - ~`, `rsync -a ~/`) holds the
            # keys and tokens inside it; sent anywhere not the organization's own, they go too.
            outside = [e for e in sends if not self._targets.internal(e.target)]
            if outside:
                secret_reads = [e for e in effects if e.op == "read" and e.classes & _HOLDS_SECRETS]
                sends = outside + [e for e in sends if e not in outside]
        if secret_reads or carries:
            what = secret_reads[0].describe() if secret_reads else ctx.facts[Fact.SECRET_CONTENT]
            ctx.facts.setdefault(Fact.EXFILTRATION, f"{what} → {sends[0].target[:80]}")
        if any(e.op == "read" and e.classes & DATA_CLASSES for e in effects) or (
            Fact.DATA_MENTIONED in ctx.facts and ctx.action.kind in ("tool", "http")
        ):
            ctx.facts.setdefault(Fact.DATA_TRANSFER, sends[0].describe())
        self._code_out(ctx, sends)
        untrusted = [e for e in sends if self._targets.untrusted(e.target)]
        if untrusted:
            ctx.facts.setdefault(Fact.UNTRUSTED_TARGET, untrusted[0].target[:120])
        external = [e for e in sends if self._targets.external(e.target)]
        if external:
            ctx.facts.setdefault(Fact.SEND_EXTERNAL, external[0].target[:120])
            dumps = [e for e in effects if e.op == "read" and e.classes & DATA_CLASSES]
            if dumps:
                ctx.facts.setdefault(
                    Fact.DATA_EXFILTRATION, f"{dumps[0].describe()} → {external[0].target[:80]}"
                )

    def _code_out(self, ctx: Context, sends: list[Effect]) -> None:
        """The project's code read (a git diff, bundle or archive; the whole working folder)
        and sent to a host not the organization's nor this machine."""
        project = [e for e in ctx.effects if e.op == "read" and e.classes & _PROJECT]
        outside = [
            e for e in sends if not self._targets.internal(e.target) and not is_loopback(e.target)
        ]
        if project and outside:
            what = f"{project[0].describe()} → {outside[0].target[:80]}"
            ctx.facts.setdefault(Fact.CODE_EXFILTRATION, what)


_PROJECT = frozenset({"source-code", "cwd-all"})  # what reading the project reads


def _foreign_fetches(ctx: Context) -> list[Effect]:
    """A request that carries a vendor's credential (`gho_…` in a header) to a host not the
    vendor's sends it, whatever its method: the fetches it makes (none for other actions)."""
    owner = ctx.facts.get(Fact.CREDENTIAL_CONTENT) if ctx.action.kind in ("tool", "http") else None
    hosts = _VENDOR_HOSTS.get(owner) if isinstance(owner, str) else None
    if hosts is None:
        return []
    return [
        e
        for e in ctx.effects
        if e.op == "fetch"
        and not is_loopback(e.target)
        and not any(h in host_of(e.target) for h in hosts)
    ]


# A credential format → words of the hosts it is used with (a private key: none).
_VENDOR_HOSTS: dict[str, tuple[str, ...]] = {
    "private-key": (), "encoded-private-key": (), "github-token": ("github", "ghcr.io"),
    "gitlab-token": ("gitlab",), "slack-token": ("slack",), "openai-key": ("openai",),
    "google-api-key": ("google",), "stripe-key": ("stripe",), "npm-token": ("npmjs",),
    "pypi-token": ("pypi",), "huggingface-token": ("huggingface", "hf.co"),
    "sendgrid-key": ("sendgrid",), "digitalocean-token": ("digitalocean",),
}  # fmt: skip
