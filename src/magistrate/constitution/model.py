"""The constitution's data model: articles, rules, risk policy, roles, path classes."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from magistrate.levels import Decision, Risk

Kind = Literal["shell", "sql", "tool", "prompt", "tool_output", "http", "file", "deploy", "other"]
KINDS: tuple[Kind, ...] = get_args(Kind)
# Views: how a piece of an action is read. Text patterns say which views they apply to.
View = Literal[
    "text",
    "shell",
    "sql",
    "code",
    "tool",
    "path",
    "url",
    "recipient",
    "args",
    "data",
    "added",
    "removed",
]
VIEWS: tuple[View, ...] = get_args(View)
# Path operations, then resource operations (magistrate.analysis.effects says what each means).
EffectOp = Literal[
    "read",
    "write",
    "append",
    "delete",
    "truncate",
    "perm",
    "exec",
    "send",
    "fetch",
    "destroy",
    "install",
    "stop",
    "control",
    "persist",
    "privilege",
    "rewrite",
    "apply",
    "publish",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Article(_Strict):
    """One article of the constitution: a principle that rules cite."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    number: int = Field(ge=1)
    title: str
    text: str


class ShellMatch(_Strict):
    """Conditions on one invocation of a shell command (all given conditions must hold)."""

    command: list[str] = []  # command names; `mkfs*` matches a prefix
    subcommand: list[str] = []  # `push`, `s3 rb`, `delete namespace` (prefix of the operands)
    flags: list[str] = []  # any of these flags (short letters or long names)
    flags_all: list[str] = []
    flags_none: list[str] = []
    args: list[str] = []  # any of these regexes over the joined arguments
    args_all: list[str] = []
    not_args: list[str] = []  # none of these regexes
    targets: list[str] = []  # any operand in one of these path classes…
    not_targets: list[str] = []  # …and in none of these
    via: list[str] = []  # reached through one of these wrappers (sudo, ssh, bash…)
    privileged: bool | None = None
    stdin: list[str] = []  # its input comes from: network, decoder, literal, file, command


class SqlMatch(_Strict):
    """Conditions on one SQL statement."""

    statement: list[str] = []  # select insert update delete drop truncate alter grant revoke…
    object: list[str] = []  # table database schema view index user role… (`own-table`: a
    # table dropped by the batch that created it)
    where: list[Literal["none", "tautology", "present"]] = []
    tables: list[str] = []  # regexes over table names (any matches)…
    not_tables: list[str] = []  # …and none of these (scratch and temporary tables)
    actions: list[str] = []  # any of: drop (ALTER … DROP), all, superuser, cascade…


class EffectMatch(_Strict):
    """Conditions on an effect: an operation on a target of some path classes."""

    op: list[EffectOp]
    classes: list[str] = []  # empty: any target
    all_classes: list[str] = []  # …and every one of these (`[recursive]`: and recursively)
    not_classes: list[str] = []
    command: list[str] = []  # regexes over the command or tool that has the effect
    privileged: bool | None = None  # done with (True) or without (False) raised privileges


class ToolMatch(_Strict):
    """Conditions on a tool call: its name (as words) and argument values."""

    name: list[str] = []  # regexes over the tool name split into words: `github delete repo`
    not_name: list[str] = []  # …and none of these
    args: dict[str, list[str]] = {}  # argument role → regexes over its values


class Match(_Strict):
    """What a rule matches. Every condition given must hold; an empty match matches all."""

    patterns: list[str] = []
    in_: list[View] = Field(default=["text"], alias="in")
    unless: list[str] = []  # patterns that, present in the same view, veto the match
    # Patterns of which one must match too, in a view the rule reads: with `patterns`, a rule
    # that needs two things said (who is addressed, and what is asked of them).
    also: list[str] = []
    # With `also`: the asked must be said near the address — starting at most this many
    # characters after a `patterns` match ends (or a fifth of that before it begins), so an
    # address and an ask far apart in a long document do not make one order.
    also_within: int | None = Field(default=None, gt=0)
    shell: ShellMatch | None = None
    sql: SqlMatch | None = None
    effect: EffectMatch | None = None
    tool: ToolMatch | None = None
    facts: list[str] = []  # all of these derived facts (remote-code, exfiltration…)
    # Not when every resource the action destroys is named for tests or development (a preview
    # namespace, a dev instance) and none for production: what a tool's arguments identify.
    unless_scratch: bool = False


# An example action: a string (the text of an action of the rule's natural kind) or a mapping
# in the format of `Action.from_dict` (`{kind: tool, tool: send_email, args: {...}}`).
Example = str | dict[str, Any]


