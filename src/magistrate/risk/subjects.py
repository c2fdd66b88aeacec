"""What an action says, as subjects to read: each piece of it in the view it is read in.

A shell command, SQL, prose, a tool's name and arguments, a file's path and content, a URL:
`SubjectReader.read` turns an action into a `Context` whose subjects say which analyzer reads
each piece (and which rule conditions see it). Code inside prose and untyped values is
sniffed out; base64 blobs are decoded; Portuguese and Spanish are read through an English
gloss as well.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from magistrate.action import Action
from magistrate.analysis.disguise import unleet, unrot13
from magistrate.analysis.facts import Fact
from magistrate.analysis.gloss import gloss
from magistrate.analysis.paths import PathClassifier
from magistrate.analysis.scripts import (
    MAX_SCRIPT_COMMANDS,
    commands_in,
    config_commands,
    holds_commands,
    is_command_config,
    is_shell_script,
)
from magistrate.analysis.shell_state import CRON_SCHEDULE
from magistrate.analysis.sql import fold_concatenation
from magistrate.analysis.text import (
    code_in_prose,
    explains_only,
    looks_like_shell,
    looks_like_sql,
    native,
    skeleton,
    unescaped,
)
from magistrate.analysis.tool_commands import CLI_ARGS, tool_command
from magistrate.analysis.tools import ArgumentRoles, ToolVerbs, flatten_args, tool_words
from magistrate.rule_match import MEMO_ENTRIES, MEMO_KEY_CHARS, Context, Subject

__all__ = ["HTTP_LINE", "MAX_ARGS_VIEW", "PATHLIKE", "SubjectReader"]

MAX_ARGS_VIEW = 2_000_000  # the joined arguments, scanned whole (Hyperscan is linear)
_HTTP_JSON = re.compile(
    r"^\s*((?:GET|POST|PUT|PATCH|DELETE)\s+\S+)\s+body\s+(\{.*\})\s*$", re.I | re.S
)


def _json_request(text: str) -> tuple[str, dict[str, Any]] | None:
    """(request line, body) of `METHOD URL body {JSON object}`; None for anything else."""
    m = _HTTP_JSON.match(text)
    if m is None:
        return None
    try:
        body = json.loads(m.group(2))
    except (ValueError, RecursionError):
        return None
    return (m.group(1), body) if isinstance(body, dict) else None


CLI_TOOL = "tool:cli"  # the origin of the command line a tool wrapping a program runs

HTTP_LINE = re.compile(r"^\s*(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+(\S+)", re.I)
PATHLIKE = re.compile(r"^\s*(?:[~/]|\.{1,2}/|[A-Za-z]:[\\/]|\$HOME)\S*\s*$|^\S+\.\w{1,8}$")
_DB_WORDS = re.compile(
    r"\b(sql|db|database|query|postgres|postgresql|mysql|sqlite|snowflake"
    r"|bigquery|redshift|warehouse|table|sqlserver|mssql|tsql|mariadb|oracle|clickhouse|duckdb)\b"
)
_CARET = re.compile(r"(?<=[\w\"])\^(?=[\w\"])")
_CONCAT_HINT = re.compile(r"['\"]\s*\+\s*['\"]")
_UI_ACTION = re.compile(r"\b(click|press|tap|select|submit|choose|toggle|confirm)\b")
_LABEL_KEY = re.compile(r"(label|text|name|title|aria|button|caption|value)", re.I)
_URL_VALUE = re.compile(r"^(?:https?|ftp|s3|gs)://\S+$", re.I)
_FILE_TEXT = re.compile(
    r"^\s*(read|write|append|delete|remove|create|edit|overwrite|truncate|open|cat|rm|save"
    r"|update|modify|chmod|move|copy|upload)\s+(?:to\s+|file\s+|the\s+file\s+)?([^\s:]+):?"
    r"(?:\s+(.*))?$",
    re.I | re.S,
)
_BASE64_BLOB = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")
# Files whose content runs later (start-up files, cron, services, hooks, CI): content written
# there is read as the commands it will become; anywhere else it is data.
_RUNS_LATER = frozenset({"shell-init", "git-hooks", "authorized-keys", "auth-config", "system"})
# `_runs_later`: content read as commands ("image": a container image's recipe)
_READ_AS_COMMANDS = ("commands", "image", "shell", "config")
# What a command-running tool's call says about its command, written by the agent for the
# person watching (Claude Code's `description`, Cursor's `explanation`, Cline's
# `requires_approval`): the command is what runs and is judged; its caption is neither a request
# nor a setting ("Tear down the preview environment" is not an order to destroy data).
_COMMAND_CAPTIONS = frozenset(
    {"description", "explanation", "requires_approval", "is_background", "run_in_background"}
)


_Pair = tuple[str | None, str, str]  # (role, argument name, value)


# Names under which rules reading the arguments' view look for a recipient; a recipient nested
# under another name (Microsoft Graph's `toRecipients[].emailAddress.address`) is written there
# by its role.
_RECIPIENT_NAME = re.compile(
    r"(destination|deliver_?to|recipients?|to|cc|bcc|e-?mails?|share_?with)$", re.I
)


# A switch named for skipping a safeguard (`skip_dual_approval`, `bypassGovernanceRetention`),
# set off: the safeguard stays, and the name's `approval` or `governance` must not read as the
# safeguard itself switched off.
_SKIP_SWITCH = re.compile(
    r"^([Ss]kip|[Bb]ypass|[Dd]isable|[Ii]gnore|[Ww]ithout|[Nn]o[_-]|no[A-Z]|[Aa]llow_?[Uu]nsafe)"
)
_OFF = frozenset({"false", "0", "no", "off"})


def _arguments_view(pairs: Sequence[_Pair]) -> str:
    """Every argument as `name=value`, one a line; the text an edit replaces is left out (it
    is not what the action writes)."""
    return "\n".join(f"{_view_name(role, k, v)}={v}" for role, k, v in pairs if role != "replaced")


# A notebook cell's `source` and a page's `script` (what a notebook, REPL or evaluate tool runs)
# are program code, not a file's path or a shell line; a cell's shell lines (IPython's `!cmd`,
# `x = !cmd`, `%sx`/`%system`, a `%%bash`, `%%sh`, `%%!` or `%%script SHELL` cell) run in the
# shell. A path given as `source` stays a path (`set_input_files {"source": "~/.ssh/id_rsa"}`).
_CODE_TOOLS = re.compile(r"\b(notebook|jupyter|ipython|cell|repl|evaluate|eval)\b")
_CODE_KEYS = frozenset({"source", "script", "cell", "cell_source", "cellsource"})
_PATH_VALUE = re.compile(r"^[~./\w-]*(/[\w.@+-]+)+/?$|^[\w.-]+\.\w{1,5}$")
_NOTEBOOK_SHELL = re.compile(
    r"^[ \t]*(?:[A-Za-z_]\w*\s*=\s*)?(?:!!?|%sx\s|%system\s)(?![=!])([^\n]{1,2000})$"
    r"|\A\s*%%(?:bash|sh|!|script\s+(?:--\S+\s+)*\S*sh\b)[^\n]*\n([\s\S]{1,20000})",
    re.M,
)


def _code_roles(tool_words: str, pairs: list[_Pair]) -> list[_Pair]:
    """The pairs with a notebook or evaluate tool's `source`/`script` as code, and a notebook
    cell's shell lines as shell."""
    if not tool_words or not _CODE_TOOLS.search(tool_words):
        return pairs
    out: list[_Pair] = []
    for role, key, value in pairs:
        if key.lower() in _CODE_KEYS and not _PATH_VALUE.match(value.strip()):
            out.append(("code", key, value))
            out += [("shell", key, m[1] or m[2]) for m in _NOTEBOOK_SHELL.finditer(value[:50_000])]
        else:
            out.append((role, key, value))
    return out


