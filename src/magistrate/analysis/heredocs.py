"""Data in a command line: heredoc bodies that are messages or file content, `-m` messages.

A body given to `git commit -F -`, `gh pr create --body-file -` or `cat > NOTES.md` is a
message or a document: to rules' patterns it is data, like a quoted argument, so prose in it
("rotate the API token") is not read as an instruction. A body that takes effect — fed to a
shell or an interpreter, piped on, written to a manifest, config or script (`privileged: true`
in a pod spec) or to a document the line then uses — stays text to read. An unquoted body
expands: its `$(…)` and backticks run whatever the command is. Free-text messages given by
option (`git commit -m "…"`) are blanked from the text rules match.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from magistrate.analysis import commands as C
from magistrate.analysis.shell_lex import Redir, _match_paren

# Data commands that also read a program from stdin (`awk -f -`, `sed -f -`, `jq -f /dev/stdin`).
_SCRIPT_READERS = frozenset({"awk", "gawk", "mawk", "nawk", "sed", "jq", "yq"})
_WRITES = (">", ">>", ">|")
_MAX_SUBSTITUTIONS = 64
_STARTUP = frozenset({"shell-init"})
# Version-control and forge CLIs read stdin as a message only when told to (`git apply`, `git
# am` or `gh api --input -` read a patch or a request that takes effect).
_FORGES = frozenset({"git", "gh", "glab", "hub"})
_MESSAGE_FROM_STDIN = re.compile(
    r"(^|\s)(-F|--file|--body-file|--notes-file|--message-file|--description-file)(\s+|=)-(\s|$)"
)
# Documents: prose a person reads. A manifest, a config file or a script written by `cat > f`
# takes effect later (`privileged: true` in a pod spec), so its content stays text to read.
_PROSE = re.compile(
    r"\.(md|markdown|mdx|txt|rst|adoc|asciidoc|org)$"
    r"|(^|/)(readme|changelog|changes|history|notes|news|authors|contributing|todo)[\w.-]*$",
    re.I,
)
_MESSAGE_OPTIONS = frozenset(
    "-m --message --title --body --description --notes --comment --subject --reason".split()
)


def match_text(argv: list[str], limit: int) -> str:
    """Arguments joined for rules to match, free-text messages blanked (a commit message that
    mentions `--no-verify` does not skip verification)."""
    joined = " ".join(argv)
    if "=" not in joined and _MESSAGE_OPTIONS.isdisjoint(argv):
        return joined[:limit]  # no message to blank (most commands)
    out: list[str] = []
    blank = False
    for a in argv:
        if blank:
            out.append("<message>")
            blank = False
            continue
        if a in _MESSAGE_OPTIONS:
            blank = True
        elif "=" in a and a.split("=", 1)[0] in _MESSAGE_OPTIONS:
            a = a.split("=", 1)[0] + "=<message>"
        out.append(a)
    return " ".join(out)[:limit]


def body_substitutions(r: Redir) -> list[str]:
    """The `$(…)` and backtick commands an unquoted heredoc's body runs when it expands."""
    body = r.body
    if not body or not r.body_expands or ("$(" not in body and "`" not in body):
        return []
    found: list[str] = []
    at = body.find("$(")
    while at >= 0 and len(found) < _MAX_SUBSTITUTIONS:
        end = _match_paren(body, at + 1)
        found.append(body[at + 2 : end])
        at = body.find("$(", end)
    ticks = body.split("`")
    found.extend(ticks[k] for k in range(1, len(ticks) - 1, 2))
    return found[:_MAX_SUBSTITUTIONS]


def data_spans(
    name: str,
    redirects: list[Redir],
    args: list[str],
    src: str,
    classify: Callable[[str], frozenset[str]],
) -> list[tuple[int, int]]:
    """Spans of `src` holding heredoc bodies that are data for the command `name` (with `args`,
    not piped on); `classify` tells files whose lines run later (shell profiles, cron)."""
    bodies = [
        r
        for r in redirects
        if r.op in ("<<", "<<-")
        and r.body
        and not (r.body_expands and ("$(" in r.body or "`" in r.body))
    ]
    if not bodies or name in _SCRIPT_READERS:
        return []
    spans = [
        (at, at + len(r.body or "")) for r in bodies if (at := src.find(r.body or "", r.start)) >= 0
    ]
    if not spans:
        return []
    if name in _FORGES:  # `git commit -F -`, `gh pr create --body-file -`: a message from stdin
        return spans if _MESSAGE_FROM_STDIN.search(" ".join(args)) else []
    if name in C.DATA_COMMANDS:
        return spans
    if name not in ("cat", "tee"):
        return []
    written = [r.target.text for r in redirects if r.op in _WRITES and r.target is not None]
    if name == "tee":
        written += [a for a in args if not a.startswith("-")]
    after = src[max(e for _, e in spans) :]
    for path in written:
        tail = path.rstrip("/").rsplit("/", 1)[-1]
        if not _PROSE.search(path) or classify(path) & _STARTUP or not tail or tail in after:
            return []  # a manifest, config or script: what it says takes effect
    return spans if written else []
