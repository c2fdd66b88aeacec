"""PowerShell cmdlets that remove or clear what their noun names, whatever module they are from.

PowerShell names every command Verb-Noun, and the verbs are a fixed list: `Remove-`,
`Uninstall-` and `Unregister-` take away what the noun names, `Clear-` empties it. So
`Remove-AzResourceGroup`, `Remove-ADUser`, `Remove-VM`, `Remove-MgUser` and
`Remove-AzSqlDatabase` destroy a resource group, an account, a machine, an account and a
database, as `az group delete`, `userdel`, `virsh undefine` do; the noun, after its module's
prefix (Az, AD, Mg, Exo, Sql…), says which kind. Nouns of the session itself (variables,
jobs, drives, modules) remove nothing lasting. `Remove-Item` is the files family's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from magistrate.analysis.effects import Effect
from magistrate.analysis.families.base import Classify, Example, Family, environment_classes
from magistrate.analysis.families.base import resource as _resource
from magistrate.analysis.invocation import Invocation

_VERBS = ("remove-", "uninstall-", "unregister-")
# Module prefixes of nouns (`AzSqlDatabase` is an SQL database of the Az module).
_MODULE = re.compile(
    r"^(azurerm|azure|azad|az|ad|mg|exo|aws|ec2|s3|iam|gcp|gce|sql|vm|hv|cs)(?=[a-z])"
)
# Noun words → the class a destroy gives (the first that the noun contains, in this order).
_KINDS: tuple[tuple[str, str], ...] = (
    ("resourcegroup", "stack"),
    ("subscription", "stack"),
    ("stack", "stack"),
    ("cluster", "cluster"),
    ("namespace", "namespace"),
    ("tenant", "namespace"),
    ("database", "database"),
    ("sqlserver", "database"),
    ("cosmos", "database"),
    ("table", "database"),
    ("keyvault", "secret"),
    ("secret", "secret"),
    ("certificate", "secret"),
    ("dnszone", "dns"),
    ("dnsrecord", "dns"),
    ("recordset", "dns"),
    ("dnsserverresourcerecord", "dns"),
    ("storageaccount", "bucket"),
    ("storagecontainer", "bucket"),
    ("bucket", "bucket"),
    ("snapshot", "volume"),
    ("disk", "volume"),
    ("volume", "volume"),
    ("partition", "volume"),
    ("mailbox", "identity"),
    ("user", "identity"),
    ("group", "identity"),
    ("serviceprincipal", "identity"),
    ("account", "identity"),
    ("computer", "instance"),
    ("instance", "instance"),
    ("webapp", "release"),
    ("functionapp", "release"),
    ("containerapp", "release"),
    ("repository", "repository"),
)
# Nouns of this session or this shell: removing them changes nothing that lasts.
_SESSION = frozenset(
    "item itemproperty variable alias job psdrive pssession module typedata event psbreakpoint"
    " psreadlinekeyhandler appxpackage windowscapability printjob smbmapping".split()
)


def _noun_kind(noun: str) -> str | None:
    if noun in _SESSION:
        return None
    bare = _MODULE.sub("", noun)
    if bare in ("vm", "vms", "vmss", "ec2instance") or noun in ("vm", "azvm"):
        return "instance"
    for word, kind in _KINDS:
        if word in bare:
            return kind
    # A cloud or directory module's noun we do not know is still a resource of that module.
    return "resource" if _MODULE.match(noun) else None


# Granting verbs, and the nouns whose grant hands over administration, a mailbox, a vault's
# secrets or an app's consent for everyone (what the grant gives, not who it goes to).
_GRANT_VERBS = frozenset({"new", "add", "grant", "set"})
_GRANT_NOUNS = re.compile(
    r"(directoryrolemember|roleassignment|rolemember|directoryroleassignment|oauth2permissiongrant"
    r"|approleassignment|serviceprincipalpermission|keyvaultaccesspolicy|mailboxpermission"
    r"|recipientpermission|mailboxfolderpermission|smbshareaccess)"
)
# Roles that administer (not Reader, not a Contributor to one resource group's data).
_ADMIN_ROLE = re.compile(r"owner|administrator|admin\b|contributor|full", re.I)
_EVERYONE = re.compile(r"^(everyone|authenticated users|domain users|anonymous logon)$", re.I)
# Where mail is sent on: forwarding and redirects of a mailbox or of all mail (transport rules).
_FORWARDERS = frozenset({"set-mailbox", "new-inboxrule", "set-inboxrule", "new-transportrule"})
_FORWARD_OPTIONS = frozenset(
    "-forwardingsmtpaddress -forwardingaddress -forwardto -redirectto -forwardasattachmentto"
    " -blindcopyto -redirectmessageto -addtorecipients".split()
)


def _grant(inv: Invocation, noun: str) -> Iterator[Effect]:
    argv = inv.argv
    lower = [a.lower() for a in argv]
    values = {lower[k]: argv[k + 1] for k in range(len(argv) - 1) if argv[k].startswith("-")}
    target = " ".join([inv.name, *argv[:6]])
    if noun.endswith("smbshareaccess"):
        if _EVERYONE.match(values.get("-accountname", "")):
            yield _resource("publish", target, {"public"}, inv)
        return
    role = values.get("-roledefinitionname", "") or values.get("-accessrights", "")
    if noun.endswith("roleassignment") and "directory" not in noun and not _ADMIN_ROLE.search(role):
        return  # `New-AzRoleAssignment -RoleDefinitionName Reader`: read access
    joined = " ".join(lower)
    if "consenttype" in joined and "allprincipals" not in joined:
        return  # an app's consent for one user, not the whole tenant
    yield _resource("privilege", target, {"access-grant"}, inv)


def effects(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    """What a removing or clearing cmdlet takes away, and what a granting one hands over."""
    verb, _, noun = inv.name.partition("-")
    if verb in _GRANT_VERBS and _GRANT_NOUNS.search(noun):
        yield from _grant(inv, noun)
        return
    if inv.name in _FORWARDERS:
        lower = [a.lower() for a in inv.argv]
        to = [inv.argv[k + 1] for k, a in enumerate(lower[:-1]) if a in _FORWARD_OPTIONS]
        if to:  # every message from now on also goes there
            yield _resource("privilege", f"mail forwarded to {to[0]}", {"access-grant"}, inv)
        return
    if verb == "clear" and noun == "content":  # empties each file it names
        paths = [a for a in inv.argv if not a.startswith("-")]
        for path in paths[:8]:
            yield Effect("truncate", path, classify(path), inv.name, inv.privileged)
        return
    if verb == "clear" and noun == "recyclebin":  # what was deleted is gone for good
        yield Effect("delete", "~/.Trash", classify("~/.Trash"), inv.name, inv.privileged)
        return
    if f"{verb}-" not in _VERBS:
        return
    kind = _noun_kind(noun)
    if kind is None:
        return
    where = environment_classes([a for a in inv.argv if not a.startswith("-")])
    target = " ".join([inv.name, *inv.argv[:4]])
    yield _resource("destroy", target, {kind} | where, inv)


FAMILY: Family = Family(
    name="cmdlets",
    commands=frozenset({"clear-content", "clear-recyclebin"}) | _FORWARDERS,
    effects=effects,
    prefixes=(*_VERBS, "new-", "add-", "grant-", "set-"),
    examples=(
        Example("Remove-AzResourceGroup -Name rg-prod-eastus -Force", has=("destroy:stack",)),
        Example("Remove-AzResourceGroup -Name rg-dev-sandbox -Force", has=("destroy:scratch",)),
        Example("Remove-ADUser -Identity svc-backup -Confirm:$false", has=("destroy:identity",)),
        Example("Get-VM | Remove-VM -Force", has=("destroy:instance",)),
        Example(
            "Remove-AzSqlDatabase -ServerName s1 -DatabaseName orders", has=("destroy:database",)
        ),
        Example("Clear-Content -Path C:/app/appsettings.Production.json", has=("truncate",)),
        Example("Remove-Variable -Name x", lacks=("destroy",)),
        Example(
            "New-AzRoleAssignment -SignInName c@outlook.com -RoleDefinitionName Owner -Scope /",
            has=("privilege:access-grant",),
        ),
        Example(
            "New-AzRoleAssignment -ObjectId x -RoleDefinitionName Reader -Scope /rg/sandbox",
            lacks=("privilege",),
        ),
        Example(
            "Add-MailboxPermission -Identity ceo@contoso.com -User p@fabrikam.net -AccessRights"
            " FullAccess",
            has=("privilege:access-grant",),
        ),
        Example(
            "Set-Mailbox -Identity cfo@contoso.com -ForwardingSmtpAddress smtp:x@gmail.example",
            has=("privilege:access-grant",),
        ),
        Example("Set-Mailbox -Identity cfo@contoso.com -Office 'Berlin'", lacks=("privilege",)),
        Example(
            "Grant-SmbShareAccess -Name Finance -AccountName Everyone -AccessRight Full",
            has=("publish:public",),
        ),
        Example("Set-ItemProperty -Path HKCU:/x -Name y -Value 1", lacks=("privilege", "destroy")),
        Example("Remove-Job -Id 3", lacks=("destroy",)),
        Example("Remove-Module PSReadLine", lacks=("destroy",)),
    ),
)
