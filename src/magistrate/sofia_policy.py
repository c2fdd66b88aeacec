"""What Sofia's System 2 reads: the actions rules cannot judge, never routine work.

With an LLM configured, System 2 reads every prompt, tool output that System 1 found something
in (instructions hidden in data, secrets, personal data), consequential tool calls (sending,
sharing, paying, granting, deleting, anything addressed outside the organisation) and whatever
System 1 is unsure of (programs it does not recognise, analysis it could not finish,
. Reads, builds, tests and VCS work that System 1 recognises as
benign never wait on a model. The policy reads only the cached `RiskAssessment` and the
action's kind and tool name, so deciding costs microseconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from magistrate.action import KINDS, Action
from magistrate.analysis import KNOWN_FACTS
from magistrate.analysis import commands as _commands
from magistrate.analysis.effects import OPS
from magistrate.analysis.tools import ToolVerbs, tool_words
from magistrate.levels import Decision
from magistrate.risk import RiskAssessment

# Facts that make an action consequential: data or messages leaving, people's records deleted.
CONSEQUENTIAL_FACTS = (
    "outside-recipient",
    "send-external",
    "untrusted-target",
    "data-transfer",
    "data-exfiltration",
    "code-exfiltration",
    "exfiltration",
    "personal-data-deletion",
)
# Facts that say System 1 could not see everything (an analysis limit, a hidden payload).
UNSURE_FACTS = ("nesting-too-deep", "decoded-exec")
# Effect operations that make a tool, HTTP or file call consequential.
CONSEQUENTIAL_OPS = ("send", "delete", "perm")
# Words of a tool's name for consequences the effect vocabulary has no operation for.
CONSEQUENTIAL_WORDS = (
    "pay payment payout charge refund purchase buy checkout order transfer wire invoice "
    "grant revoke share invite permission permissions role roles approve sign publish "
    "book subscribe unsubscribe"
).split()
READ_KINDS = ("prompt",)

# Programs everyday development and operations run that the command tables do not describe
# (build tools, test runners, linters, inspectors). A program on neither list is one System 1
# does not know, so System 2 reads it.
ROUTINE_PROGRAMS = frozenset(
    """
    make cmake ninja meson bazel buck gradle gradlew mvn mvnw ant sbt lein mix rebar3 cargo
    rustc rustup go gofmt dotnet msbuild swift swiftc xcodebuild clang gcc g++ cc ld javac
    java kotlinc scalac tsc deno bun yarn pnpm npm npx node poetry pipenv pdm uv uvx hatch tox
    nox pip pip3 pipx conda mamba bundle bundler gem rake rails composer php artisan
    pytest py.test unittest jest vitest mocha karma rspec phpunit ctest go-test behave
    ruff black isort flake8 pylint mypy pyright bandit pip-audit eslint prettier stylelint
    rubocop golangci-lint gofumpt clippy shellcheck hadolint yamllint markdownlint sqlfluff
    kubeconform kubeval checkov tflint trivy gitleaks semgrep codespell pre-commit
    dbt alembic prisma flyway liquibase airflow sam serverless pulumi terraform-docs
    git gh hg svn git-lfs tig
    date id whoami uptime free top htop btop ss netstat lsof pgrep pidof fuser history
    sw_vers system_profiler getenforce sestatus hostnamectl timedatectl uname df du ps
    vmstat iostat nproc lscpu lsblk tree file which whereis type jq yq less more wc sort
    uniq cut tr column diff cmp comm nl fold fmt pwd realpath dirname basename seq sleep
    true false test expr bc dc cal man info help tldr clear reset tput stty dir findstr
    where tasklist systeminfo ver hostname ipconfig ifconfig ip
    """.split()
)
# Places outside the workspace (path classes of the constitution), and personal data.
_OUTSIDE_CLASSES = frozenset(
    "root home user-data home-config system data device secret absolute remote-container "
    "personal-data git-hooks auth-config authorized-keys shell-init governance parent "
    "environment database-dump".split()
)
_EMAIL_AT = re.compile(r"[\w.+-]@[\w-]+\.[\w.-]+")
_PRIVILEGE = frozenset({"sudo", "doas", "su", "pkexec", "runas", "gsudo"})
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "[::1]", "::1", ""})
# Path classes whose deletion a rebuild undoes.
_SCRATCH_CLASSES = frozenset({"artifact", "temp"})
# Words of a tool's name that say it only reads what the other words name.
_READING_WORDS = frozenset(
    "get list read retrieve search find show view describe lookup query fetch count check "
    "download "
    "preview estimate validate status".split()
)
# PowerShell verbs that only read (Get-ChildItem, Select-Object, Test-NetConnection...).
_READING_VERBS = frozenset(
    "get select where format measure sort group test find show read compare resolve "
    "convertto convertfrom out write-output foreach tee join split".split()
)


def _command_tables() -> frozenset[str]:
    """Every program the shell analyzer's command tables describe."""
    names: set[str] = set()
    for key, value in vars(_commands).items():
        if key.isupper() and isinstance(value, (frozenset, set, dict, tuple, list)):
            names.update(x for x in value if isinstance(x, str))
    return frozenset(names)