class Examples(_Strict):
    """Actions the rule must match, and look-alikes it must not match (tested, not advisory)."""

    match: list[Example] = []
    no_match: list[Example] = []


class Rule(_Strict):
    """A rule: what it matches, the article it enforces, the risk, an optional decision."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    article: str
    risk: Risk
    decision: Decision | None = None
    description: str = ""
    kinds: list[Kind] = []  # empty: every kind of action
    kind_risk: dict[Kind, Risk] = {}  # a different tier for some kinds (data vs. a request)
    match: Match = Match()
    examples: Examples = Examples()


class Role(_Strict):
    """What an agent role may do: kinds of action, tools (glob patterns), maximum risk."""

    description: str = ""
    kinds: list[Kind] = list(KINDS)
    tools: list[str] = ["*"]
    max_risk: Risk = Risk.CRITICAL


class RiskPolicy(_Strict):
    """The decision each risk tier gets when no rule decides otherwise."""

    LOW: Decision = Decision.ALLOW
    MEDIUM: Decision = Decision.ALLOW
    HIGH: Decision = Decision.ESCALATE
    CRITICAL: Decision = Decision.ESCALATE

    def decision_for(self, risk: Risk) -> Decision:
        """The decision for a tier."""
        result: Decision = getattr(self, risk.value)
        return result


class Organization(_Strict):
    """Who is inside, and which destinations are outside for sure.

    Hosts and addresses in `domains` are internal; in `personal_domains` (free mail) or
    `untrusted_domains` (paste sites, tunnels, request bins) or with `untrusted_words` in their
    name, or public IP addresses, are external. Any other host is external only when
    `unknown_is_external` is true (set it once `domains` lists all of yours).
    """

    domains: list[str] = []
    personal_domains: list[str] = []
    untrusted_domains: list[str] = []
    untrusted_words: list[str] = []
    unknown_is_external: bool = False


class ToolArguments(_Strict):
    """How argument names map to roles (regexes over the argument name, case-insensitive)."""

    shell: list[str] = []
    sql: list[str] = []
    code: list[str] = []
    path: list[str] = []
    url: list[str] = []
    recipient: list[str] = []
    content: list[str] = []
    environment: list[str] = []
    method: list[str] = []
    operation: list[str] = []
    replaced: list[str] = []  # the text an edit replaces (not read: the action does not write it)


class ToolVerbs(_Strict):
    """Words in a tool's name that say what it does (regexes over the name as words)."""

    read: list[str] = []
    write: list[str] = []
    delete: list[str] = []
    send: list[str] = []
    exec: list[str] = []
    fetch: list[str] = []


class SofiaTriggers(_Strict):
    """When Sofia, the ethical counsel, is consulted."""

    min_risk: Risk = Risk.HIGH  # actions at or above this tier
    facts: list[str] = []  # actions with any of these facts (exfiltration, personal data…)
    patterns: list[str] = []  # ethical signals in the text (privacy, consent, harm…)
    crisis: list[str] = []  # language about harm to a person: requires a professional
    # …unless the text is the help itself (a crisis line's post, a prevention lesson, a eulogy)
    crisis_support: list[str] = []
    # …which a person's own words about themselves always outweigh ("I want to end my life")
    crisis_self: list[str] = []


class SequenceExamples(_Strict):
    """Sessions (lists of actions, in order) whose last action must, or must not, fire the rule."""

    match: list[list[Example]] = []
    no_match: list[list[Example]] = []


class SequenceRule(_Strict):
    """A rule over a session: an action marked `then` after one marked `first`, within a window.

    Marks are effect operations (`send`), operations on a class (`read:secret`) and facts
    (`remote-code`), as the risk detector reports them.
    """

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    article: str
    risk: Risk
    decision: Decision | None = None
    description: str = ""
    first: list[str]
    then: list[str]
    same_target: bool = False  # the `then` action touches a file the `first` one did
    within_s: float = Field(default=900.0, gt=0)
    examples: SequenceExamples = SequenceExamples()


class Constitution(_Strict):
    """A whole constitution."""

    name: str
    description: str = ""
    articles: list[Article]
    policy: RiskPolicy = RiskPolicy()
    path_classes: dict[str, list[str]] = {}
    tool_arguments: ToolArguments = ToolArguments()
    tool_verbs: ToolVerbs = ToolVerbs()
    organization: Organization = Organization()
    sensitive_content: list[str] = []  # patterns marking content as personal or secret data
    # Named lists of text patterns: `{set: NAME}` in a rule's `patterns` or `unless`.
    pattern_sets: dict[str, list[str]] = {}
    roles: dict[str, Role] = {}
    rules: list[Rule] = []
    sequences: list[SequenceRule] = []
    sofia: SofiaTriggers = SofiaTriggers()
