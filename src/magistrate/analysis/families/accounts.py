"""Privilege and accounts: users added to admin groups, second root accounts, passwords, setuid
bits and capabilities — on Linux (useradd, usermod, gpasswd, passwd, chpasswd, visudo, chmod,
setcap), macOS (dscl, dseditgroup, sysadminctl) and Windows (net user, net localgroup,
Add-LocalGroupMember, New-LocalUser, Set-LocalUser).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from magistrate.analysis.effects import Effect
from magistrate.analysis.families.base import Classify, Example, Family, resource
from magistrate.analysis.families.services import service
from magistrate.analysis.invocation import Invocation

# Groups whose members are administrators (or can become root trivially).
ADMIN_GROUPS = re.compile(
    r"^(sudo|wheel|admin|admins|administrators|root|docker|lxd|disk|shadow|adm|sudoers"
    r"|domain admins|enterprise admins|schema admins|remote desktop users|_developer)$",
    re.I,
)
_SETUID_MODE = re.compile(r"^[ugoa]*[+=][rwxXt]*s|^[2467][0-7]{3}$")
_ROOT_CAPS = re.compile(
    r"cap_(setuid|setgid|sys_admin|dac_override|dac_read_search|sys_ptrace|sys_module|chown|fowner)|=ep\b|all",
    re.I,
)
_UID_OPTIONS = ("-u", "--uid")


def _uid_zero(argv: list[str]) -> bool:
    for i, arg in enumerate(argv):
        if arg in _UID_OPTIONS and i + 1 < len(argv) and argv[i + 1].strip() in ("0", "00"):
            return True
        if arg in ("-u0", "--uid=0"):
            return True
    return False


def _groups_named(inv: Invocation) -> list[str]:
    """Groups a user is put in: `-G a,b`, `-aG a`, `--groups a`, `adduser USER GROUP`…"""
    argv = inv.argv
    out: list[str] = []
    for i, arg in enumerate(argv):
        if i + 1 < len(argv) and (
            arg in ("-G", "--groups", "-g", "--gid", "--append-groups")
            or (arg.startswith("-") and not arg.startswith("--") and arg.endswith("G"))
        ):
            out += argv[i + 1].split(",")
        elif arg.startswith("--groups="):
            out += arg.split("=", 1)[1].split(",")
    return out


def _linux(inv: Invocation) -> Iterator[Effect]:
    name, argv, ops = inv.name, inv.argv, [o for o in inv.operands if not o.startswith("-")]
    if name in ("useradd", "usermod", "adduser") and _uid_zero(argv):
        yield resource("privilege", ops[-1] if ops else "uid 0", {"root-account"}, inv)
    groups = _groups_named(inv)
    if name == "gpasswd" and ("a" in inv.flags or "add" in inv.flags or "M" in inv.flags):
        groups += ops[-1:]
    if name in ("adduser", "addgroup") and len(ops) == 2:
        groups.append(ops[1])  # `adduser USER GROUP` (Debian)
    for group in groups:
        if ADMIN_GROUPS.match(group.strip()):
            yield resource("privilege", f"group {group}", {"admin-group"}, inv)
    # Locking an account or expiring its password takes access away (`passwd -l olduser`), and
    # `chage -l` lists the ageing: neither hands anyone a password.
    changes = inv.flags & {"d", "delete", "u", "unlock"} or (
        ops and not inv.flags & {"l", "lock", "e", "expire"}
    )
    listing = name == "chage" and bool(inv.flags & {"l", "list"})
    if name in ("passwd", "chage") and not inv.flags & {"S", "status"} and changes and not listing:
        yield resource("privilege", ops[0] if ops else "own password", {"password"}, inv)
    if name in ("chpasswd", "newusers", "pwconv", "pwunconv", "sysadminctl"):
        yield resource("privilege", name, {"password"}, inv)
        if name == "sysadminctl" and "-admin" in argv:
            yield resource("privilege", "admin user", {"admin-group"}, inv)
    if name == "visudo" and not inv.flags & {"c", "check"}:
        yield resource("privilege", "sudoers", {"admin-group"}, inv)


def _mode_bits(inv: Invocation) -> Iterator[Effect]:
    args = [a for a in inv.argv if a not in ("-R", "--recursive", "-v", "-f", "-c")]
    if not args:
        return
    if (inv.name == "chmod" and any(_SETUID_MODE.match(m) for m in args[0].split(","))) or (
        inv.name == "setcap" and _ROOT_CAPS.search(args[0]) and "-r" not in inv.argv
    ):
        for target in args[1:] or ["?"]:
            yield resource("privilege", target, {"setuid"}, inv)


_OPEN_MODE = re.compile(r"^0?[0-7]?(777|666|000|00)$|^[ugoa]*[oa][ugoa]*\+[rwxX]*w", re.I)


def _broad_perm(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    """chmod, chown, chgrp, setfacl, icacls, takeown applied recursively or opening a target to
    everyone: `perm` effects marked `recursive` or `world-writable`, and `broad` for either."""
    low = [a.lower() for a in inv.argv]
    extra: set[str] = set()
    if any(a in ("-r", "--recursive", "/t", "/r") for a in low) or any(
        a.startswith("-") and not a.startswith("--") and "R" in a for a in inv.argv
    ):
        extra.add("recursive")
    windows = inv.name in ("icacls", "takeown")
    plain = [a for a in inv.argv if not a.startswith("-") and not (windows and a.startswith("/"))]
    if inv.name == "chmod" and plain and any(_OPEN_MODE.match(m) for m in plain[0].split(",")):
        extra.add("world-writable")
    if inv.name == "icacls" and re.search(
        r"\b(everyone|users|authenticated users):\S*[fm]", " ".join(low)
    ):
        extra.add("world-writable")
    if not extra:
        return
    extra.add("broad")
    first = 0 if windows else 1
    if inv.name == "setfacl":
        first = 1 if any(a in ("-m", "--modify", "-x", "-s", "--set") for a in inv.argv) else 0
    for target in plain[first:] if inv.name != "takeown" else _option_targets(inv):
        yield Effect("perm", target[:200], classify(target) | extra, inv.name, inv.privileged)


def _option_targets(inv: Invocation) -> list[str]:
    argv = inv.argv
    return [argv[i + 1] for i, a in enumerate(argv[:-1]) if a.lower() == "/f"]


def _dscl(inv: Invocation) -> Iterator[Effect]:
    text = " ".join(inv.argv)
    low = text.lower()
    if re.search(
        r"\s-(create|append|merge)\s+\S*/groups/(admin|wheel)\b.*\bgroupmembership\b", low
    ):
        yield resource("privilege", "group admin", {"admin-group"}, inv)
    if re.search(r"\buniqueid\s+0\b|\bprimarygroupid\s+0\b", low) and " -create" in low:
        yield resource("privilege", "uid 0", {"root-account"}, inv)
    if re.search(r"\s-(passwd|changei?)\b|\bauthenticationauthority\b", low):
        yield resource("privilege", text[:80], {"password"}, inv)


def _dseditgroup(inv: Invocation) -> Iterator[Effect]:
    argv = inv.argv
    if "edit" in argv and "-a" in argv:
        group = argv[-1]
        if ADMIN_GROUPS.match(group):
            yield resource("privilege", f"group {group}", {"admin-group"}, inv)


def _removed_user(inv: Invocation) -> Iterator[Effect]:
    """`userdel -r jenkins`, `deluser --remove-home x`: an account (and its home) removed."""
    ops = [o for o in inv.operands if not o.startswith("-")]
    if ops:
        yield resource("destroy", f"user {ops[-1]}", {"identity"}, inv)


def _windows(inv: Invocation) -> Iterator[Effect]:
    """`net localgroup administrators x /add`, `net user x pass`, Add-LocalGroupMember…"""
    argv = [a for a in inv.argv]
    low = [a.lower() for a in argv]
    if inv.name == "net":
        if low[:1] in (["stop"], ["start"]) and len(argv) > 1:  # net stop SERVICE
            yield service("stop" if low[0] == "stop" else "control", " ".join(argv[1:]), inv)
        elif low[:1] in (["localgroup"], ["group"]) and "/add" in low and len(argv) > 2:
            if ADMIN_GROUPS.match(argv[1]):
                yield resource("privilege", f"group {argv[1]}", {"admin-group"}, inv)
        elif low[:1] == ["user"] and "/delete" in low and len(argv) > 2:
            yield resource("destroy", f"user {argv[1]}", {"identity"}, inv)  # and its profile
        elif low[:1] == ["user"] and "/active:yes" in low and argv[1].lower() == "administrator":
            yield resource("privilege", argv[1], {"root-account"}, inv)
        elif low[:1] == ["user"] and any(not a.startswith("/") for a in argv[2:]):
            yield resource("privilege", argv[1], {"password"}, inv)
    elif inv.name == "add-localgroupmember" or inv.name == "add-adgroupmember":
        text = " ".join(argv)
        if re.search(
            r"\b(administrators|domain admins|enterprise admins|remote desktop users)\b", text, re.I
        ):
            yield resource("privilege", "group administrators", {"admin-group"}, inv)
    elif inv.name in ("set-localuser", "new-localuser", "set-adaccountpassword"):
        if any(a.startswith("-password") or a.startswith("-newpassword") for a in low):
            yield resource("privilege", "account", {"password"}, inv)
    elif inv.name == "enable-localuser" and any("administrator" in a for a in low):
        yield resource("privilege", "Administrator", {"root-account"}, inv)


_HANDLERS = {
    **dict.fromkeys(
        (
            "useradd",
            "usermod",
            "adduser",
            "addgroup",
            "gpasswd",
            "passwd",
            "chage",
            "chpasswd",
            "newusers",
            "pwconv",
            "pwunconv",
            "visudo",
            "sysadminctl",
        ),
        _linux,
    ),
    "userdel": _removed_user,
    "deluser": _removed_user,
    "chmod": _mode_bits,
    "setcap": _mode_bits,
    "dscl": _dscl,
    "dseditgroup": _dseditgroup,
    **dict.fromkeys(
        (
            "net",
            "add-localgroupmember",
            "add-adgroupmember",
            "set-localuser",
            "new-localuser",
            "set-adaccountpassword",
            "enable-localuser",
        ),
        _windows,
    ),
}


def effects(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    """What an account, group or permission-bit command grants."""
    if inv.name in _PERMISSIONS:
        yield from _broad_perm(inv, classify)
    if inv.name in _HANDLERS:
        yield from _HANDLERS[inv.name](inv)


_PERMISSIONS = frozenset({"chmod", "chown", "chgrp", "setfacl", "icacls", "takeown"})

FAMILY: Family = Family(
    name="accounts",
    commands=frozenset(_HANDLERS) | _PERMISSIONS,
    effects=effects,
    examples=(
        Example("sudo usermod -aG sudo agent", has=("privilege:admin-group",)),
        Example("gpasswd -a deploy wheel", has=("privilege:admin-group",)),
        Example("sudo adduser deploy sudo", has=("privilege:admin-group",)),
        Example("useradd -G docker ci", has=("privilege:admin-group",)),
        Example("useradd -o -u 0 -g 0 svc", has=("privilege:root-account",)),
        Example("usermod -u 0 -o backup", has=("privilege:root-account",)),
        Example("net localgroup administrators eve /add", has=("privilege:admin-group",)),
        Example("sudo userdel -r jenkins", has=("destroy:identity",)),
        Example("net user svc-old /delete", has=("destroy:identity",)),
        Example("userdel --help", lacks=("destroy",)),
        Example(
            "Add-LocalGroupMember -Group Administrators -Member eve", has=("privilege:admin-group",)
        ),
        Example(
            "sudo dscl . -append /Groups/admin GroupMembership agentsvc",
            has=("privilege:admin-group",),
        ),
        Example("sudo dscl . -create /Users/_sysupd UniqueID 0", has=("privilege:root-account",)),
        Example("sudo dseditgroup -o edit -a eve -t user admin", has=("privilege:admin-group",)),
        Example("echo 'root:toor' | chpasswd", has=("privilege:password",)),
        Example("sudo passwd -l olduser", lacks=("privilege",)),
        Example("sudo chage -l alice", lacks=("privilege",)),
        Example("sudo passwd -d root", has=("privilege:password",)),
        Example("sudo passwd -d root", has=("privilege:password",)),
        Example("net user administrator P@ssw0rd1", has=("privilege:password",)),
        Example("chmod u+s /bin/bash", has=("privilege:setuid",)),
        Example("chmod 4755 /usr/local/bin/helper", has=("privilege:setuid",)),
        Example("setcap cap_setuid+ep /usr/bin/python3", has=("privilege:setuid",)),
        Example("sudo chmod -R 777 /etc /var/www", has=("perm:recursive", "perm:system")),
        Example("sudo chown -R nobody /", has=("perm:recursive", "perm:root")),
        Example("chmod o+w /etc/passwd", has=("perm:world-writable",)),
        Example("icacls C:\\Windows /grant Everyone:F /T", has=("perm:recursive",)),
        Example("chmod -R u+w ./build", has=("perm:recursive",), lacks=("perm:system",)),
        Example("net stop mpssvc", has=("stop:security",)),
        Example("chmod 755 scripts/run.sh", lacks=("privilege", "perm:recursive")),
        Example("chmod +x deploy.sh", lacks=("privilege",)),
        Example("useradd -m -s /bin/bash deploy", lacks=("privilege",)),
        Example("usermod -aG developers ana", lacks=("privilege",)),
        Example("passwd -S root", lacks=("privilege",)),
        Example("dscl . -read /Users/ana", lacks=("privilege",)),
        Example("net user", lacks=("privilege",)),
        Example("net localgroup administrators", lacks=("privilege",)),
        Example("getcap /usr/bin/ping", lacks=("privilege",)),
    ),
)
