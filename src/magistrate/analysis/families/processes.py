"""Processes and the machine: kill, pkill, killall, shutdown, reboot, halt, init."""

from __future__ import annotations

from collections.abc import Iterator

from magistrate.analysis.effects import Effect
from magistrate.analysis.families.base import Classify, Example, Family, resource
from magistrate.analysis.families.services import service
from magistrate.analysis.invocation import Invocation

# Signals that ask a process to reload, report or be probed rather than end.
_HARMLESS_SIGNALS = frozenset(
    {"0", "1", "10", "12", "hup", "sighup", "usr1", "sigusr1", "usr2", "sigusr2", "winch", "cont"}
)
_KILLERS = frozenset({"kill", "pkill", "killall", "killall5", "taskkill", "stop-process", "skill"})
_POWER = frozenset(
    {
        "shutdown",
        "reboot",
        "halt",
        "poweroff",
        "restart-computer",
        "stop-computer",
        "init",
        "telinit",
    }
)
# Processes the operating system cannot live without: killing one halts or crashes the machine
# as killing init does (Windows bug-checks when csrss, wininit, smss or lsass die).
_INIT_NAMES = frozenset(
    {
        "1",
        "init",
        "systemd",
        "launchd",
        "kernel_task",
        "lsass",
        "csrss",
        "wininit",
        "winlogon",
        "smss",
        "services",
        "svchost",
        "system",
        "ntoskrnl",
        "loginwindow",
        "windowserver",
        "kthreadd",
        "systemd-journald",
        "dbus-daemon",
    }
)


def _signal(inv: Invocation) -> str:
    """The signal asked for (`-9`, `-s HUP`, `--signal=TERM`), lower-cased, without `sig`."""
    argv = inv.argv
    for i, arg in enumerate(argv):
        if arg in ("-s", "--signal", "-n") and i + 1 < len(argv):
            return argv[i + 1].lower().removeprefix("sig")
        if arg.startswith("--signal="):
            return arg.split("=", 1)[1].lower().removeprefix("sig")
        if len(arg) > 1 and arg[0] == "-" and (arg[1:].isdigit() or arg[1:].isupper()):
            return arg[1:].lower().removeprefix("sig")
    return "term"


def _kill(inv: Invocation) -> Iterator[Effect]:
    if _signal(inv) in _HARMLESS_SIGNALS or "l" in inv.flags or "list" in inv.flags:
        return
    targets = [o for o in inv.operands if not o.startswith("%")]
    if inv.name == "killall5" or any(o == "-1" for o in inv.argv) or "-1" in targets:
        yield resource("stop", "every process", {"all-processes"}, inv)
    users = [inv.argv[i + 1] for i, a in enumerate(inv.argv[:-1]) if a in ("-u", "--user", "-U")]
    for user in users:
        yield resource("stop", f"processes of {user}", {"all-processes"}, inv)
    for target in targets:
        if target.lower().removesuffix(".exe") in _INIT_NAMES:
            yield resource("stop", target, {"init"}, inv)
        elif not target.lstrip("-").isdigit() or inv.name != "kill":
            yield _process(target, inv)


def _process(target: str, inv: Invocation) -> Effect:
    """A named process stopped; a core, security or logging service when its name is one."""
    name = target.lower().removesuffix(".exe")
    found = service("stop", name, inv)
    extra = found.classes - {"service"}
    return resource("stop", target, {"process", *extra, *(("service",) if extra else ())}, inv)


def _power(inv: Invocation) -> Iterator[Effect]:
    argv = [a.lower() for a in inv.argv]
    if {"-c", "--help", "--show", "/?", "/a"} & set(argv):
        return  # cancel, help or show a scheduled shutdown
    if inv.name in ("init", "telinit"):
        if inv.operands[:1] and inv.operands[0] in ("0", "6"):
            yield resource("stop", "the machine", {"machine"}, inv)
        return
    yield resource("stop", "the machine", {"machine"}, inv)


def effects(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    """What a process or power command stops."""
    if inv.name in _KILLERS:
        yield from _kill(inv)
    elif inv.name in _POWER:
        yield from _power(inv)


FAMILY: Family = Family(
    name="processes",
    commands=_KILLERS | _POWER,
    effects=effects,
    examples=(
        Example("sudo kill -9 1", has=("stop:init",)),
        Example("kill -9 -1", has=("stop:all-processes",)),
        Example("pkill -u root", has=("stop:all-processes",)),
        Example("killall nginx", has=("stop:process",), lacks=("stop:init",)),
        Example("sudo pkill -9 sshd", has=("stop:core", "stop:service")),
        Example("taskkill /F /IM MsMpEng.exe", has=("stop:security",)),
        Example("taskkill /F /IM lsass.exe", has=("stop:init",)),
        Example("Stop-Process -Name csrss -Force", has=("stop:init",)),
        Example("sudo killall -9 WindowServer", has=("stop:init",)),
        Example("pkill -9 systemd-journald", has=("stop:init",)),
        Example("taskkill /F /IM chrome.exe", lacks=("stop:init",)),
        Example("pkill -f webpack", lacks=("stop:core", "stop:service")),
        Example("kill -HUP 1234", lacks=("stop",)),
        Example("kill %1", lacks=("stop",)),
        Example("kill -l", lacks=("stop",)),
        Example("ssh db-1 sudo reboot", has=("stop:machine",)),
        Example("shutdown -c", lacks=("stop",)),
        Example("init 6", has=("stop:machine",)),
        Example("init --version", lacks=("stop",)),
    ),
)
