"""Containers: docker, podman, nerdctl, their compose tools, ctr and crictl.

What matters: a container given the host (`--privileged`, host namespaces, the host's root or
the docker socket mounted), every container, image or volume removed at once, named volumes
removed, images pushed. Commands run inside containers (`docker exec c sh -c …`) are read by the
shell analyzer as commands of their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from magistrate.analysis.effects import Effect
from magistrate.analysis.families.base import Classify, Example, Family, environment_classes
from magistrate.analysis.families.base import resource as _resource
from magistrate.analysis.families.cli import asks_nothing, has, short_flag, split, values
from magistrate.analysis.invocation import Invocation

_ENGINES = frozenset({"docker", "podman", "nerdctl", "finch", "lima-nerdctl"})
_COMPOSERS = frozenset({"docker-compose", "podman-compose"})
_RUNTIMES = frozenset({"ctr", "crictl"})
_GLOBAL_VALUED = frozenset(
    {
        "-H",
        "--host",
        "--context",
        "-c",
        "--config",
        "-l",
        "--log-level",
        "--url",
        "--connection",
        "-n",
        "--namespace",
        "--address",
        "--cgroup-manager",
        "--snapshotter",
        "--root",
    }
)
_RUN_VALUED = frozenset(
    {
        "-v", "--volume", "--mount", "-e", "--env", "--env-file", "-p", "--publish", "--name",
        "-w", "--workdir", "-u", "--user", "--network", "--net", "--entrypoint", "--pid",
        "--ipc", "--uts", "--userns", "--cap-add", "--cap-drop", "--security-opt", "-l",
        "--label", "--device", "--platform", "-m", "--memory", "--cpus", "--restart", "-h",
        "--hostname", "--add-host", "--dns", "--tmpfs", "--gpus", "--log-driver",
    }
)  # fmt: skip
_COMPOSE_VALUED = frozenset({"-f", "--file", "-p", "--project-name", "--env-file", "--profile"})
_ESCAPE_CAPS = frozenset({"all", "sys_admin", "sys_ptrace", "sys_module", "dac_read_search"})
_HOST_DIRS = ("/", "/etc", "/root", "/proc", "/sys", "/dev", "/var/run/docker.sock",
              "/run/docker.sock", "/var/run/containerd", "/run/containerd", "/var/lib/docker",
              "/boot", "/var/run/crio", "/run/podman")  # fmt: skip


def resource(op: str, target: str, classes: set[str], inv: Invocation) -> Effect:
    """An effect with the environment its names point at (`production`, `scratch`)."""
    return _resource(op, target, classes | environment_classes([target]), inv)


def _mount_sources(argv: list[str]) -> list[str]:
    """Host paths mounted into a container: `-v SRC:DST`, `--mount type=bind,source=SRC,…`."""
    found = [v.split(":", 1)[0] for v in values(argv, "-v", "--volume") if ":" in v]
    for spec in values(argv, "--mount"):
        for part in spec.split(","):
            key, _, value = part.partition("=")
            if key in ("source", "src"):
                found.append(value)
    return found


def escape(argv: list[str]) -> str | None:
    """Why a container started with these options holds the host, or None."""
    if has(argv, "--privileged"):
        return "--privileged"
    for name in ("--pid", "--ipc", "--uts", "--userns", "--cgroupns"):
        if "host" in (v.lower() for v in values(argv, name)):
            return f"{name}=host"
    if any(v.lower().removeprefix("cap_") in _ESCAPE_CAPS for v in values(argv, "--cap-add")):
        return "--cap-add"
    if any("unconfined" in v.lower() for v in values(argv, "--security-opt")):
        return "--security-opt unconfined"
    for src in _mount_sources(argv):
        path = src.rstrip("/") or "/"
        if path in _HOST_DIRS:
            return f"mounts {src}"
    return None


_LEFTOVERS = ("status=exited", "status=created", "dangling=true", "status=dead")
# Filters that pick some containers by what they are, not by state: the app's own ones.
_SUBSET = re.compile(
    r"(?:--filter[= ]|-f[= ]?)['\"]?(?:name|label|ancestor|id|network|volume|reference|before"
    r"|since|publish|expose|is-task)=|\|\s*grep\b|\s--latest\b|\s-l\b|\s-n[= ]?\d"
)


def _everything(operands: list[str]) -> bool:
    """An operand that expands to every container, image or volume: `$(docker ps -aq)` (not
    to the leftovers only: `$(docker ps -aq -f status=exited)`, nor to a filtered few:
    `$(docker ps -q --filter name=myapp)`)."""
    return any(
        ("$(" in o or "`" in o) and not any(f in o for f in _LEFTOVERS) and not _SUBSET.search(o)
        for o in operands
    )


def _engine(inv: Invocation) -> Iterator[Effect]:
    operands, options = split(inv.argv, _GLOBAL_VALUED | _RUN_VALUED)
    words = [w.lower() for w in operands]
    if not words or asks_nothing(inv.argv):
        return
    if words[0] in ("container", "image") and len(words) > 1:
        words, operands = words[1:], operands[1:]
    verb, rest = words[0], operands[1:]
    if verb in ("run", "create") and (why := escape(inv.argv)):
        yield resource("privilege", f"container with the host ({why})", {"container-escape"}, inv)
    elif verb in ("rm", "rmi", "kill", "stop") and (
        _everything(rest) or (verb in ("rm", "rmi") and has(options, "-a", "--all"))
    ):
        op = "stop" if verb in ("kill", "stop") else "destroy"
        yield resource(op, f"every container or image ({verb})", {"containers"}, inv)
    elif verb == "system" and words[1:2] == ["reset"]:
        yield resource(
            "destroy", "every container, image and volume", {"containers", "volume"}, inv
        )
    elif verb == "system" and words[1:2] == ["prune"]:
        if short_flag(options, "a") or has(options, "--all"):
            yield resource("destroy", "every unused container and image", {"containers"}, inv)
        if has(options, "--volumes"):
            yield resource("destroy", "every unused volume", {"volume"}, inv)
    elif verb == "volume" and words[1:2] and words[1] in ("rm", "remove", "prune"):
        names = rest[1:]
        if _everything(names):
            yield resource("destroy", "every volume", {"volume", "containers"}, inv)
        for name in names or ["every unused volume"]:
            rebuilt = {"scratch"} if _REBUILT_VOLUME.search(name) else set()
            yield resource("destroy", f"volume {name}", {"volume"} | rebuilt, inv)
    elif verb == "compose":
        yield from _compose(inv, inv.argv[inv.argv.index(operands[0]) + 1 :])
    elif verb == "push" and rest:
        yield resource("publish", f"image {rest[0]}", {"image"}, inv)


# A volume named for what the next build or install makes again (`myproj_node_modules`, a
# package cache, build output): nothing in it is the only copy.
_REBUILT_VOLUME = re.compile(
    r"(^|[_.-])(node_modules|cache|caches|build|deps|vendor|target|venv|tmp|temp|gradle|m2"
    r"|cargo|pnpm[_-]?store|yarn[_-]?cache|bundle|go[_-]?mod|pip[_-]?cache)([_.-]|$)",
    re.I,
)


def _compose(inv: Invocation, argv: list[str]) -> Iterator[Effect]:
    """`compose down -v` removes the stack's own volumes: a development stack's data is
    rebuilt from seeds; a stack named for production (`-p prod`, `-f compose.prod.yml`) is not."""
    operands, options = split(argv, _COMPOSE_VALUED)
    if not operands or asks_nothing(argv):
        return
    names = values(argv, "-p", "--project-name", "-f", "--file") or ["the stack"]
    where = environment_classes(names)
    if operands[0].lower() in ("up", "restart", "pull", "create") and "production" in where:
        # On this machine compose is development; with a production file it deploys.
        yield _resource("apply", f"stack {' '.join(names)}"[:200], {"deploy"} | where, inv)
    if operands[0].lower() != "down":
        return
    if not (short_flag(options, "v") or has(options, "--volumes")):
        return
    if "production" in where:
        classes = {"volume", "production"}
    elif "ssh" in inv.via:  # development volumes only on this machine: there, a server's data
        classes = {"volume"}
    else:
        classes = {"local-volumes"}
    yield _resource("destroy", f"volumes of {' '.join(names)}"[:200], classes | where, inv)


def _runtime(inv: Invocation) -> Iterator[Effect]:
    operands, options = split(inv.argv, _RUN_VALUED)
    words = [w.lower() for w in operands[:2]]
    if asks_nothing(inv.argv):
        return
    if "run" in words and (why := escape(inv.argv)):
        yield resource("privilege", f"container with the host ({why})", {"container-escape"}, inv)
    elif words[:1] in (["rm"], ["rmi"], ["rmp"]) and has(options, "-a", "--all"):
        yield resource("destroy", "every container", {"containers"}, inv)


def enters_host(options: list[str]) -> bool:
    """Whether `nsenter` options name PID 1's namespaces (`-t 1`, `--target=1`): the host's,
    entered from a container or as root."""
    for k, a in enumerate(options):
        value = options[k + 1] if a in ("-t", "--target") and k + 1 < len(options) else ""
        if a.startswith("--target="):
            value = a.split("=", 1)[1]
        elif a.startswith("-t") and a[2:].isdigit():
            value = a[2:]
        if value == "1":
            return True
    return False


# Images whose publisher is the tool's own: Docker's official images (no namespace) and the
# vendors' own namespaces. Credentials mounted into anyone else's image go to its code.
_OWN_PUBLISHERS = re.compile(
    r"^(?:docker\.io/)?(?:library/)?[\w.-]+(?::[\w.-]+)?(?:@sha256:\w+)?$"
    r"|^(?:docker\.io/)?(?:amazon|aws|google|hashicorp|bitnami|docker|microsoft|azure-cli"
    r"|localstack|cimg|circleci|gitlab|pulumi|minio|grafana|redhat)/"
    r"|^(?:public\.ecr\.aws/(?:aws|amazon)|mcr\.microsoft\.com|gcr\.io/google|ghcr\.io/github"
    r"|registry\.access\.redhat\.com|quay\.io/(?:podman|coreos|prometheus))[/:]",
    re.I,
)


def _secrets_handed_over(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    """`docker run -v ~/.aws:/root/.aws -v ~/.ssh:/root/.ssh someone/tool`: the user's keys
    mounted into an image from another publisher are read by its code."""
    operands = split(inv.argv, _GLOBAL_VALUED | _RUN_VALUED)[0]
    if len(operands) < 2 or operands[0].lower() not in ("run", "create"):
        return
    image = operands[1]
    if _OWN_PUBLISHERS.match(image):
        return
    for src in _mount_sources(inv.argv)[:8]:
        classes = classify(src)
        if "secret" in classes:
            yield Effect("read", src, classes, f"{inv.name} run {image[:60]}")


def effects(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    """What a container command does to the host, its containers, volumes and registries."""
    if inv.name in _ENGINES:
        yield from _engine(inv)
        yield from _secrets_handed_over(inv, classify)
    elif inv.name in _COMPOSERS:
        yield from _compose(inv, inv.argv)
    elif inv.name in _RUNTIMES:
        yield from _runtime(inv)


FAMILY: Family = Family(
    name="containers",
    commands=_ENGINES | _COMPOSERS | _RUNTIMES,
    effects=effects,
    examples=(
        Example(
            "docker run --rm -v ~/.aws:/root/.aws -v ~/.ssh:/root/.ssh ghcr.io/x9/aws-sync",
            has=("read:secret",),
        ),
        Example("docker run --rm -v ~/.aws:/root/.aws amazon/aws-cli s3 ls", lacks=("read",)),
        Example("docker run --rm -v $(pwd):/app -w /app node:20 npm test", lacks=("read",)),
        Example(
            "docker run --rm -it --privileged -v /:/host alpine chroot /host sh",
            has=("privilege:container-escape",),
        ),
        Example(
            "docker run -v /var/run/docker.sock:/var/run/docker.sock docker:cli ps",
            has=("privilege:container-escape",),
        ),
        Example("podman run --pid=host --net=host fedora", has=("privilege:container-escape",)),
        Example(
            "docker run --mount type=bind,source=/,target=/host alpine",
            has=("privilege:container-escape",),
        ),
        Example("nerdctl run --cap-add SYS_ADMIN alpine", has=("privilege:container-escape",)),
        Example("docker volume rm myproj_node_modules", has=("destroy:scratch",)),
        Example("docker volume rm pgdata", lacks=("destroy:scratch",)),
        Example("docker run --rm -v $PWD:/app -w /app node:20 npm test", lacks=("privilege",)),
        Example("docker rm -f $(docker ps -aq)", has=("destroy:containers",)),
        Example("docker kill $(docker ps -q)", has=("stop:containers",)),
        Example("docker rm $(docker ps -aq -f status=exited)", lacks=("destroy",)),
        Example("docker stop $(docker ps -q --filter name=myapp)", lacks=("stop:containers",)),
        Example("podman rm -f $(podman ps -aq --filter label=project=shop)", lacks=("destroy",)),
        Example("docker kill $(docker ps -q -f status=running)", has=("stop:containers",)),
        Example("podman system reset --force", has=("destroy:containers",)),
        Example("docker rm -f web-test", lacks=("destroy",)),
        Example(
            "docker system prune -a --volumes -f", has=("destroy:containers", "destroy:volume")
        ),
        Example("docker system prune -f", lacks=("destroy",)),
        Example("docker volume rm pgdata_prod", has=("destroy:volume", "destroy:production")),
        Example("docker volume rm $(docker volume ls -q)", has=("destroy:containers",)),
        Example(
            "docker compose down -v", has=("destroy:local-volumes",), lacks=("destroy:volume",)
        ),
        Example(
            "ssh deploy@app-1 'cd /srv/app && docker compose down -v'", has=("destroy:volume",)
        ),
        Example("docker compose down", lacks=("destroy",)),
        Example("docker compose up -d", lacks=("apply",)),
        Example("docker compose -f docker-compose.prod.yml up -d", has=("apply:production",)),
        Example("docker-compose -p shop-prod down --volumes", has=("destroy:volume",)),
        Example(
            "docker compose -f docker-compose.production.yml down -v", has=("destroy:production",)
        ),
        Example(
            "docker push registry.acme.internal/api:2.4.1",
            has=("publish:image",),
            lacks=("publish:release", "publish:package"),
        ),
        Example("crictl rm -a", has=("destroy:containers",)),
        Example("docker ps -a", lacks=("destroy", "privilege")),
    ),
)
