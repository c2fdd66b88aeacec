"""Path classification: which kind of place an operand names (root, home, secrets, logs…).

The classes and their patterns come from the constitution; this module only normalizes a path
and matches it, so `rm -rf $HOME/`, `rm -rf ~`, `/usr/bin/rm -rf /home/alice` and a tool call
`delete_file(path="/root")` all reach the same class.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Mapping, Sequence

from magistrate.analysis.fieldscan import PatternSet
from magistrate.analysis.metadata import canonical_url

# Targets that stand for sources of secrets or data rather than paths.
PSEUDO_TARGETS = {
    "$ENV": frozenset({"environment"}),
    "$DATABASE": frozenset({"database-dump"}),
    "$PERSONAL": frozenset({"personal-data"}),
    # a browser's cookies and stored session tokens: read by pages all day, sent out they are
    # the user's sessions (facts.SECRET_CLASSES)
    "$BROWSER": frozenset({"browser-session"}),
}
_HOME_PREFIX = re.compile(
    r"^(?:\$HOME|\$\{HOME(?::?[-?=+][^}]*)?\}|~[A-Za-z_][\w.-]*|/home/[^/]+|/Users/[^/]+|/root"
    r"|%USERPROFILE%|(?:%HOMEDRIVE%)?%HOMEPATH%|\$env:USERPROFILE|\$env:HOME)(?=[/\\]|$)",
    re.I,
)
_SYSTEM_ROOT = re.compile(
    r"^(?:%(?:SystemRoot|windir)%|\$env:(?:SystemRoot|windir))(?=[/\\]|$)", re.I
)
_SYSTEM_DRIVE = re.compile(r"^(?:%SystemDrive%|\$env:SystemDrive)(?=[/\\]|$)", re.I)
# Temporary folders by variable, POSIX and Windows (`$env:TEMP\\x.ps1`, `%TEMP%\\x.exe`).
_TMPDIR_PREFIX = re.compile(
    r"^(?:\$TMPDIR|\$\{TMPDIR\}|\$TMP|\$\{TMP\}|\$env:te?mp|%te?mp%)(?=[/\\]|$)", re.I
)
# Commas separate the alternatives: `[^{}]*,[^{}]*` was quadratic on `{a,a,a,…` without `}`.
_BRACES = re.compile(r"\{([^{},]*(?:,[^{},]*)+)\}")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
MAX_PATH_CHARS = 4096  # PATH_MAX: longer operands are classified by their first 4,096 characters


# A last component that matches every entry (`*.*` does on Windows): the folder's contents.
_ALL_ENTRIES = re.compile(r"(^|[/\\])\*\.\*$")
# First characters of the spellings normalize_path rewrites (home, variables, root, `./`).
_SPECIAL_FIRST = frozenset("%$~/.")


def normalize_path(path: str) -> str:
    """Canonical spelling of a path for classification: `~` for home, no `//`, `..` resolved;
    `*.*` as `*`."""
    p = path.strip()
    if not p:
        return p
    if p[0] not in _SPECIAL_FIRST and p[1:2] != ":" and "*" not in p:
        return p  # a plain relative name (most operands): no rule below applies to it
    p = _ALL_ENTRIES.sub(r"\1*", p)
    if not p:
        return p
    if p[0] in "%$":  # Windows variables for system places: %SystemRoot% is C:\Windows
        p = _SYSTEM_DRIVE.sub("c:", _SYSTEM_ROOT.sub("c:/windows", p, count=1), count=1)
    if _WINDOWS_DRIVE.match(p):
        return p.replace("\\", "/").lower()
    p = _HOME_PREFIX.sub("~", p, count=1)
    if p.startswith("~\\"):
        p = p.replace("\\", "/")
    p = _TMPDIR_PREFIX.sub("/tmp", p, count=1)
    if p.startswith("/tmp\\"):
        p = p.replace("\\", "/")
    if p.startswith("~") or p.startswith("/"):
        head, rest = ("~", p[1:]) if p.startswith("~") else ("", p)
        had_slash = rest.endswith("/") and len(rest) > 1
        norm = posixpath.normpath("/" + rest.lstrip("/")) if rest else ""
        if head:
            norm = head + ("" if norm in ("", "/") else norm)
        elif norm.startswith("//"):
            norm = "/" + norm.lstrip("/")
        if had_slash and norm not in ("/", "~"):
            norm += "/"
        return norm or "/"
    if p.startswith("./") and len(p) > 2:
        p = p[2:]
    return p


# One glob: a run of stars, a `?`, a bracket set within one component.
_GLOB = re.compile(r"\*+|\?|\[[^\]/]*\]")


# Files whose names a glob spells to hide them (`/???/s?ad?w`, `~/.*_history`): a glob that
# can name one of them names it. Knowledge as data: extend it with what a glob may disguise.
WELL_KNOWN_FILES = (
    "/etc/shadow", "/etc/gshadow", "/etc/passwd", "/etc/sudoers", "/etc/crontab", "/etc/hosts",
    "/etc/ssh/sshd_config", "/etc/ld.so.preload", "/dev/sda", "/dev/nvme0n1", "/dev/mem",
    "/boot", "/root", "/var/log/auth.log", "/var/log/syslog", "~/.bash_history",
    "~/.zsh_history", "~/.ssh/id_rsa", "~/.ssh/id_ed25519", "~/.ssh/authorized_keys",
    "~/.aws/credentials", "~/.bashrc", "~/.zshrc", "~/.profile", "~/.git-credentials",
    "~/.netrc", "~/.kube/config", "~/.docker/config.json", "~/.gnupg/private-keys-v1.d",
)  # fmt: skip
# Names that are a secret wherever they lie: a glob in a path's last component that can spell
# one names it in that folder (`find / -name 'id_*'` hunts private keys in every folder).
WELL_KNOWN_NAMES = ("id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", ".git")  # `.[!.]*` takes .git


def _well_known_matches(path: str) -> list[str]:
    """The well-known files an absolute or home glob can name, and the well-known names a
    glob in any path's last component can spell (in that folder)."""
    if len(path) > 256:
        return []
    cut = path.rfind("/") + 1
    last = path[cut:]
    names = []
    if _GLOB.search(last) and last.strip("*"):
        spelled = re.compile(fnmatch.translate(last))
        # A dot file only for a glob that starts with a dot: `*` takes none (`obj/*.*`).
        dotted = last.startswith(".")
        names = [
            path[:cut] + n
            for n in WELL_KNOWN_NAMES
            if spelled.match(n) and (dotted or not n.startswith("."))
        ]
    if path[:1] not in "/~":
        return names
    if all(c in ("*", "**") for c in path.split("/") if _GLOB.search(c)):
        return names  # `/*`, `~/.aws/*`: a folder's entries, read as the folder (glob_variants)
    pattern = re.compile(fnmatch.translate(normalize_path(path)))
    return [*names, *(known for known in WELL_KNOWN_FILES if pattern.match(known))]


