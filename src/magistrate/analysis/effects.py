"""Effects: what an action does to which kind of place — the common language of every analyzer.

A shell command `rm -rf /etc`, a tool call `delete_file(path="/etc")` and a file action
`{"operation": "delete", "path": "/etc"}` all become `Effect("delete", "/etc", {"system"})`, so
one constitution rule covers every way of saying it.

Two kinds of operation exist. **Path operations** (read, write, append, delete, truncate, perm,
exec, send, fetch) act on a path or address; their classes are the constitution's path classes
(`system`, `home`, `secret`…), plus `download` on a file a network tool wrote. **Resource
operations** (destroy, install, stop, control, persist, privilege, rewrite, apply, publish) act
on something a program manages — a cluster, a package, a service, a branch; their classes come
from `RESOURCE_CLASSES` below, set by the per-family analyzers in
`magistrate.analysis.families`. Rules match both the same way:
`effect: {op: [destroy], classes: [cluster, namespace]}`.
"""

from __future__ import annotations

from dataclasses import dataclass

# Operations on a path or an address (classes: the constitution's path classes).
PATH_OPS = frozenset(
    {"read", "write", "append", "delete", "truncate", "perm", "exec", "send", "fetch"}
)

# Operations on resources, each with the classes analyzers may give its effects (and what they
# mean). A rule naming a class not listed here for its operation (and not a path class) is
# rejected when the constitution loads, so a typo cannot silently match nothing.
RESOURCE_CLASSES: dict[str, dict[str, str]] = {
    "destroy": {
        "cluster": "a Kubernetes or managed cluster, or its nodes",
        "namespace": "a Kubernetes namespace or project",
        "workload": "deployments, stateful sets, persistent volumes and claims, custom resources",
        "stack": "an infrastructure stack or workspace (terraform destroy, cloudformation)",
        "instance": "virtual machines, containers hosts, app platforms' apps",
        "bucket": "an object-storage bucket or a recursive delete inside one",
        "volume": "a disk, volume or snapshot, container volumes",
        "database": "a managed database, dataset or table through a cloud or platform CLI",
        "secret": "a stored secret or an encryption key",
        "release": "a Helm release or a deployed function or service",
        "repository": "a source or container repository",
        "containers": "every container, image or volume at once",
        "dns": "a DNS zone or record set",
        "object": "one small managed object (a pod, a job, a config map): recreated or minor",
        "identity": "a cloud role, user, group, policy or service account others depend on",
        "resource": "a cloud resource of a kind not classified further (a queue, a topic…)",
        "branch": "a protected branch deleted on a remote (main, master, release, production)",
        "local-volumes": "a development stack's own volumes (compose down -v without production)",
        "production": "the target names a production environment",
        "scratch": "the target is named as temporary (tmp, test, scratch, sandbox)",
    },
    "install": {
        "registry": "from a package registry by name",
        "url": "from a URL (a download installed directly)",
        "vcs": "from a version-control URL (git+https://…)",
        "file": "from a local archive or package file",
        "system": "into the operating system (apt, dnf, brew, choco…)",
        "global": "into the user's or machine's global environment (npm -g, pip --user)",
        "project": "into the project's own environment (a lockfile, a virtualenv)",
        "manifest": "exactly what the project declares (npm ci, pip install -r, poetry install)",
        "official": "from a well-known project's own repository (github.com/pypa, nodejs…)",
        "unverified": "signature or TLS checks turned off (--nogpgcheck, --trusted-host)",
        "lookalike": "a name one slip from a popular package's (reqeusts, crossenv)",
        "compromised": "a release an attacker published under a real package's name",
        "remove": "software removed (remove, uninstall, purge)",
        "upgrade": "installed software upgraded (upgrade, update, -Syu)",
        "privileged": "run with raised privileges",
    },
    "stop": {
        "all-processes": "every process, or every process of a user",
        "init": "PID 1 or the init system",
        "process": "named processes",
        "service": "a system service",
        "core": "a core service: ssh, databases, web servers, container runtimes, kubelet, cron",
        "user": "a service of the user's own session (systemctl --user, launch agents, brew)",
        "security": "a firewall, antivirus, audit daemon or other security control",
        "logging": "logging or auditing (stopped, or records purged)",
        "history": "the shell's record of commands typed (with `logging`)",
        "machine": "the machine itself (shutdown, reboot, halt)",
        "containers": "containers",
    },
    "control": {
        "service": "a service started, restarted, reloaded or reconfigured",
        "task": "a scheduled task run, changed or deleted",
        "core": "the service is a core service (as for stop)",
        "security": "the service is a security control",
        "logging": "the service is a logging or audit service",
        "user": "a service of the user's own session",
    },
    "persist": {
        "cron": "a scheduled job (crontab, at, schtasks)",
        "service-unit": "a service enabled or installed to start at boot",
        "login": "run at login or by launchd (LoginHook, launch agents and daemons, Run keys)",
        "shell-init": "a shell start-up file",
        "service": "the persistent thing is a service",
        "task": "a Windows scheduled task",
        "user": "in the user's own session (systemctl --user, launch agents)",
    },
    "privilege": {
        "admin-group": "a user added to an administrators group (sudo, wheel, Administrators)",
        "root-account": "an account with UID 0 or a root login enabled",
        "setuid": "a program given setuid/setgid or capabilities",
        "password": "a password changed or removed",
        "cluster-admin": "cluster-wide or owner roles granted",
        "access-grant": "cloud users, access keys, logins or policies created or attached",
        "mfa": "multi-factor authentication or a password policy removed from accounts",
        "container-escape": "a container given the host (privileged, host namespaces, docker.sock)",
    },
    "rewrite": {
        "force-push": "a push that replaces the remote's history",
        "protected-branch": "the branch is main, master, release or production",
        "history": "commits rewritten (filter-branch, rebase of pushed work, reflog expiry)",
        "local-work": "uncommitted work discarded (reset --hard, clean -fdx, checkout -- .)",
        "branch-delete": "a branch or tag deleted",
        "own-branch": "the force-push names a branch that is not protected (a feature branch)",
        "local-branch": "a local branch or tag deleted (a pushed one stays on the remote)",
    },
    "apply": {
        "infrastructure": "infrastructure changed (terraform apply, cloudformation deploy)",
        "deploy": "an application deployed, rolled out or scaled",
        "migration": "a database migration run",
        "dns": "DNS or ingress changed",
        "production": "the target names a production environment",
        "pre-production": "the target names staging, QA or development (not production)",
        "scratch": "the target is named as temporary (tmp, test, scratch, sandbox)",
        "scale-to-zero": "a workload scaled to zero replicas",
        "cluster-nodes": "nodes drained, cordoned or tainted",
        "remote-exec": "a command run or a file copied inside a running workload (kubectl exec)",
        "cloud-change": "a cloud resource created, changed, started or stopped (a mutating call)",
        "failover": "a database failed over, rebooted, promoted, or its protections removed",
        "mass-compute": "machines started by the dozen, or accelerators by the handful",
    },
    "publish": {
        "package": "a package uploaded to a registry",
        "release": "a release, tag or image published",
        "public": "something made public (visibility, ACL, open firewall)",
        "image": "a container image or chart pushed to a registry",
        "scratch": "to a registry on this machine or a test index (Verdaccio, TestPyPI)",
    },
}

RESOURCE_OPS = frozenset(RESOURCE_CLASSES)

# The operations an effect can have.
OPS = PATH_OPS | RESOURCE_OPS


@dataclass(frozen=True, slots=True)
class Effect:
    """One thing an action does: an operation on a target of some classes, by some command."""

    op: str
    target: str
    classes: frozenset[str]
    command: str = ""
    privileged: bool = False  # done with raised privileges (sudo, doas, runas…)

    def describe(self) -> str:
        """A short human description, used as evidence in citations."""
        by = f"{self.command}: " if self.command else ""
        return f"{by}{self.op} {self.target}"[:200]