def _said(pairs: list[_Pair], subjects: Sequence[Subject]) -> list[_Pair]:
    """The arguments that say something: captions of a command-running call, skip switches
    left off (`_SKIP_SWITCH`) and a wrapped program's argument list (`kubectl {"args": […]}`)
    already read as its command line (`tool_command`), not words of a request."""
    cli = any(s.origin == CLI_TOOL for s in subjects)
    return [
        p
        for p in _without_captions(pairs)
        if not (p[2].lower() in _OFF and _SKIP_SWITCH.match(p[1]))
        and not (cli and p[1].lower() in CLI_ARGS)
    ]


def _view_name(role: str | None, key: str, value: str) -> str:
    """The name an argument has in the arguments' view: its own, or `recipient` for an e-mail
    address whose own name says nothing of it (not a delivery `address` such as "home")."""
    named = _RECIPIENT_NAME.search(key)
    return "recipient" if role == "recipient" and not named and "@" in value else key


def _has_path(pairs: Sequence[_Pair]) -> bool:
    """Whether an argument names a file path."""
    return any(role == "path" for role, _, _ in pairs)


def _without_captions(pairs: list[_Pair]) -> list[_Pair]:
    """A command-running call's arguments without its captions (`_COMMAND_CAPTIONS`)."""
    if not any(role == "shell" for role, _, _ in pairs):
        return pairs
    return [p for p in pairs if p[1].lower() not in _COMMAND_CAPTIONS]


