"""Tool calls that are a command under another name: a git server's `git_push {"remote":
"origin", "refspec": ":refs/heads/release"}` is `git push origin :refs/heads/release`, and the
shell analysis judges it as that command (a remote branch deleted, a force push, a hooks path
moved, a key staged), so the same rules hold whichever way the agent reaches git. So is a tool
that wraps a command-line program (`kubectl {"args": ["delete", "ns", "prod"]}`,
`terraform_run {"command": "destroy"}`, `gcloud_projects {"command": "delete", …}`).

Knowledge as data: for each git verb, its arguments' names and the options they become.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from typing import Any

# Argument names (lower case, `_` and `-` removed) → the option a true value adds, per verb.
_FLAGS: dict[str, dict[str, str]] = {
    "push": {
        "force": "--force", "forcepush": "--force", "forcewithlease": "--force-with-lease",
        "setupstream": "-u", "delete": "--delete", "tags": "--tags", "mirror": "--mirror",
        "all": "--all", "allbranches": "--all", "noverify": "--no-verify",
    },
    "add": {"all": "-A", "force": "-f"},
    "commit": {"noverify": "--no-verify", "amend": "--amend", "all": "-a"},
    "config": {"global": "--global", "system": "--system", "unset": "--unset"},
    "clean": {"force": "-f", "directories": "-d", "ignored": "-x", "dryrun": "-n"},
    "branch": {"delete": "-d", "force": "-f"},
    "checkout": {"force": "-f"},
    "tag": {"delete": "-d", "force": "-f"},
    "stash": {},
    "reset": {"hard": "--hard"},
    "rm": {"recursive": "-r", "force": "-f", "cached": "--cached"},
}  # fmt: skip
# Argument names whose values are the command's operands, in order, per verb.
_OPERANDS: dict[str, tuple[str, ...]] = {
    "push": ("remote", "refspec", "branch", "ref", "src"),
    "add": ("files", "paths", "file", "pathspec"),
    "commit": (),
    "config": ("key", "name", "value"),
    "clean": ("paths",),
    "branch": ("name", "branch", "branchname", "branches"),
    "checkout": ("branch", "ref", "target", "paths"),
    "tag": ("name", "tag", "tagname"),
    "stash": ("action",),
    "reset": ("target", "ref", "commit", "revision", "paths"),
    "rm": ("files", "paths", "file"),
}
_VERBS = {**{v: v for v in _FLAGS}, "filter repo": "filter-repo", "filter branch": "filter-branch"}
_KEY = re.compile(r"[_\-\s]")
MAX_WORDS = 64


def _flat(args: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments by name lower-cased, `_`, `-` and blanks removed (`force_push` → forcepush)."""
    return {_KEY.sub("", str(k)).lower(): v for k, v in args.items()}


def git_command(tool_words: str, args: Mapping[str, Any]) -> str | None:
    """The git command line a git tool call runs; None for any other tool."""
    words = tool_words.split()
    if "git" not in words:
        return None
    rest = " ".join(words[words.index("git") + 1 :])
    rest = rest.removeprefix("git ")  # `mcp__git__git_push`
    verb = next((v for k, v in _VERBS.items() if rest == k or rest.startswith(k + " ")), None)
    if verb is None:
        return None
    flat = _flat(args)
    line = ["git", verb, *_options(verb, flat)]
    if verb == "reset" and str(flat.get("mode", "")).lower() in ("hard", "merge", "keep"):
        line.append(f"--{str(flat['mode']).lower()}")
    if verb == "config" and str(flat.get("scope", "")).lower() in ("global", "system"):
        line.append(f"--{str(flat['scope']).lower()}")
    for key in _OPERANDS.get(verb, ()):
        line += _values(flat.get(key))
    if verb == "commit" and flat.get("message"):
        line += ["-m", str(flat["message"])]
    line += _values(flat.get("args"))
    command = " ".join(shlex.quote(w) for w in line[:MAX_WORDS])
    then = flat.get("thenpush")
    if isinstance(then, Mapping):  # `{"then_push": {"remote": "origin", "force": true}}`
        follow = git_command("git push", then)
        if follow:
            command += " && " + follow
    return command


def _options(verb: str, flat: Mapping[str, Any]) -> list[str]:
    return [opt for key, opt in _FLAGS.get(verb, {}).items() if flat.get(key) is True]