KNOWN_PROGRAMS = _command_tables() | ROUTINE_PROGRAMS


@dataclass(frozen=True, slots=True)
class ReadPolicy:
    """Which actions System 2 reads (configurable; see docs/sofia.md)."""

    kinds: frozenset[str] = frozenset(READ_KINDS)
    facts: frozenset[str] = frozenset(CONSEQUENTIAL_FACTS)
    ops: frozenset[str] = frozenset(CONSEQUENTIAL_OPS)
    tool_words: frozenset[str] = frozenset(CONSEQUENTIAL_WORDS)
    outputs: bool = True  # tool output in which System 1 found anything
    unsure: bool = True  # unknown programs, unfinished analysis
    # unknown programs read: "outside-workspace" (those whose arguments reach outside it) or "all"
    unknown: str = "outside-workspace"
    known_programs: frozenset[str] = field(default=KNOWN_PROGRAMS, repr=False)
    # what a tool's name says it does (the constitution's `tool_verbs`; set by Sofia)
    verbs: ToolVerbs | None = field(default=None, repr=False, compare=False)

    def with_verbs(self, verbs: ToolVerbs) -> ReadPolicy:
        """This policy, reading tool names with the constitution's verbs."""
        return replace(self, verbs=verbs)

    @classmethod
    def from_settings(
        cls,
        kinds: Iterable[str] | None = None,
        facts: Iterable[str] | None = None,
        ops: Iterable[str] | None = None,
        tool_words: Iterable[str] | None = None,
        outputs: bool = True,
        unsure: bool = True,
        programs: Iterable[str] = (),
        unknown: str = "outside-workspace",
    ) -> ReadPolicy:
        """A policy from settings (None: the default); unknown facts are rejected."""
        if unknown not in ("outside-workspace", "all"):
            raise ValueError("sofia unknown programs: outside-workspace or all")
        chosen_facts = frozenset(CONSEQUENTIAL_FACTS if facts is None else facts)
        strange = chosen_facts - KNOWN_FACTS
        if strange:
            raise ValueError(f"sofia read facts: unknown fact(s) {', '.join(sorted(strange))}")
        chosen_kinds = frozenset(READ_KINDS if kinds is None else kinds)
        if chosen_kinds - KINDS:
            raise ValueError(f"sofia read kinds: unknown kind(s) {sorted(chosen_kinds - KINDS)}")
        chosen_ops = frozenset(CONSEQUENTIAL_OPS if ops is None else ops)
        if chosen_ops - OPS:
            raise ValueError(f"sofia read effects: unknown operation(s) {sorted(chosen_ops - OPS)}")
        return cls(
            kinds=chosen_kinds,
            facts=chosen_facts,
            ops=chosen_ops,
            tool_words=frozenset(
                w.lower() for w in (CONSEQUENTIAL_WORDS if tool_words is None else tool_words)
            ),
            outputs=outputs,
            unsure=unsure,
            unknown=unknown,
            known_programs=KNOWN_PROGRAMS | frozenset(p.lower() for p in programs),
        )

    def reason(self, action: Action, assessment: RiskAssessment) -> str | None:
        """Why System 2 should read this action, or None when it should not."""
        if assessment.crisis:
            return "crisis-language"
        if assessment.rule_decision is Decision.DENY:
            return None  # already denied: a reader can make it no stricter
        kind = action.kind
        if kind in self.kinds:
            return f"kind:{kind}"
        if kind == "tool_output":
            if self.outputs and (assessment.signals or assessment.ethical or assessment.facts):
                return "suspicious-output"
            return None
        facts = assessment.facts
        if facts:
            for name in self.facts:
                if name in facts:
                    return f"fact:{name}"
        if kind in ("tool", "http", "file", "other"):
            found = self._consequential_call(action, assessment)
            if found:
                return found
        if self.unsure:
            return self._unsure(action, assessment)
        return None

    def _consequential_call(self, action: Action, assessment: RiskAssessment) -> str | None:
        for effect in assessment.effects:
            if effect.op in self.ops and not _scratch(effect.op, effect.target, effect.classes):
                return f"effect:{effect.op}"
        if not action.tool:
            return None
        spoken = tool_words(action.tool)
        words = spoken.split()
        if not _READING_WORDS.isdisjoint(words):  # `retrieve_charge`, `list_refunds` only read
            return None
        if self.verbs is not None:
            judged = {e.op for e in assessment.effects}  # weighed above, target by target
            for op in self.verbs.ops(spoken):  # `github.delete_repository`: no path, a delete
                if op in self.ops and op not in judged:
                    return f"tool-verb:{op}"
        for word in words:
            if word in self.tool_words:
                return f"tool:{word}"
        return None

    def _unsure(self, action: Action, assessment: RiskAssessment) -> str | None:
        facts = assessment.facts
        for name in UNSURE_FACTS:
            if name in facts:
                return f"unsure:{name}"
        if action.kind == "other" and not action.tool:
            return "unsure:kind-other"  # an action System 1 cannot even classify
        if action.tool and self.verbs is not None and not assessment.effects:
            spoken = tool_words(action.tool)
            if _READING_WORDS.isdisjoint(spoken.split()) and not self.verbs.ops(spoken):
                return "unsure:unknown-tool"  # `browser.click`, `k8s.scale`: no known verb
        if action.kind == "shell":
            for name in assessment.commands:
                if not self._recognised(name, action.text) and (
                    self.unknown == "all" or _reaches_out(action.text, assessment)
                ):
                    return f"unknown-program:{name[:60]}"
        return None

    def _recognised(self, name: str, text: str) -> bool:
        """A program System 1 knows, a PowerShell reading cmdlet, or a script in the workspace."""
        lowered = name.lower()
        if lowered in self.known_programs or not lowered[:1].isalpha():
            return True  # names that do not start with a letter are parser leftovers
        verb, dash, _ = lowered.partition("-")
        if dash and verb in _READING_VERBS:
            return True
        return _workspace_script(name, text)

    def describe(self) -> dict[str, Any]:
        """The policy as `magistrate status` shows it."""
        return {
            "kinds": sorted(self.kinds),
            "tool_outputs_with_findings": self.outputs,
            "facts": sorted(self.facts),
            "effects": sorted(self.ops),
            "tool_words": sorted(self.tool_words),
            "unsure": self.unsure,
            "unknown_programs": self.unknown if self.unsure else "none",
            "never": "routine work System 1 recognises (reads, builds, tests, VCS, inspection)",
        }