# Container image recipes: their RUN lines run inside the image being built.
_IMAGE_BUILD = re.compile(r"(^|/)([\w.-]*\.)?(dockerfile|containerfile)(\.[\w.-]+)?$", re.I)
# Program source; a `.pth` file's `import` lines run whenever Python starts.
_CODE_FILE = re.compile(r"\.(py|pth|rb|pl|js|mjs|cjs|ts|php|lua|rs|go)$", re.I)


_BASE64_VALUE = re.compile(r"[A-Za-z0-9+/\s]{40,}={0,2}")


def _encoded_script(value: str) -> str | None:
    """A whole argument that is base64 of a script (a shebang first, `IyE` encoded; at most
    64 KiB, EC2's limit is 16): the script."""
    if len(value) > 65_536 or not _BASE64_VALUE.fullmatch(value):
        return None
    try:
        plain = base64.b64decode("".join(value.split()), validate=False)[:65536].decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return plain if plain.startswith("#!") else None


class SubjectReader:
    """Reads actions into contexts of subjects. Thread-safe; one per detector."""

    def __init__(
        self,
        roles: ArgumentRoles,
        verbs: ToolVerbs,
        classifier: PathClassifier,
        commands: frozenset[str],
    ) -> None:
        self.roles = roles
        self.verbs = verbs
        self.classifier = classifier
        self.commands = commands  # command names that make text look like a shell command
        self._verb_ops = functools.lru_cache(maxsize=MEMO_ENTRIES)(
            lambda words: tuple(verbs.ops(words))
        )

    def read(self, action: Action) -> Context:
        """The action's context: its subjects, argument values by role and tool words."""
        subjects: list[Subject] = []
        ctx = Context(action, subjects)
        kind = action.kind
        body: dict[str, Any] | None = None
        text = skeleton(action.text) if action.text else ""
        if text:
            if kind == "shell":
                if "^" in text:
                    text = _CARET.sub("", text)  # cmd.exe escapes: c^m^d → cmd
                subjects.append(Subject("shell", text, "text"))
                if "+" in text and _CONCAT_HINT.search(text):  # the hint needs a plus
                    folded = fold_concatenation(text)
                    if folded != text:
                        subjects.append(Subject("shell", folded, "folded"))
            elif kind == "sql":
                subjects.append(Subject("sql", text, "text"))
            elif kind == "tool_output":
                subjects.append(Subject("text", text, "text"))
                if (plain := unescaped(text)) is not None:  # a JSON string's `\n` read as a break
                    subjects.append(Subject("text", plain, "text:unescaped"))
                if _BASE64_BLOB.search(text):
                    self._decoded(text, "text", subjects)
                if (kept := native(action.text)) is not None:  # Russian read as Russian too
                    subjects.append(Subject("text", kept, "text:native"))
            elif kind == "file" and PATHLIKE.match(text):
                subjects.append(Subject("path", text.strip(), "text"))
            elif kind == "file" and (m := _FILE_TEXT.match(text)):
                ctx.arg_values.setdefault("operation", []).append(m.group(1).lower())
                subjects.append(Subject("path", m.group(2), "text"))
                if m.group(3):  # the content written is data; code in it is still read as code
                    subjects.append(Subject("data", m.group(3), "text"))
                    self._sniff(m.group(3), "text", subjects)
            elif kind == "http" and (request := _json_request(text)) is not None:
                # `POST URL body {…}`: read whole as text, but code is looked for in the JSON
                # body as in the arguments it is (its keys are names, not commands in prose).
                subjects.append(Subject("text", text, "text"))
                body = request[1]
            else:
                subjects.append(Subject("text", text, "text"))
                self._sniff(text, "text", subjects)
                if _BASE64_BLOB.search(text):
                    self._decoded(text, "text", subjects)
                if (kept := native(action.text)) is not None:
                    subjects.append(Subject("text", kept, "text:native"))
        if action.tool:
            ctx.tool_words = tool_words(skeleton(action.tool))
            if action.args and _UI_ACTION.search(ctx.tool_words):
                # A click or keypress is named by what it presses: `Close account`.
                labels = [v for k, v in flatten_args(action.args) if _LABEL_KEY.search(k)]
                ctx.tool_words = " ".join([ctx.tool_words, *(tool_words(v) for v in labels)])
            subjects.append(Subject("tool", ctx.tool_words, "tool"))
            if action.args and (line := tool_command(ctx.tool_words, action.args)) is not None:
                subjects.append(Subject("shell", line, CLI_TOOL))  # the command it runs
        if action.args:
            self._argument_subjects(action, ctx)
        elif body:
            self._argument_subjects(action, ctx, body)
        if action.target:
            target = skeleton(action.target)
            view = "path" if PATHLIKE.match(target) else "environment"
            subjects.append(Subject(view, target, "target"))
        if action.context:
            for role, key, value in self.roles.by_role(action.context):
                if role == "environment":
                    subjects.append(Subject("environment", value, f"context.{key}"))
        # Requests in Portuguese or Spanish are read through an English gloss as well, and text
        # disguised as leetspeak or ROT13 in its plain form.
        for subj in [s for s in subjects if s.view == "text"][:8]:
            glossed = gloss(subj.text)
            if glossed is not None:
                subjects.append(Subject("text", glossed, f"{subj.origin}:gloss"))
            for name, plain in (("leet", unleet(subj.text)), ("rot13", unrot13(subj.text))):
                if plain is not None:
                    subjects.append(Subject("text", plain, f"{subj.origin}:{name}"))
        return ctx

    def _decoded(self, text: str, origin: str, subjects: list[Subject]) -> None:
        """Base64 blobs in prose or data, decoded, as extra text to read (hidden instructions)."""
        for blob in _BASE64_BLOB.findall(text)[:8]:
            try:
                plain = base64.b64decode(blob + "=" * (-len(blob) % 4)).decode("utf-8")
            except (binascii.Error, ValueError):
                continue
            letters = sum(c.isalpha() or c == " " for c in plain)
            if plain.isprintable() and letters > 0.8 * len(plain):
                subjects.append(Subject("text", plain, f"{origin}:base64"))
                self._sniff(plain, f"{origin}:base64", subjects)

    def _sniff(self, text: str, origin: str, subjects: list[Subject]) -> None:
        """Code inside prose or untyped values: a whole command, SQL, or embedded snippets."""
        if text.startswith("#!") and ("sh" in text[:40] or "pwsh" in text[:40]):
            subjects.append(Subject("shell", text, origin))  # a script: its lines are commands
            return
        cron = CRON_SCHEDULE.match(text)
        if cron and cron.end() < len(text):  # a crontab line: the schedule, then a command
            subjects.append(Subject("shell", text[cron.end() :], origin))
            return
        if looks_like_sql(text):
            subjects.append(Subject("sql", text, origin))
        elif looks_like_shell(text, self.commands):
            subjects.append(Subject("shell", text, origin))
        elif not explains_only(text):  # a question runs nothing
            for snippet in code_in_prose(text, self.commands):
                view = "sql" if looks_like_sql(snippet) else "shell"
                subjects.append(Subject(view, snippet, origin))

    def _argument_subjects(
        self, action: Action, ctx: Context, args: Mapping[str, Any] | None = None
    ) -> None:
        subjects = ctx.subjects
        db_tool = bool(_DB_WORDS.search(ctx.tool_words))
        pairs = _said(self.roles.by_role(action.args if args is None else args), ctx.subjects)
        pairs = _code_roles(ctx.tool_words, pairs)
        if action.kind == "http" and (line := HTTP_LINE.match(action.text or "")):
            pairs = [("url", "url", line.group(2)), ("method", "method", line.group(1)), *pairs]
        flat = _arguments_view(pairs)
        subjects.append(Subject("args", skeleton(flat[:MAX_ARGS_VIEW]), "args"))
        # Searching and reading tools carry questions and data, not requests to act.
        ops = set(self.verb_ops(ctx.tool_words)) if ctx.tool_words else set()
        reading = ops == {"read"}
        # A file's content is data unless the file runs later: a script or a start-up file (its
        # lines are judged as commands) or program source (judged as code, not as requests).
        runs, writes = self._written(action, pairs, ops)
        # Tools that write documents (pages, records) and send nothing: their content is data.
        documents = not writes and "write" in ops and not ops & {"send", "exec"}
        for role, key, raw in pairs:
            value = skeleton(raw)
            origin = f"args.{key}"
            if value[:3] == "IyE" and (script := _encoded_script(value)) is not None:
                # `"UserData": "IyEvYmluL2Jhc2g…"`: a script carried encoded runs as itself
                subjects.append(Subject("shell", script, f"{origin}:base64"))
            if role in (None, "content", "path") and _URL_VALUE.match(value):
                role = "url"  # a URL is a URL whatever its argument is called
            if role is not None:
                ctx.arg_values.setdefault(role, []).append(value)
            if role == "shell":
                subjects.append(Subject("shell", value, origin))
            elif role in ("content", None) and runs not in _READ_AS_COMMANDS:
                # Program source is read as code, a SQL file (a migration) as the SQL it runs.
                view = runs if runs in ("code", "sql") else "data"
                subjects.append(Subject(view, value, origin))
            elif role in ("content", None) and writes:
                # Scripts, start-up files, Makefiles, Dockerfiles, CI: their commands are read
                # (an edit's new text too); a shell script or start-up file is shell throughout.
                subjects.append(Subject("data", value, origin))
                commands = (
                    [value]
                    if runs == "shell"
                    else config_commands(value)
                    if runs == "config"
                    else commands_in(value)
                )
                if len(commands) > MAX_SCRIPT_COMMANDS:
                    ctx.facts.setdefault(
                        Fact.ANALYSIS_LIMIT,
                        f"analysis limit: over {MAX_SCRIPT_COMMANDS} commands in {origin}",
                    )
                # A configuration's commands run later by themselves (analysed `via` config).
                # ("image": RUN lines change the image being built, not this machine)
                where = f"{origin}:{runs}" if runs in ("config", "image") else origin
                subjects.extend(Subject("shell", c, where) for c in commands)
            elif role == "content" and documents:
                subjects.append(Subject("data", value, origin))
                self._sniff(value, origin, subjects)
            elif role == "sql":
                if reading and not db_tool and not looks_like_sql(value):
                    subjects.append(Subject("data", value, origin))  # a search query
                elif db_tool or looks_like_sql(value):
                    subjects.append(Subject("sql", value, origin))
                else:
                    subjects.append(Subject("text", value, origin))
            elif role == "code":
                subjects.append(Subject("code", value, origin))
                self._sniff(value, origin, subjects)
            elif role in ("path", "url", "recipient", "environment"):
                subjects.append(Subject(role, value.strip(), origin))
            elif role in ("method", "operation", "replaced"):
                continue
            elif reading:
                subjects.append(Subject("data", value, origin))
            else:
                subjects.append(Subject("text", value, origin))
                if action.kind != "tool_output":
                    self._sniff(value, origin, subjects)
        self._diff_views(action, ctx, pairs)

    @staticmethod
    def _diff_views(
        action: Action, ctx: Context, pairs: Sequence[tuple[str | None, str, str]]
    ) -> None:
        """A file action's `added` view (what a write writes; the lines an edit adds) and
        `removed` view (the lines an edit takes out), each after a `file: PATH` line."""
        if action.kind != "file" and not (
            action.kind == "tool" and _EDITING_TOOL.search(ctx.tool_words)
        ):
            return
        subjects = ctx.subjects
        new = "\n".join(v for role, _, v in pairs if role in ("content", None))[:MAX_ARGS_VIEW]
        old = "\n".join(v for role, _, v in pairs if role == "replaced")[:MAX_ARGS_VIEW]
        paths = [v for role, _, v in pairs if role == "path"][:1]
        head = f"file: {' '.join(paths[0].split())[:500]}\n" if paths else ""  # for `unless`
        if new.strip():
            added = added_lines(old, new) if old else new
            if added:
                subjects.append(Subject("added", skeleton(head + added), "args.added"))
        if old and (gone := removed_lines(old, new)):
            subjects.append(Subject("removed", skeleton(head + gone), "args.removed"))

    def _written(
        self, action: Action, pairs: Sequence[_Pair], ops: set[str]
    ) -> tuple[str | None, bool]:
        """How what the action writes runs later, and whether it is read as a file written:
        any file action; a tool's write (an MCP server's write_file, push_files) only of a file
        that runs as commands (a script, a git hook, CI): its other content stays data."""
        if action.kind == "file":
            return self._runs_later(action, pairs), True
        if "write" in ops and ops != {"read"} and _has_path(pairs):
            runs = self._runs_later(action, pairs)
            if runs in _READ_AS_COMMANDS:
                return runs, True
        return "commands", False

    def _runs_later(
        self, action: Action, pairs: Sequence[tuple[str | None, str, str]]
    ) -> str | None:
        """How the content a file action writes will run, judged by the file's path: "shell"
        (a shell script, start-up file or git hook: all of it), "config" (git and ssh
        configuration: the values that are commands), "commands" (Makefiles, CI, services,
        crontabs: the commands they hold), "image" (Dockerfiles: commands run inside the image
        being built), "code" (program source), "sql" (SQL files: migrations, seeds) or None
        (data)."""
        paths = [v for role, _, v in pairs if role == "path"]
        if action.target:
            paths.append(action.target)
        m = _FILE_TEXT.match(action.text or "")
        if m:
            paths.append(m.group(2))
        found: str | None = None
        for path in paths:
            path = path.strip().replace("\\", "/")
            if is_shell_script(path):
                return "shell"
            if is_command_config(path):
                return "config"
            if holds_commands(path) or self.classifier.classify(path) & _RUNS_LATER:
                return "image" if _IMAGE_BUILD.search(path) else "commands"
            if _CODE_FILE.search(path):
                found = "code"
            elif path.lower().endswith(".sql"):
                found = "sql"
        return found

    def verb_ops(self, words: str) -> list[str]:
        """The operations a tool name's words say it performs (`ToolVerbs.ops`), remembered.

        Agents call the same names again and again, and reading a name against every verb's
        regex cost more than the rest of a tool call."""
        if len(words) > MEMO_KEY_CHARS:
            return self.verbs.ops(words)
        return list(self._verb_ops(words))  # a new list: callers extend it


