"""Secret stores: HashiCorp Vault, 1Password (op), Bitwarden (bw), Doppler, Infisical,
chamber, pass, sops, gpg secret keys, the macOS keychain (security) and the Windows
Credential Manager (vaultcmd).

Printing a secret is a path-style read of `secret-store:WHAT` of the `secret` class (see
`families.cli.secret_read`), so the rules about secrets read, or read and sent out, apply to it
as they do to `cat ~/.aws/credentials`. Cloud secret managers are the cloud family's; cluster
secrets the Kubernetes family's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from magistrate.analysis.effects import Effect
from magistrate.analysis.families.base import Classify, Example, Family, resource
from magistrate.analysis.families.cli import asks_nothing, has, secret_read, split, values
from magistrate.analysis.invocation import Invocation

# program → verb sequences (the first operands) that print secrets.
_READERS: dict[str, tuple[tuple[str, ...], ...]] = {
    "vault": (("kv", "get"), ("read",), ("kv", "read"), ("get",)),
    "op": (("item", "get"), ("read",), ("document", "get"), ("get", "item")),
    "bw": (("get",), ("export",), ("list", "items")),  # items are listed with their logins
    "doppler": (("secrets", "get"), ("secrets", "download"), ("secrets",)),
    "infisical": (("secrets", "get"), ("export",), ("secrets",)),
    "chamber": (("read",), ("export",)),
    "pass": (("show",),),
    "gopass": (("show",),),
    "lpass": (("show",), ("export",)),
    "keepassxc-cli": (("show",), ("export",), ("clip",)),
    "kpcli": (("show",), ("export",)),
    # Airflow's connections carry their passwords; variables often hold keys
    "airflow": (("connections", "export"), ("connections", "get"), ("variables", "export")),
    # the desktop's keyring (GNOME Keyring, KWallet through libsecret)
    "secret-tool": (("lookup",), ("search",)),
}
# Credential helpers print the login they store for a host (`docker-credential-desktop get`,
# `git-credential-manager get`): docker's by name prefix.
_CREDENTIAL_HELPER = "docker-credential-"
_GIT_CREDENTIAL = frozenset({"git-credential-manager", "git-credential-osxkeychain",
                             "git-credential-libsecret", "git-credential-store"})  # fmt: skip
# Git's own configuration that holds a credential: the Actions checkout's auth header.
_GIT_SECRET_KEY = re.compile(r"^http\..*extraheader$|^credential\..*password$", re.I)
_WINDOWS_VAULT = frozenset({"vaultcmd", "vaultcmd.exe"})  # Windows Credential Manager
_KEYCHAIN_READS = frozenset({"find-generic-password", "find-internet-password"})
_VALUED = frozenset({"-format", "-field", "-mount", "--vault", "--fields", "-p", "--project",
                     "-c", "--config", "--session", "--reveal", "-s", "-a", "-k"})  # fmt: skip


def _keychain(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    operands = [w.lower() for w in split(inv.argv, _VALUED)[0]]
    verb = operands[0] if operands else ""
    if verb in _KEYCHAIN_READS and any(
        a in ("-w", "-g") or (a.startswith("-") and not a.startswith("--") and "w" in a[1:])
        for a in inv.argv
    ):
        yield secret_read(f"keychain/{verb}", inv, classify)
    elif verb == "dump-keychain" and has(inv.argv, "-d"):
        yield secret_read("keychain/dump", inv, classify)
    elif verb == "export" and values(inv.argv, "-t") and "identities" in values(inv.argv, "-t"):
        yield secret_read("keychain/identities", inv, classify)


_VAULT_POWER = re.compile(r"(^|[,=\s])(root|admin\w*|superuser|sudo)($|[,\s])", re.I)


def _vault(inv: Invocation) -> Effect | None:
    """Vault's audit devices switched off, a secrets engine disabled (every secret under its
    mount is deleted with it), and tokens or roles given the root or an admin policy."""
    words = [w.lower() for w in split(inv.argv, _VALUED)[0][:3]]
    if words[:2] in (["audit", "disable"], ["audit", "delete"]):
        return resource("stop", "a Vault audit device", {"logging"}, inv)
    if words[:2] == ["secrets", "disable"]:
        return resource("destroy", f"Vault secrets engine {' '.join(words[2:3])}", {"secret"}, inv)
    policies = [value for name, _, value in (a.partition("=") for a in inv.argv)
                if name.lstrip("-") in ("policy", "policies", "token_policies")]  # fmt: skip
    policies += values(inv.argv, "-policy", "--policy")  # `-policy root`
    role = words[:1] == ["write"] and "/role/" in "".join(words[1:2])
    if (words[:2] == ["token", "create"] or role) and any(_VAULT_POWER.search(p) for p in policies):
        return resource("privilege", "a Vault token with an admin policy", {"cluster-admin"}, inv)
    return None


def _git_credentials(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    """`git config --get-all http.https://github.com/.extraheader`: the token a CI checkout
    left behind (`git credential fill` is the shell analysis's: it reads ~/.git-credentials)."""
    words = split(inv.argv)[0]
    if words[:1] == ["config"] and any(_GIT_SECRET_KEY.match(w) for w in words[1:3]):
        yield secret_read("git/config-credential", inv, classify)


def effects(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    """A secret printed out of a secret store."""
    if asks_nothing(inv.argv):
        return
    if inv.name == "security":
        yield from _keychain(inv, classify)
    elif inv.name == "vault" and (found := _vault(inv)) is not None:
        yield found
    elif inv.name in ("gpg", "gpg2"):
        if has(inv.argv, "--export-secret-keys", "--export-secret-subkeys"):
            yield secret_read("gpg/secret-keys", inv, classify)
    elif inv.name in _WINDOWS_VAULT:  # `vaultcmd /listcreds:"Windows Credentials" /all`
        if any(a.lower().startswith("/listcreds") for a in inv.argv):
            yield secret_read("windows-vault/credentials", inv, classify)
    elif inv.name.startswith(_CREDENTIAL_HELPER) or inv.name in _GIT_CREDENTIAL:
        if split(inv.argv)[0][:1] == ["get"]:
            yield secret_read(f"{inv.name}/get", inv, classify)
    elif inv.name == "git" and inv.subcommand.startswith("config"):  # most git runs: nothing
        yield from _git_credentials(inv, classify)
    elif inv.name == "sops":
        if has(inv.argv, "-d", "--decrypt") or split(inv.argv)[0][:1] == ["decrypt"]:
            yield secret_read(f"sops/{' '.join(split(inv.argv)[0][-1:])}", inv, classify)
    elif wanted := _READERS.get(inv.name):
        words = [w.lower() for w in split(inv.argv, _VALUED)[0][:3]]
        if any(tuple(words[: len(v)]) == v for v in wanted):
            yield secret_read(f"{inv.name}/{'/'.join(words[1:3])}", inv, classify)


FAMILY: Family = Family(
    name="secrets",
    commands=frozenset(_READERS)
    | _WINDOWS_VAULT
    | _GIT_CREDENTIAL
    | {"security", "gpg", "gpg2", "sops", "git"},
    prefixes=(_CREDENTIAL_HELPER,),
    effects=effects,
    examples=(
        Example("vault kv get -format=json secret/prod/database", has=("read:secret-store",)),
        Example("vault secrets disable secret-prod/", has=("destroy:secret",)),
        Example("vault secrets list", lacks=("destroy",)),
        Example(
            "vault token create -policy=root -orphan -ttl=8760h", has=("privilege:cluster-admin",)
        ),
        Example(
            "vault write auth/approle/role/ci token_policies=admin,default token_ttl=0",
            has=("privilege:cluster-admin",),
        ),
        Example("vault token create -policy=ci-read -ttl=1h", lacks=("privilege",)),
        Example("vault audit disable file/", has=("stop:logging",)),
        Example("vault read secret/prod/db", has=("read:secret-store",)),
        Example("op item get 'AWS prod' --fields password", has=("read:secret-store",)),
        Example("bw get password github", has=("read:secret-store",)),
        Example("bw list items --search corp", has=("read:secret-store",)),
        Example("bw list folders", lacks=("read",)),
        Example("lpass export --sync=now", has=("read:secret-store",)),
        Example("lpass ls", lacks=("read",)),
        Example("keepassxc-cli show -s vault.kdbx github", has=("read:secret-store",)),
        Example(
            "security find-generic-password -wa 'Chrome Safe Storage'", has=("read:secret-store",)
        ),
        Example("security find-generic-password -s wifi", lacks=("read",)),
        Example("gpg --export-secret-keys -a", has=("read:secret-store",)),
        Example("gpg --list-keys", lacks=("read",)),
        Example("sops -d secrets.enc.yaml", has=("read:secret-store",)),
        Example("vault status", lacks=("read",)),
        Example("vault audit disable file/", has=("stop:logging",)),
        Example("vault kv list secret/", lacks=("read",)),
        Example('vaultcmd /listcreds:"Windows Credentials" /all', has=("read:secret-store",)),
        Example("vaultcmd /list", lacks=("read:secret-store",)),
        Example("airflow connections export - --file-format env", has=("read:secret-store",)),
        Example("airflow connections list", lacks=("read:secret-store",)),
        Example("secret-tool lookup service gnome-online-accounts", has=("read:secret-store",)),
        Example("secret-tool store --label=x service demo", lacks=("read",)),
        Example(
            "echo https://index.docker.io/v1/ | docker-credential-desktop get",
            has=("read:secret-store",),
        ),
        Example("docker-credential-desktop list", lacks=("read",)),
        Example(
            "git config --get-all http.https://github.com/.extraheader", has=("read:secret-store",)
        ),
        Example("git config --get user.email", lacks=("read",)),
    ),
)
