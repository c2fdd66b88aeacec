"""Version control: git (and git-filter-repo, bfg), and the forges' CLIs gh and glab.

What matters is which history a command replaces or drops, and on which branch: a force-push
(`-f`, `--force-with-lease`, `+main`, `--mirror`), a remote branch or tag deleted (`--delete`,
`:main`), history rewritten (filter-branch, reflog expiry), uncommitted work thrown away
(`reset --hard`, `clean -f`, `checkout -- .`). A force-push to a named feature branch is
everyday work after a rebase (`own-branch`); to main, an unknown branch or every branch it is not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from magistrate.analysis.effects import Effect
from magistrate.analysis.families.base import (
    Classify,
    Example,
    Family,
    environment_classes,
    resource,
)
from magistrate.analysis.families.cli import (
    asks_nothing,
    has,
    secret_read,
    short_flag,
    split,
    values,
)
from magistrate.analysis.invocation import Invocation

# Branches whose history others build on.
_PROTECTED = re.compile(
    r"^(main|master|trunk|develop|development|production|prod|release|releases?/.+|live|stable)$",
    re.I,
)
# Trunks: deleting one on the remote destroys what everyone builds on.
_TRUNK = re.compile(r"^(main|master|trunk|develop|production|prod|release|live|stable)$", re.I)
_DEPLOY_REMOTES = frozenset({"heroku", "dokku", "production", "prod", "live", "deploy"})
_TAG = re.compile(r"^(refs/tags/.+|v?\d+(\.\d+)+([-+.][\w.]+)?)$")
_GIT_GLOBAL_VALUED = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace"})
_PUSH_VALUED = frozenset({"-o", "--push-option", "--repo", "--receive-pack", "--exec"})
_CLEAN_VALUED = frozenset({"-e", "--exclude"})
_ARTIFACTS = frozenset({"artifact", "temp", "cache"})


def _after_verb(argv: list[str], verb: str) -> list[str]:
    """The arguments after the subcommand word (skipping git's own options before it)."""
    skip = False
    for i, arg in enumerate(argv):
        if skip:
            skip = False
        elif arg in _GIT_GLOBAL_VALUED:
            skip = True
        elif not arg.startswith("-"):
            return argv[i + 1 :] if arg.lower() == verb else []
    return []


def _branch(ref: str) -> str:
    """The remote branch a refspec writes: `+HEAD:master` → master, `refs/heads/main` → main."""
    dst = ref.lstrip("+").rsplit(":", 1)[-1]
    return dst.removeprefix("refs/heads/")


def _unnamed(ref: str) -> bool:
    """A ref not named on the line: a tag, HEAD, a variable, xargs' `{}` or a loop's `%b`."""
    return bool(_TAG.match(ref)) or ref in ("HEAD", "@") or any(c in ref for c in "${}%*")


def _push(inv: Invocation, args: list[str]) -> Iterator[Effect]:
    operands, options = split(args, _PUSH_VALUED)
    refs = operands[1:]
    forced = (
        short_flag(options, "f")
        or has(options, "--force", "--force-with-lease", "--force-if-includes")
        or any(r.startswith("+") for r in refs)
    )
    deleting = short_flag(options, "d") or has(options, "--delete")
    remote = operands[0] if operands else ""
    where = environment_classes([remote])
    if ("production" in where or remote.lower() in _DEPLOY_REMOTES) and not deleting:
        # A remote named for production, or a platform that deploys what it is pushed: a deploy.
        yield resource("apply", f"push to {remote}", {"deploy"} | where, inv)
    if deleting and not refs:
        # `… | xargs git push origin --delete`: the branches come from the input, unseen.
        yield resource("rewrite", "branches from the input", {"branch-delete"}, inv)
    if has(options, "--mirror"):
        yield resource(
            "rewrite", "every ref of the remote (--mirror)", {"force-push", "history"}, inv
        )
        return
    for ref in refs:
        if deleting or (ref.startswith(":") and len(ref) > 1):
            name = _branch(ref.lstrip(":"))
            classes = {"branch-delete"}
            if _PROTECTED.match(name):
                classes.add("protected-branch")
            elif name and "xargs" not in inv.via and not _unnamed(name):
                classes.add("own-branch")  # a named feature branch, as a force-push to one
            if _TRUNK.match(name):
                yield resource("destroy", f"branch {name}", {"branch"}, inv)
            yield resource("rewrite", f"deletes {name}", classes, inv)
    if not forced or deleting:
        return
    named = [r for r in refs if not r.startswith(":")]
    if not named or has(options, "--all", "--tags"):
        yield resource("rewrite", "the current or every branch", {"force-push"}, inv)
        return
    for ref in named:
        name = _branch(ref)
        if _PROTECTED.match(name):
            yield resource("rewrite", f"branch {name}", {"force-push", "protected-branch"}, inv)
        elif name in ("HEAD", "@") or "$" in name:
            yield resource("rewrite", "the current branch", {"force-push"}, inv)
        elif _TAG.match(name) or ref.startswith("refs/tags/"):
            yield resource("rewrite", f"tag {name}", {"force-push", "history"}, inv)
        else:
            yield resource("rewrite", f"branch {name}", {"force-push", "own-branch"}, inv)


_RESET_HARD = "uncommitted changes (reset --hard)"  # the effect forget_saved_work drops


def _discard(inv: Invocation, verb: str, args: list[str], classify: Classify) -> Iterator[Effect]:
    """Uncommitted work or untracked files thrown away for good."""
    work = {"local-work"}
    operands, options = split(args, _CLEAN_VALUED if verb == "clean" else frozenset())
    if verb == "reset" and has(options, "--hard"):
        yield resource("rewrite", _RESET_HARD, work, inv)
    elif verb == "clean" and (short_flag(options, "f") or has(options, "--force")):
        if short_flag(options, "n") or has(options, "--dry-run"):
            return
        if operands and all(classify(o) & _ARTIFACTS for o in operands):
            return  # only build output: `git clean -fdx build/`
        if short_flag(options, "X"):
            return  # `-X`: only what .gitignore ignores (build output, caches), no new work
        yield resource("rewrite", "untracked files (clean -f)", work, inv)
    elif verb in ("checkout", "restore") and any(o in (".", ":/", "*") for o in operands):
        if verb == "restore" and has(options, "--staged", "-S") and not has(options, "--worktree"):
            return
        yield resource("rewrite", f"uncommitted changes ({verb} .)", work, inv)
    elif verb == "stash" and operands[:1] and operands[0].lower() in ("clear", "drop"):
        yield resource("rewrite", f"stashed work (stash {operands[0]})", work, inv)
    elif verb == "branch" and (short_flag(options, "D") or ("--force" in options and "-d" in args)):
        for o in operands:
            yield resource("rewrite", f"local branch {o}", {"local-branch"}, inv)


def _history(inv: Invocation, verb: str, args: list[str]) -> Iterator[Effect]:
    operands, options = split(args)
    first = operands[0].lower() if operands else ""
    if verb in ("filter-branch", "filter-repo"):
        if verb == "filter-repo" and has(options, "--analyze", "--dry-run"):
            return  # it reports on the history (or shows what it would do): nothing rewritten
        yield resource("rewrite", f"history ({verb})", {"history"}, inv)
    elif verb == "reflog" and first in ("expire", "delete"):
        yield resource("rewrite", f"the reflog ({first})", {"history"}, inv)
    elif verb == "gc" and any(a.startswith("--prune=now") or a == "--prune=all" for a in args):
        yield resource("rewrite", "unreachable commits (gc --prune=now)", {"history"}, inv)
    elif verb == "replace" and operands and not has(options, "-l", "--list"):
        yield resource("rewrite", "objects replaced (git replace)", {"history"}, inv)
    elif verb == "update-ref" and has(options, "-d"):
        yield resource("rewrite", f"ref {first}", {"branch-delete"}, inv)
    elif verb == "tag" and has(options, "-d", "--delete"):
        # Only this clone's tag: a pushed one stays on the remote (deleting it there is a push).
        for o in operands:
            yield resource("rewrite", f"local tag {o}", {"local-branch"}, inv)


def _aliased(inv: Invocation, verb: str, args: list[str]) -> tuple[str, list[str]]:
    """`git -c alias.p='push --force' p origin main` runs `push --force origin main`."""
    for value in values(inv.argv, "-c"):
        key, _, expansion = value.partition("=")
        words = expansion.split()
        if key.lower() == f"alias.{verb}" and words and not expansion.startswith("!"):
            return words[0].lower(), [*words[1:], *args]
    return verb, args


_DUMPS = frozenset({"diff", "show", "bundle", "archive", "format-patch"})


def _git(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    verb = inv.subcommand.split(" ", 1)[0] if inv.subcommand else ""
    verb, args = _aliased(inv, verb, _after_verb(inv.argv, verb))
    if not verb or asks_nothing(args):
        return
    if verb == "push":
        yield from _push(inv, args)
    elif verb in _DUMPS or (verb == "log" and has(args, "-p", "--patch")):
        # what the repository holds, written out (a diff, a bundle, an archive): read here,
        # so that sending it on is seen (`git diff | curl --data-binary @- …`)
        yield Effect("read", f"the repository (git {verb})", frozenset({"source-code"}), "git")
    elif verb in ("reset", "clean", "checkout", "restore", "stash", "branch"):
        yield from _discard(inv, verb, args, classify)
    else:
        yield from _history(inv, verb, args)


# `git diff --quiet && git diff --cached --quiet && git reset --hard …`: run only when the
# working tree and the index both match HEAD (`git diff --quiet HEAD` checks both at once).
_CHECKED_CLEAN = re.compile(
    r"git diff (?=[^;&|\n]*--quiet)(?:[^;&|\n]*\bHEAD\b[^;&|\n]*&&"
    r"|(?:[^;&|\n]*--(?:cached|staged)[^;&|\n]*&&\s*git diff [^;&|\n]*--quiet[^;&|\n]*&&"
    r"|[^;&|\n]*&&\s*git diff [^;&|\n]*--(?:cached|staged)[^;&|\n]*&&))\s*git reset --hard"
)


def _saves_work(inv: Invocation) -> bool:
    """`git stash`, `git stash push -u`, `git stash save …`: the work is kept aside first."""
    if inv.name != "git" or not inv.subcommand.startswith("stash"):
        return False
    words = inv.subcommand.split()
    return len(words) == 1 or words[1] in ("push", "save")


def _cloned_into(invocations: list[Invocation], before: int) -> set[str]:
    """The folders `git clone` made earlier on the line (the last operand, or the repository's
    name), which a later `cd` enters."""
    made = set()
    for inv in invocations:
        if inv.name == "git" and inv.subcommand.startswith("clone") and inv.start < before:
            ops = [o for o in _after_verb(inv.argv, "clone") if not o.startswith("-")]
            if ops:
                name = ops[-1] if len(ops) > 1 else ops[0].rstrip("/").rsplit("/", 1)[-1]
                made.add(name.removesuffix(".git").rstrip("/"))
    return made


def settle_git_effects(invocations: list[Invocation], effects: list[Effect], src: str) -> None:
    """What the whole line tells of its git effects: work it saved before discarding it, and
    the branch it checked out before a push that names none."""
    forget_saved_work(invocations, effects, src)
    if "push" in src:
        _name_current_branch(invocations, effects)


_UNNAMED_PUSHES = frozenset({"the current or every branch", "the current branch"})
_SWITCH_NEW = frozenset({"-b", "-B", "-c", "-C", "--create", "--force-create", "--orphan"})


def _checked_out(inv: Invocation) -> str | None:
    """The branch a `git checkout`/`switch`/`rebase` leaves checked out, when it names one."""
    verb, *rest = inv.argv or [""]
    if verb in ("checkout", "switch"):
        for i, a in enumerate(rest[:-1]):
            if a in _SWITCH_NEW:
                return rest[i + 1]
        named = [a for a in rest if not a.startswith("-")]
        return named[0] if len(named) == 1 and "--" not in rest else None
    if verb == "rebase":  # `git rebase UPSTREAM BRANCH` checks BRANCH out first
        named, _ = split(rest, frozenset({"--onto", "-s", "--strategy", "-X", "--exec", "-x"}))
        return named[1] if len(named) == 2 else None
    return None


def _name_current_branch(invocations: list[Invocation], effects: list[Effect]) -> None:
    """A force-push that names no branch, after the line checked out a feature branch
    (`git rebase main feat/x && git push --force-with-lease`): a force-push to that branch."""
    pending = [k for k, e in enumerate(effects) if e.target in _UNNAMED_PUSHES]
    if not pending:
        return
    current: str | None = None
    for inv in sorted((i for i in invocations if i.name == "git"), key=lambda i: i.start):
        if inv.argv[:1] == ["push"] and pending:
            k = pending.pop(0)
            plain = not has(inv.argv, "--all", "--tags", "--mirror")
            if plain and current and not _PROTECTED.match(current) and not _unnamed(current):
                effects[k] = resource(
                    "rewrite", f"branch {current}", {"force-push", "own-branch"}, inv
                )
        elif (branch := _checked_out(inv)) is not None:
            current = branch


def forget_saved_work(invocations: list[Invocation], effects: list[Effect], src: str) -> None:
    """Drop `reset --hard`'s discarded work where the line saved it first (a stash), checked
    that there was none (`git diff --quiet` of tree and index), or resets a clone it has just
    made: nothing uncommitted is lost."""
    if "reset" not in src or not any(e.target == _RESET_HARD for e in effects):
        return
    resets = [i for i in invocations if i.name == "git" and i.subcommand.startswith("reset")]
    first = min(i.start for i in resets)
    made = _cloned_into(invocations, first)
    entered = any(
        i.name == "cd" and i.start < first and i.operands[-1:] and i.operands[-1] in made
        for i in invocations
    )
    if (
        entered
        or any(_saves_work(i) and i.start < first for i in invocations)
        or _CHECKED_CLEAN.search(src)
    ):
        effects[:] = [e for e in effects if e.target != _RESET_HARD]


def _forge_api(inv: Invocation) -> Iterator[Effect]:
    """`gh api -X DELETE repos/o/r`, `… -f private=false`, `-X DELETE …/protection`."""
    method = next((v.upper() for v in values(inv.argv, "-X", "--method")), "GET")
    paths = [a for a in inv.argv if a.lstrip("/").startswith("repos/")]
    fields = [v.lower().replace(" ", "") for v in values(inv.argv, "-f", "-F", "--field")]
    path = paths[0].lstrip("/") if paths else ""
    if method == "DELETE" and path.endswith("/protection"):
        yield resource("stop", f"branch protection ({path})", {"security"}, inv)
    elif method == "DELETE" and re.fullmatch(r"repos/[^/]+/[^/]+/?", path):
        yield resource("destroy", path, {"repository"}, inv)
    elif {"private=false", "visibility=public"} & set(fields):
        yield resource("publish", path or "a repository", {"public"}, inv)


def _forge(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    """gh and glab: repositories deleted or made public, releases published, tokens printed."""
    words = [w.lower() for w in split(inv.argv, frozenset({"-R", "--repo"}))[0][:3]]
    if asks_nothing(inv.argv) or len(words) < 2:
        return
    noun, verb = words[0], words[1]
    if noun == "repo" and verb == "delete":
        yield resource(
            "destroy", words[2] if len(words) > 2 else "the repository", {"repository"}, inv
        )
    elif (
        noun == "repo"
        and verb in ("edit", "create")
        and (
            has(inv.argv, "--public")
            or any(v.lower() == "public" for v in values(inv.argv, "--visibility"))
        )
    ):
        yield resource("publish", words[2] if len(words) > 2 else "a repository", {"public"}, inv)
    elif noun == "workflow" and verb == "run":
        where = environment_classes(inv.argv)
        yield resource("apply", f"workflow {' '.join(words[2:3])}", {"deploy"} | where, inv)
    elif noun == "release" and verb in ("create", "upload"):
        yield resource("publish", words[2] if len(words) > 2 else "a release", {"release"}, inv)
    elif noun == "api":
        yield from _forge_api(inv)
    elif noun == "auth" and verb in ("token", "status") and (verb == "token" or "-t" in inv.argv):
        yield secret_read(f"{inv.name}/auth-token", inv, classify)


def effects(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    """What a version-control command rewrites, deletes or publishes."""
    if inv.name == "git":
        yield from _git(inv, classify)
    elif inv.name in ("git-filter-repo", "bfg", "git-filter-branch"):
        if not asks_nothing(inv.argv):
            yield resource("rewrite", f"history ({inv.name})", {"history"}, inv)
    elif inv.name in ("gh", "glab"):
        yield from _forge(inv, classify)


FAMILY: Family = Family(
    name="version control",
    commands=frozenset({"git", "git-filter-repo", "git-filter-branch", "bfg", "gh", "glab"}),
    effects=effects,
    examples=(
        Example(
            "git push --force origin main", has=("rewrite:force-push", "rewrite:protected-branch")
        ),
        Example("git push -f origin HEAD:master", has=("rewrite:protected-branch",)),
        Example("git push origin +main", has=("rewrite:protected-branch",)),
        Example("git push --force-with-lease origin main", has=("rewrite:protected-branch",)),
        Example("git push --mirror git@example.com:x/y.git", has=("rewrite:history",)),
        Example("git push origin :main", has=("destroy:branch", "rewrite:branch-delete")),
        Example("git push origin --delete main", has=("destroy:branch",)),
        Example(
            "git push origin --delete feature/old",
            has=("rewrite:branch-delete", "rewrite:own-branch"),
            lacks=("destroy",),
        ),
        Example("git push origin --delete v2.0.1", lacks=("rewrite:own-branch",)),
        Example(
            "git branch -r | sed 's#origin/##' | xargs -I{} git push origin --delete {}",
            has=("rewrite:branch-delete",),
            lacks=("rewrite:own-branch",),
        ),
        Example(
            "git push origin --delete release/2.4",
            has=("rewrite:protected-branch",),
            lacks=("destroy",),
        ),
        Example("git push origin -f", has=("rewrite:force-push",), lacks=("rewrite:own-branch",)),
        # the branch the line checked out is the one a bare push writes
        Example(
            "git rebase main feat/x && git push --force-with-lease", has=("rewrite:own-branch",)
        ),
        Example("git switch -c fix/a && git push -f -u origin HEAD", has=("rewrite:own-branch",)),
        Example("git checkout main && git push --force", lacks=("rewrite:own-branch",)),
        Example("git checkout feat/x && git push -f --all", lacks=("rewrite:own-branch",)),
        Example("git push -f origin v3.1.0", has=("rewrite:history",)),
        Example(
            "git push --force-with-lease origin feature/login",
            has=("rewrite:own-branch",),
            lacks=("rewrite:protected-branch",),
        ),
        Example("git push origin main", lacks=("rewrite", "apply")),
        Example("git push production main", has=("apply:production",), lacks=("rewrite",)),
        Example("gh workflow run deploy.yml -f environment=production", has=("apply:production",)),
        Example(
            "git -c core.hooksPath=/dev/null push --force origin release/2.4",
            has=("rewrite:protected-branch",),
        ),
        Example(
            "sudo -u deploy git -C /srv/app push -f origin master",
            has=("rewrite:protected-branch",),
        ),
        Example("git reset --hard HEAD~3", has=("rewrite:local-work",)),
        Example("git reset --soft HEAD~1", lacks=("rewrite",)),
        Example("git clean -fdx", has=("rewrite:local-work",)),
        Example("git clean -fd build/", lacks=("rewrite",)),
        Example("git clean -fdX", lacks=("rewrite",)),
        Example("git clean -fd -- src/generated/", lacks=("rewrite",)),
        Example("git clean -n", lacks=("rewrite",)),
        Example("git checkout -- .", has=("rewrite:local-work",)),
        Example("git checkout main", lacks=("rewrite",)),
        Example("git restore --staged .", lacks=("rewrite",)),
        Example("git stash drop", has=("rewrite:local-work",)),
        Example(
            "git branch -D feature/x", has=("rewrite:local-branch",), lacks=("rewrite:local-work",)
        ),
        Example("git filter-branch --tree-filter 'rm -f s.txt' HEAD", has=("rewrite:history",)),
        Example("git filter-repo --path secrets --invert-paths", has=("rewrite:history",)),
        Example("bfg --delete-files id_rsa", has=("rewrite:history",)),
        Example("git reflog expire --expire=now --all", has=("rewrite:history",)),
        Example(
            "git tag -d v1.2.0", has=("rewrite:local-branch",), lacks=("rewrite:branch-delete",)
        ),
        Example("git filter-repo --analyze", lacks=("rewrite",)),
        Example(
            "git stash push -u -m wip && git reset --hard origin/x", lacks=("rewrite:local-work",)
        ),
        Example(
            "git diff --quiet && git diff --cached --quiet && git reset --hard origin/x",
            lacks=("rewrite:local-work",),
        ),
        Example("git diff --quiet || git reset --hard origin/x", has=("rewrite:local-work",)),
        Example("git stash list && git reset --hard origin/x", has=("rewrite:local-work",)),
        Example(
            "git clone git@github.com:acme/api.git /tmp/a && cd /tmp/a && git reset --hard 3f9c2e1",
            lacks=("rewrite:local-work",),
        ),
        Example("cd ~/src/api && git reset --hard 3f9c2e1", has=("rewrite:local-work",)),
        Example("git log --oneline -5", lacks=("rewrite",)),
        Example("git -c alias.p='push --force' p origin main", has=("rewrite:protected-branch",)),
        Example("gh repo delete acme/site --yes", has=("destroy:repository",)),
        Example("gh repo edit acme/core --visibility public", has=("publish:public",)),
        Example("gh repo create acme/tool --private", lacks=("publish",)),
        Example("gh release create v1.2.0 dist/*", has=("publish:release",)),
        Example("gh auth token", has=("read:secret-store",)),
        Example("gh pr list", lacks=("publish", "destroy", "read")),
        Example("gh api -X PATCH repos/acme/x -f private=false", has=("publish:public",)),
        Example("gh api -X DELETE repos/acme/x", has=("destroy:repository",)),
        Example("gh api -X DELETE repos/acme/x/branches/main/protection", has=("stop:security",)),
        Example("gh api repos/acme/x/pulls", lacks=("destroy", "publish", "stop")),
        Example("git push heroku main", has=("apply:deploy",), lacks=("rewrite",)),
        Example(
            "git branch -r | xargs -n1 git push origin --delete", has=("rewrite:branch-delete",)
        ),
    ),
)
