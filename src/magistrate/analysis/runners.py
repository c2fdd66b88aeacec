"""Runners that carry a command to other hosts or another user: `ssh host CMD`, ansible's
shell, command and raw modules (`-a CMD`, privileged with `--become`), salt's `cmd.run`, pdsh,
pssh and clush, Windows' `runas`, and `forfiles /c CMD` (run on each file found). The shell
analyzer judges the command they carry as if typed, `sudo`-prefixed when the runner raises
privileges.
"""

from __future__ import annotations

import re

from magistrate.analysis import commands as C
from magistrate.analysis.feeds import option_value

# Fleet runners (a command on many hosts), and the options of theirs that take a value.
_FLEET_VALUED = {
    "pdsh": frozenset("-w -x -l -R -f -t -u -g -X".split()),
    "pssh": frozenset("-h -H -l -p -o -e -t -O -x -X".split()),
    "parallel-ssh": frozenset("-h -H -l -p -o -e -t -O -x -X".split()),
    "clush": frozenset("-w -x -g -X -l -o -f -t -u".split()),
}
_ANSIBLE_SHELL_MODULES = frozenset(
    {"shell", "command", "raw", "ansible.builtin.shell", "ansible.builtin.command",
     "ansible.builtin.raw", "win_shell", "win_command", "ansible.windows.win_shell"}
)  # fmt: skip


def fleet_command(name: str, argv: list[str]) -> str | None:
    """The command a remote or privileged runner runs, `sudo `-prefixed when it runs it with
    raised privileges (ansible `--become`, salt's root minions, `runas` an administrator)."""
    if name in ("aws", "az", "gcloud"):
        return cloud_command(name, argv)
    if name == "ssh":
        return " ".join(after_host(argv, C.REMOTE_EXEC_VALUE_OPTIONS["ssh"])) or None
    if name == "ansible":
        module = option_value(argv, frozenset({"-m", "--module-name"})) or "command"
        code = option_value(argv, frozenset({"-a", "--args"}))
        if code is None or module.lower() not in _ANSIBLE_SHELL_MODULES:
            return None
        code = re.sub(r"^\s*(?:cmd|_raw_params)=", "", code)
        become = {"-b", "--become"} & set(argv) or any(a.startswith("--become-") for a in argv)
        return f"sudo {code}" if become else code
    if name in ("salt", "salt-ssh"):
        ops = [a.lower() for a in argv]
        k = next((i for i, a in enumerate(ops) if a in ("cmd.run", "cmd.shell", "cmd.run_all")), -1)
        return f"sudo {argv[k + 1]}" if 0 <= k < len(argv) - 1 else None
    if name == "forfiles":  # `forfiles /p C:\\Users /s /c "cmd /c del @path"`: run per file
        return _forfiles(argv)
    if name == "runas":
        ops = [a for a in argv if not a.startswith("/")]
        return f"sudo {ops[-1]}" if ops else None
    valued = _FLEET_VALUED.get(name)
    if valued is None:
        return None
    k = 0
    while k < len(argv) and argv[k].startswith("-"):
        k += 2 if argv[k] in valued else 1
    return " ".join(argv[k:]) or None


def _forfiles(argv: list[str]) -> str | None:
    """The command `forfiles` runs on each file it finds, with `@path` as what it may reach:
    every file in the folder given by `/p` (the current one by default), or under it with `/s`.
    Written with `/` (the analyzer reads cmd's paths so: a backslash would escape the `*`)."""
    lowered = [a.lower() for a in argv]
    if "/c" not in lowered or lowered.index("/c") + 1 >= len(argv):
        return None
    command = argv[lowered.index("/c") + 1]
    root = argv[lowered.index("/p") + 1] if "/p" in lowered[:-1] else "."
    reach = root.rstrip("/\\") + ("/**/*" if "/s" in lowered else "/*")
    return re.sub(r"@(path|file|fname)\b", lambda _: f'"{reach}"', command, flags=re.I)


# A cloud's run-a-command-on-machines verbs: the commands they carry run on every machine
# targeted, as root or SYSTEM (SSM's RunShellScript, Azure's RunShellScript / RunPowerShellScript
# run-command, GCE's ssh --command, ECS Exec, Container Apps exec).
_SSM_COMMANDS = re.compile(r"""["']?commands["']?\s*[=:]\s*\[?(.*?)\]?\s*}?\s*$""", re.S)


def cloud_command(name: str, argv: list[str]) -> str | None:
    """What `aws ssm send-command`, `az vm run-command invoke`, `gcloud compute ssh --command`
    and `aws ecs execute-command` run on the machines they target (`sudo `-prefixed where the
    cloud's agent runs it as root)."""
    words = [a.lower() for a in argv]
    if name == "aws" and "send-command" in words and "ssm" in words:
        found = _SSM_COMMANDS.search(option_value(argv, frozenset({"--parameters"})) or "")
        if found is None:
            return None
        lines = re.findall(r'"((?:[^"\\]|\\.)*)"', found.group(1)) or [found.group(1)]
        return "sudo " + "; ".join(line.replace('\\"', '"') for line in lines)
    if name == "aws" and "execute-command" in words:
        return option_value(argv, frozenset({"--command"}))
    if name == "az" and "run-command" in words and "invoke" in words:
        script = option_value(argv, frozenset({"--scripts"}))  # `--scripts X`, `--scripts=X`
        return f"sudo {script}" if script else None
    if name == "az" and "exec" in words:
        return option_value(argv, frozenset({"--command"}))
    if name == "gcloud" and "ssh" in words:
        return option_value(argv, frozenset({"--command"}))
    return None


def after_host(argv: list[str], valued: frozenset[str]) -> list[str]:
    """The words after `ssh`'s options and host: the remote command."""
    k = 0
    while k < len(argv):
        a = argv[k]
        if a == "--":
            k += 1
            break
        if a.startswith("-"):
            k += 2 if a in valued else 1
            continue
        break
    rest = argv[k + 1 :]  # skip the host
    return rest[1:] if rest[:1] == ["--"] else rest  # `ssh host -- CMD`