def _reaches_out(text: str, assessment: RiskAssessment) -> bool:
    """True when a command line reaches beyond the workspace: privilege, an absolute or home
    path, a URL or address that is not this machine, or an effect on a classified place. An
    unknown program that only gets workspace arguments (`turbo run dev`, `just test`) is
    bounded by them, so it is not worth a model's time (nor, with the model down, a human's)."""
    if any(e.classes & _OUTSIDE_CLASSES for e in assessment.effects):
        return True
    for raw in text.split():
        token = raw.strip("'\"()=;&|<>`,")
        if not token:
            continue
        if token in _PRIVILEGE or token.startswith(("/", "~", "$HOME", "\\")):
            return True
        if len(token) > 2 and token[1] == ":" and token[0].isalpha():  # C:\ or C:/
            return True
        if "://" in token or _EMAIL_AT.search(token):
            host = token.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1].split(":")[0]
            if host not in _LOCAL_HOSTS:
                return True
    return False


def _scratch(op: str, target: str, classes: frozenset[str]) -> bool:
    """A delete of build output, temporary files or a workspace file (undone by a rebuild or
    version control) is routine; any other consequential effect is not."""
    if op != "delete":
        return False
    if classes:
        return classes <= _SCRATCH_CLASSES
    return bool(target) and not target.startswith(("/", "~", "$", "\\")) and "://" not in target


def _workspace_script(name: str, text: str) -> bool:
    """True when every mention of `name` in the command is a relative path (`./run.sh`,
    `scripts/gen.sh`): the project's own code, like `python app.py`."""
    seen = False
    for token in text.replace(";", " ").replace("&", " ").replace("|", " ").split():
        token = token.strip("'\"()")
        if token == name:
            return False  # a bare name: found on PATH, not in the workspace
        if token.endswith("/" + name):
            if token.startswith(("/", "~", "$", "..")):
                return False
            seen = True
    return seen


__all__ = ["CONSEQUENTIAL_FACTS", "KNOWN_PROGRAMS", "ReadPolicy"]
