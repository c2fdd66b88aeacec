"""Security controls and logging: firewalls (ufw, iptables, nft, firewall-cmd, netsh,
Set-NetFirewallProfile), mandatory access control (setenforce, AppArmor), endpoint protection
(Set-MpPreference, Add-MpPreference exclusions), platform protection (csrutil, spctl,
socketfilterfw, sysctl hardening), audit and logs (auditctl, journalctl vacuum, wevtutil, auditpol,
Clear-EventLog, `log erase`).

Turning one off is `stop` with `security`; stopping or purging records is `stop` with `logging`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from magistrate.analysis.effects import Effect
from magistrate.analysis.families.base import Classify, Example, Family, asks_help, resource
from magistrate.analysis.invocation import Invocation

_SEC = frozenset({"security"})
_LOG = frozenset({"logging"})
_HARDENING_OFF = re.compile(
    r"\b(kernel\.randomize_va_space|kernel\.kptr_restrict|kernel\.yama\.ptrace_scope"
    r"|kernel\.dmesg_restrict|fs\.protected_\w+)\s*=\s*0\b",
    re.I,
)
_DEFENDER_OFF = re.compile(
    r"-disable(realtimemonitoring|behaviormonitoring|ioavprotection|scriptscanning"
    r"|intrusionpreventionsystem|blockatfirstseen|archivescanning|emailscanning"
    r"|privacymode)\s*(\$?true|1)?\b|-(maps)?reporting\s+0|-submitsamplesconsent\s+2",
    re.I,
)
_SHORT_VACUUM = re.compile(
    r"--vacuum-time[= ]\d+(s|sec|seconds?|m|min|minutes?|h|hours?|us|ms)?$"
    r"|--vacuum-size[= ]\d+[kb]?$|--vacuum-files[= ][01]$",
    re.I,
)


def _firewall(inv: Invocation) -> Iterator[Effect]:
    argv = inv.argv
    low = [a.lower() for a in argv]
    text = " ".join(low)
    name = inv.name
    off = False
    if name == "ufw":
        off = (
            low[-1:] == ["disable"]
            or text.startswith("reset")
            or " reset" in text
            or bool(re.search(r"\bdefault\s+allow\s+(incoming|routed)\b", text))
        )
    elif name == "pfctl":
        off = "-d" in low  # pf disabled
    elif name == "fdesetup":
        off = low[:1] == ["disable"]  # FileVault decrypted
    elif name in ("iptables", "ip6tables", "iptables-legacy", "iptables-nft"):
        off = bool(inv.flags & {"F", "flush", "X", "delete-chain"}) or bool(
            re.search(r"-p\s+(input|forward|output)\s+accept\b", text)
            # every packet accepted first: a rule with no match before its ACCEPT
            or re.fullmatch(r"(-t\s+filter\s+)?-[ia]\s+input(\s+\d+)?\s+-j\s+accept", text)
        )
    elif name == "nft":
        off = bool(re.search(r"\bflush\s+ruleset\b|\bdelete\s+table\b", text))
    elif name == "firewall-cmd":
        off = (
            bool(
                re.search(
                    r"--set-default-zone[= ]trusted|--panic-off|--add-service[= ]\S*--permanent",
                    text,
                )
            )
            or "--set-default-zone=trusted" in text
        )
    elif name == "netsh":
        off = bool(
            re.search(r"\b(advfirewall|firewall)\b.*\bstate\s+off\b|\bopmode\s+disable\b", text)
        )
    elif name == "set-netfirewallprofile":
        off = bool(re.search(r"-enabled\s+(false|\$false|0)\b", text))
    elif name == "socketfilterfw":
        off = bool(re.search(r"--setglobalstate\s+off\b", text))
    if off:
        yield resource("stop", f"{name} firewall", _SEC, inv)


def _mac(inv: Invocation) -> Iterator[Effect]:
    low = [a.lower() for a in inv.argv]
    text = " ".join(low)
    name = inv.name
    off = False
    if name == "setenforce":
        off = low[:1] in (["0"], ["permissive"])
    elif name in ("aa-disable", "aa-complain", "aa-teardown"):
        off = True
    elif name == "apparmor_parser":
        off = bool(inv.flags & {"R", "remove"})
    elif name == "csrutil":
        off = bool(low[:1] == ["disable"] or re.search(r"\benable\s+--without\b", text))
    elif name == "spctl":
        off = bool(re.search(r"--master-disable|--global-disable|--disable\b", text))
    elif name == "sysctl":
        off = bool(_HARDENING_OFF.search(" ".join(inv.argv)))
    elif name in ("set-mppreference", "add-mppreference"):
        exclusion = name == "add-mppreference" and "-exclusion" in text
        off = bool(_DEFENDER_OFF.search(text)) or exclusion
    if off:
        yield resource("stop", name, _SEC, inv)


def _logs(inv: Invocation) -> Iterator[Effect]:
    low = [a.lower() for a in inv.argv]
    text = " ".join(low)
    name = inv.name
    off = False
    if name == "auditctl":
        off = bool(inv.flags & {"D"}) or bool(re.search(r"(^|\s)-e\s*0\b", text))
        if off:
            yield resource("stop", "audit rules", _SEC, inv)
    elif name == "journalctl":
        off = any(_SHORT_VACUUM.search(a) for a in low) or (
            "--rotate" in low and any(a.startswith("--vacuum") for a in low)
        )
    elif name == "wevtutil":
        off = low[:1] in (["cl"], ["clear-log"], ["sl"]) and (
            low[:1] != ["sl"] or "/e:false" in low
        )
    elif name in ("clear-eventlog", "remove-eventlog", "limit-eventlog", "clear-history"):
        off = True
    elif name == "auditpol":
        off = bool(re.search(r"/(clear|remove)\b|/(success|failure):disable\b", text))
    elif name == "log":
        off = low[:1] == ["erase"]
    if off:
        yield resource("stop", f"{name} {' '.join(inv.argv[:3])}".strip(), _LOG, inv)


_HANDLERS = {
    **dict.fromkeys(
        (
            "ufw",
            "iptables",
            "ip6tables",
            "iptables-legacy",
            "iptables-nft",
            "nft",
            "firewall-cmd",
            "netsh",
            "set-netfirewallprofile",
            "socketfilterfw",
            "pfctl",
            "fdesetup",
        ),
        _firewall,
    ),
    **dict.fromkeys(
        (
            "setenforce",
            "aa-disable",
            "aa-complain",
            "aa-teardown",
            "apparmor_parser",
            "csrutil",
            "spctl",
            "sysctl",
            "set-mppreference",
            "add-mppreference",
        ),
        _mac,
    ),
    **dict.fromkeys(
        (
            "auditctl",
            "journalctl",
            "wevtutil",
            "clear-eventlog",
            "remove-eventlog",
            "limit-eventlog",
            "auditpol",
            "log",
            "clear-history",
        ),
        _logs,
    ),
}


def effects(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    """What a security or logging command turns off."""
    if asks_help(inv):
        return
    yield from _HANDLERS[inv.name](inv)


FAMILY: Family = Family(
    name="security",
    commands=frozenset(_HANDLERS),
    effects=effects,
    examples=(
        Example("sudo ufw disable", has=("stop:security",)),
        Example("sudo ufw default allow incoming", has=("stop:security",)),
        Example("sudo ufw default deny incoming", lacks=("stop",)),
        Example("sudo iptables -I INPUT 1 -j ACCEPT", has=("stop:security",)),
        Example("sudo iptables -A INPUT -p tcp --dport 443 -j ACCEPT", lacks=("stop",)),
        Example("sudo pfctl -d", has=("stop:security",)),
        Example("sudo pfctl -nf /etc/pf.conf", lacks=("stop",)),
        Example("sudo fdesetup disable", has=("stop:security",)),
        Example("fdesetup status", lacks=("stop",)),
        Example("sudo iptables -F", has=("stop:security",)),
        Example("iptables -P INPUT ACCEPT", has=("stop:security",)),
        Example("nft flush ruleset", has=("stop:security",)),
        Example("netsh advfirewall set allprofiles state off", has=("stop:security",)),
        Example(
            "Set-NetFirewallProfile -Profile Domain,Public -Enabled False", has=("stop:security",)
        ),
        Example("sudo setenforce 0", has=("stop:security",)),
        Example("sudo aa-disable /etc/apparmor.d/usr.sbin.nginx", has=("stop:security",)),
        Example("sudo spctl --master-disable", has=("stop:security",)),
        Example("csrutil disable", has=("stop:security",)),
        Example("Set-MpPreference -DisableRealtimeMonitoring $true", has=("stop:security",)),
        Example("Add-MpPreference -ExclusionPath C:\\Users\\Public", has=("stop:security",)),
        Example("sysctl -w kernel.randomize_va_space=0", has=("stop:security",)),
        Example("auditctl -D", has=("stop:logging",)),
        Example("auditctl -e 0", has=("stop:logging",)),
        Example("journalctl --vacuum-time=1s", has=("stop:logging",)),
        Example("wevtutil cl Security", has=("stop:logging",)),
        Example("Clear-EventLog -LogName Security", has=("stop:logging",)),
        Example("auditpol /clear /y", has=("stop:logging",)),
        Example("sudo log erase --all", has=("stop:logging",)),
        Example("sudo ufw status verbose", lacks=("stop",)),
        Example("sudo ufw allow 8080", lacks=("stop",)),
        Example("sudo iptables -L -n -v --line-numbers", lacks=("stop",)),
        Example("sudo journalctl --vacuum-time=14d", lacks=("stop",)),
        Example("journalctl -u nginx --since '1 hour ago'", lacks=("stop",)),
        Example("auditctl -l", lacks=("stop",)),
        Example("csrutil status", lacks=("stop",)),
        Example("sysctl -a", lacks=("stop",)),
        Example("Get-MpPreference", lacks=("stop",)),
        Example("auditpol /get /category:*", lacks=("stop",)),
        Example("git log --oneline", lacks=("stop",)),
    ),
)