# A line that is only a comment (`#`, `//`, `--`, `;`, `/*`, `*`, `<!--`, `REM`).
_COMMENT_LINE = re.compile(r"^\s*(#|//|--|;|/\*|\*|<!--|rem\s)", re.I)
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{2,}")
_IDENTIFIER_ANY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")
_LITERALS = frozenset({"true", "false", "null", "none", "nil", "yes", "off", "undefined"})
# `key = value`, `key: value`, `"key": value`: a setting, named by its key
_KEY = re.compile(r"[\w.-]{3,}")
_IMPORT = re.compile(  # an import line: what it names is judged where it is used
    r"^(import\s|from\s+\S+\s+import\s|(const|let|var)\s+[\w{}, ]+=\s*require\("
    r"|use\s+[\w:]+;|using\s+[\w.]+;|#include\b|require\s+['\"])"
)
_SETTING = re.compile(r"^[\"']?([\w.-]{3,})[\"']?\s*[:=](?!=)")
_PATH_LINE = re.compile(r"^!?[\w.*/-]*[.*/][\w.*/-]*$")


# Tools that write or edit files (MCP `write_file`, `edit_file`, an editor's `str_replace`):
# their arguments are read as a file action's are.
_EDITING_TOOL = re.compile(
    r"\b(write|edit|create|save|patch|replace|str replace|apply)\b.*\b(files?|code|patch|diff)\b"
    r"|^(str replace|str replace editor|edit|write|multi edit|apply patch)$"
)