def _values(value: Any) -> list[str]:
    if value is None or isinstance(value, (bool, Mapping)):
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if isinstance(v, (str, int, float))][:MAX_WORDS]
    return [str(value)]


# Command-line programs whose tools take the program's own words: the command or subcommand,
# an argument list, and named options (git has its own reading above).
CLI_PROGRAMS = frozenset(
    "kubectl helm argocd flux doppler infisical terraform tofu terragrunt pulumi gcloud gsutil bq"
    " az aws doctl flyctl fly heroku vercel netlify wrangler docker podman gh glab npm pnpm yarn"
    " pip uv cargo ansible ansible-playbook psql mysql redis-cli mongosh".split()
)
CLI_ARGS = ("args", "argv", "arguments", "cli_args")
# Words of a tool's name that say it runs something, not what it runs (`terraform_run`).
_GENERIC = frozenset({"mcp", "tool", "run", "exec", "execute", "invoke", "cli", "command", "cmd"})
_CLI_COMMAND = ("command", "subcommand", "cmd", "action", "operation")
# Argument names (lower case, `_` and `-` removed) that name the kind of resource a
# subcommand acts on (`kubectl get secrets`), then the resource's name.
_CLI_KINDS = ("resourcetype", "resource", "resourcekind", "kind")
# MCP servers named for what they wrap (`mcp__kubernetes__kubectl_get`), and the programs whose
# tools are named for a whole subcommand (`doppler_secrets_download`); a package manager's
# `npm.publish_metadata` is not `npm publish`.
_SERVERS = frozenset({"kubernetes", "k8s", "kube", "cluster", "cloud", "infra", "devops", "ops"})
_SUBCOMMAND_TOOLS = frozenset(
    "doppler infisical argocd flux helm kubectl az gcloud doctl netlify vercel fly flyctl heroku"
    " wrangler".split()
)
# Arguments whose object or list value is the body the command sends (`kubectl patch -p JSON`).
_CLI_BODIES = frozenset({"patch", "data", "spec", "body", "manifest", "overrides"})
_CLI_NAMES = ("name", "names", "resourcename", "app", "appname", "application", "release")
_CLI_OPERANDS = (*_CLI_KINDS, *_CLI_NAMES)


def cli_command(tool_words: str, args: Mapping[str, Any]) -> str | None:
    """The command line a tool wrapping a command-line program runs; None for other tools."""
    words = [w for w in tool_words.split() if w not in _GENERIC]
    if words[1:2] and words[0] in _SERVERS and words[1] in CLI_PROGRAMS:
        words = words[1:]  # `mcp__kubernetes__kubectl_patch`: the server's name, then the program
    if not words or words[0] not in CLI_PROGRAMS:
        return None
    flat = _flat(args)
    command = next((flat[k] for k in _CLI_COMMAND if isinstance(flat.get(k), str)), None)
    listed = next((flat[k] for k in CLI_ARGS if isinstance(flat.get(k), (list, tuple))), None)
    operands: list[str] = []
    if command is None and listed is None:
        # `kubectl_get {"resourceType": "secrets", …}`: the name holds the subcommand and the
        # resource arguments are its operands (`kubectl get secrets`); a name with no operand
        # (`aws.iam_attach_role_policy`) is judged by its words (`aws` spells verbs with `-`)
        # (`argocd_app_delete {"name": …}`: a name after the subcommand's words; `doppler_secrets_
        # download {…}`: two subcommand words, options after; not aws's, whose verbs have dashes)
        by_name = words[0] != "aws" and (
            (len(words) >= 3 and words[0] in _SUBCOMMAND_TOOLS)
            or any(isinstance(flat.get(k), str) for k in _CLI_NAMES)
        )
        if len(words) < 2 or not (by_name or any(isinstance(flat.get(k), str) for k in _CLI_KINDS)):
            return None
        operands = [v for k in _CLI_OPERANDS for v in _values(flat.get(k))][:8]
    line = [*words, *(str(command).split()[:8] if command else []), *_values(listed), *operands]
    named = {*_CLI_COMMAND, *CLI_ARGS, *(_CLI_OPERANDS if operands else ())}
    for key, value in args.items():
        low = _KEY.sub("", str(key)).lower()
        # (`is False`, not `== False`: `"replicas": 0` is an option's value)
        option = "--" + re.sub(r"(?<=[a-z0-9])(?=[A-Z])|_", "-", str(key)).lower()
        if low in _CLI_BODIES and isinstance(value, (Mapping, list)):  # `"patch": [{…}]`
            line.append(f"{option}={json.dumps(value)[:2000]}")
            continue
        if (
            low in named
            or isinstance(value, (Mapping, list, tuple))
            or value is None
            or value is False
        ):
            continue
        if value is True:
            line.append(option)
        elif len(str(value)) <= 200:
            line.append(f"{option}={value}")
    return " ".join(shlex.quote(w) for w in line[:MAX_WORDS])