def glob_variants(path: str) -> tuple[str, ...]:
    """A path and, when it holds globs, what it can name: each glob filled with one name
    character (`~/.ssh/id_*` names `~/.ssh/id_x`, a key) and, when a component is all glob,
    the folder whose entries it takes (`~/.aws/*` reads in `~/.aws/`). URLs are not globs."""
    first = min((i for i in (path.find("*"), path.find("?"), path.find("[")) if i >= 0), default=-1)
    if first < 0 or "://" in path:
        return (path,)
    filled = _GLOB.sub("x", path)
    cut = path.rfind("/", 0, first) + 1
    end = path.find("/", first)
    component = path[cut:] if end < 0 else path[cut:end]
    # The folder only where the glob takes every entry (`~/.ssh/*`, not `~/.ssh/*.pub`).
    folder = path[:cut] if cut and not _GLOB.sub("", component) else ""
    known = _well_known_matches(path)
    found = (path, filled, *known, folder) if folder else (path, filled, *known)
    return tuple(dict.fromkeys(found))


def expand_braces(path: str, limit: int = 16) -> list[str]:
    """Expand one level of `{a,b}` alternatives (bounded), as the shell would."""
    m = _BRACES.search(path)
    if not m:
        return [path]
    out = [path[: m.start()] + alt + path[m.end() :] for alt in m.group(1).split(",")]
    return out[:limit]