def removed_lines(old: str, new: str) -> str:
    """The lines of an edit's old text that the new one takes out: not kept as they were, with
    a word (literals aside) that no line of the new text (comments aside) still has, and not a
    setting whose name the new text still sets (a changed value is judged where it is added)."""
    new_lines = new.splitlines()
    kept = {line.strip() for line in new_lines}
    live_text = "\n".join(x for x in new_lines if not _COMMENT_LINE.match(x)).lower()
    live = set(_IDENTIFIER.findall(live_text))
    keys = set(_KEY.findall(live_text))  # settings' names the new text still has
    out: list[str] = []
    for line in old.splitlines()[:2000]:
        text = line.strip()
        if not text or text in kept or _COMMENT_LINE.match(text) or _IMPORT.match(text):
            continue  # an import gone is judged where what it named is used
        if _PATH_LINE.match(text):
            out.append(text)  # a path or glob line (`.env` in .gitignore) gone as it was
            continue
        setting = _SETTING.match(text)
        if setting and setting.group(1).lower() in keys:
            continue
        words = set(_IDENTIFIER.findall(text.lower())) - _LITERALS
        if words and not words <= live:
            # what the line still shares with the new text is no removal: written as `_`
            out.append(
                _IDENTIFIER_ANY.sub(
                    lambda m: "_" if m.group(0).lower() in live else m.group(0), text
                )
            )
    return "\n".join(out)[:MAX_ARGS_VIEW]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def added_lines(old: str, new: str) -> str:
    """The lines of an edit's new text that its old text did not have; a decorator or an
    attribute with the line after it (one added above an unchanged `def` is read with it), the
    first line of a block with the line that opens it."""
    before = {line.strip() for line in old.splitlines()}
    lines = new.splitlines()[:20000]
    chosen: set[int] = set()
    for k, line in enumerate(lines):
        text = line.strip()
        if text and text not in before:
            chosen.add(k)
            if text.startswith(("@", "#[", "[")):  # a decorator or attribute: with what it marks
                chosen.add(k + 1)
            if (
                k
                and lines[k - 1].rstrip().endswith(("{", ":"))
                and _indent(line) > _indent(lines[k - 1])
            ):  # the first line of a block: with the line that opens it (`func TestX… {`)
                chosen.add(k - 1)
    return "\n".join(lines[k] for k in sorted(chosen) if k < len(lines))