# A tool that runs a command on another machine over ssh (`ssh_exec {"host": …, "command": …}`):
# `ssh [USER@]HOST CMD`, judged as the shell judges that line (what runs there, and where).
_REMOTE_WORDS = frozenset({"ssh", "remote", "sshexec"})
_HOST = ("host", "hostname", "server", "target", "address", "ip", "instance", "node", "machine")
_REMOTE_COMMAND = ("command", "cmd", "script", "commandline", "shellcommand")


def remote_command(tool_words: str, args: Mapping[str, Any]) -> str | None:
    """`ssh HOST CMD` for a tool that runs CMD on HOST over ssh; None for other tools."""
    if not _REMOTE_WORDS & set(tool_words.split()):
        return None
    flat = _flat(args)
    host = next((flat[k] for k in _HOST if isinstance(flat.get(k), str) and flat[k]), None)
    cmd = next((flat[k] for k in _REMOTE_COMMAND if isinstance(flat.get(k), str)), None)
    if host is None or not cmd or not cmd.strip():
        return None
    user = flat.get("user") or flat.get("username")
    where = f"{user}@{host}" if isinstance(user, str) and user else host
    return " ".join(["ssh", shlex.quote(where), shlex.quote(cmd)])


# File tools that move or copy (`move_file {"source": …, "destination": …}`): the command that
# does the same, so a move takes what it moves away from where it was, as `mv` does.
_FILE_VERBS = {"move": "mv", "rename": "mv", "copy": "cp -r", "delete": "rm", "remove": "rm"}
_FILE_NOUNS = frozenset({"file", "files", "directory", "dir", "folder", "path", "item"})
# Stores whose files are not on this machine (their tools keep their own reading).
_REMOTE_STORES = frozenset(
    "s3 gcs gs storage blob blobs bucket object objects github gitlab bitbucket gdrive drive"
    " dropbox box onedrive sharepoint azure aws gcp".split()
)
_STORE_ARGS = frozenset({"bucket", "repo", "repository", "owner", "fileid", "driveid", "container"})
_FROM = ("source", "src", "from", "sourcepath", "oldpath", "path", "frompath")
_TO = ("destination", "dest", "to", "target", "destinationpath", "newpath", "topath", "targetpath")


def file_command(tool_words: str, args: Mapping[str, Any]) -> str | None:
    """`mv SRC DST` for a tool that moves or renames a file, `cp -r` for one that copies, `rm`
    for one that deletes."""
    words = tool_words.split()
    verb = next((_FILE_VERBS[w] for w in words if w in _FILE_VERBS), None)
    if verb is None or not _FILE_NOUNS & set(words) or _REMOTE_STORES & set(words):
        return None
    flat = _flat(args)
    if _STORE_ARGS & set(flat):  # a bucket's object, a repository's file: not this machine's
        return None
    src = next((flat[k] for k in _FROM if isinstance(flat.get(k), str) and flat[k]), None)
    if verb == "rm":  # `delete_directory {"path": …, "recursive": true}`: `rm -r PATH`
        tree = flat.get("recursive") is True or bool({"directory", "folder", "dir"} & set(words))
        return None if src is None else f"rm {'-r ' if tree else ''}-- {shlex.quote(src)}"
    dst = next((flat[k] for k in _TO if isinstance(flat.get(k), str) and flat[k]), None)
    if src is None or dst is None:
        return None
    return " ".join([verb, "--", shlex.quote(src), shlex.quote(dst)])


def tool_command(tool_words: str, args: Mapping[str, Any]) -> str | None:
    """The command line a tool call runs under another name (git's, a CLI's, a file move's)."""
    for reading in (git_command, cli_command, file_command, remote_command):
        line = reading(tool_words, args)
        if line is not None:
            return line
    return None