def path_candidates(operand: str) -> list[str]:
    """The strings inside an operand that may be paths: `@file`, `key=@file`, `of=/dev/sda`."""
    if not operand:
        return []
    found = [operand]
    if operand[0] in "@<":
        found.append(operand[1:])
    eq = operand.find("=")
    if 0 < eq < len(operand) - 1:
        value = operand[eq + 1 :]
        found.append(value[1:] if value[0] in "@<" else value)
    colon = operand.find(":")
    # scp-style remote spec `user@host:path` and URL-less `host:path` keep their path part.
    if 0 < colon < len(operand) - 1 and not operand.startswith(("http:", "https:", "s3:", "gs:")):
        rest = operand[colon + 1 :]
        if rest.startswith(("/", "~")):
            found.append(rest)
    return found


# The system's trust stores: public certificates (a `.pem` there is not a private key); a pod's
# service-account folder holds its namespace's name and the cluster's public CA beside the token.
_PUBLIC_CERTIFICATES = re.compile(
    r"^/etc/(ssl/certs|pki/(tls/certs|ca-trust)|ca-certificates)/[^/]+$"
    r"|^/usr/(local/)?share/ca-certificates/[^/]+$"
    r"|^/(var/)?run/secrets/kubernetes\.io/serviceaccount/(namespace|ca\.crt)$"
)


class PathClassifier:
    """Maps a path to the set of constitution path classes it belongs to."""

    __slots__ = ("_cache", "_class_of", "_names", "_set")

    def __init__(self, classes: Mapping[str, Sequence[str]]) -> None:
        # Every pattern of every class in one linear-time scan (analysis/fieldscan).
        self._class_of = [name for name, patterns in classes.items() for _ in patterns]
        self._set = PatternSet([p for patterns in classes.values() for p in patterns], True)
        self._names = frozenset(classes)
        self._cache: dict[str, frozenset[str]] = {}

    @property
    def names(self) -> frozenset[str]:
        """Every class this classifier knows."""
        return self._names

    def classify(self, operand: str) -> frozenset[str]:
        """Classes of every path the operand may name (empty when it names none we know)."""
        hit = self._cache.get(operand)
        if hit is not None:
            return hit
        pseudo = PSEUDO_TARGETS.get(operand)
        if pseudo is not None:
            return pseudo
        result: set[str] = set()
        class_of, matches = self._class_of, self._set.matches
        plain = not (operand[:1] in "@<" or "=" in operand or ":" in operand)
        for candidate in (operand,) if plain else path_candidates(operand):
            url = canonical_url(candidate)
            for expanded in expand_braces(url) if "{" in url else (url,):
                for variant in glob_variants(expanded[:MAX_PATH_CHARS]):
                    for i in matches(normalize_path(variant)):
                        result.add(class_of[i])
                    if variant[:2] == "//" and variant[2:3] not in ("/", ""):
                        # `\\fs01\share`: a Windows share, and POSIX's `//etc` (read both ways)
                        for i in matches(variant):
                            result.add(class_of[i])
        if "secret" in result and _PUBLIC_CERTIFICATES.match(normalize_path(operand)):
            result.discard("secret")  # `/etc/ssl/certs/x.pem`: certificates anyone may read
        frozen = frozenset(result)
        if len(self._cache) > 50_000:
            self._cache.clear()
        self._cache[operand] = frozen
        return frozen
