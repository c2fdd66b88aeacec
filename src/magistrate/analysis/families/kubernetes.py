"""Kubernetes: kubectl, oc, helm, argocd, flux, the local-cluster tools kind, minikube and k3d,
and Nomad (an orchestrator of the same kind: jobs for deployments).

What matters: namespaces, workloads, volumes and nodes deleted; releases uninstalled;
deploys, rollouts and scaling (to zero above all); cluster-wide roles granted; secrets read;
pods given the host. Every effect carries the environment its namespace, context, names and
manifest files point at (`production`, `scratch`), so a rule can tell `-n prod` from `-n dev`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from magistrate.analysis.effects import Effect
from magistrate.analysis.families.base import Classify, Example, Family, environment_classes
from magistrate.analysis.families.base import resource as _resource
from magistrate.analysis.families.cli import asks_nothing, has, secret_read, split, values
from magistrate.analysis.invocation import Invocation

_KUBECTLS = frozenset({"kubectl", "oc", "kubectl.exe", "microk8s.kubectl", "k3s-kubectl"})
_LOCAL_CLUSTERS = frozenset({"kind", "minikube", "k3d"})
_VALUED = frozenset(
    {
        "-n", "--namespace", "--context", "--kubeconfig", "--cluster", "--user", "-s",
        "--server", "--token", "-l", "--selector", "-f", "--filename", "-o", "--output", "-c",
        "--container", "-p", "--patch", "--type", "--image", "--field-selector", "-k",
        "--kustomize", "--as", "--as-group", "--grace-period", "--timeout", "--replicas",
        "--clusterrole", "--role", "--serviceaccount", "--group", "--overrides", "--restart",
        "--port", "--sort-by", "--template", "--to-revision", "--kube-context", "--values",
        "--set", "--set-string", "--version", "--wait-for-jobs", "--from-literal", "--from-file",
    }
)  # fmt: skip
_WHERE = ("-n", "--namespace", "--context", "--kube-context", "--cluster", "-f", "--filename",
          "--kubeconfig", "--values", "-k", "--kustomize")  # fmt: skip
_NAMESPACE_KINDS = frozenset({"namespace", "namespaces", "ns", "project", "projects"})
_WORKLOAD_KINDS = frozenset(
    {
        "deployment", "deployments", "deploy", "statefulset", "statefulsets", "sts",
        "daemonset", "daemonsets", "ds", "pvc", "persistentvolumeclaim",
        "persistentvolumeclaims", "pv", "persistentvolume", "persistentvolumes", "crd", "crds",
        "customresourcedefinition", "customresourcedefinitions", "all",
    }
)  # fmt: skip
_NODE_KINDS = frozenset({"node", "nodes", "no", "cluster", "clusters"})
_SECRET_KINDS = frozenset({"secret", "secrets"})
_CHANGERS = frozenset(
    {"apply", "create", "replace", "patch", "set", "edit", "annotate", "label", "expose", "run",
     "autoscale", "rollout", "scale"}
)  # fmt: skip
# Output formats that print a secret's values (`-o name`, `-o wide`, custom columns do not).
_VALUE_FORMATS = ("yaml", "json", "jsonpath", "go-template", "template")
# Cluster security: network and admission policies, and the tools that enforce or watch.
_POLICY_KINDS = frozenset(
    {
        "networkpolicy", "networkpolicies", "netpol", "podsecuritypolicy", "podsecuritypolicies",
        "psp", "validatingwebhookconfiguration", "validatingwebhookconfigurations",
        "mutatingwebhookconfiguration", "mutatingwebhookconfigurations", "constrainttemplate",
        "constrainttemplates", "constraint", "constraints", "clusterpolicy", "clusterpolicies",
        "kyvernopolicy", "kyvernopolicies", "peerauthentication", "peerauthentications",
        "authorizationpolicy", "authorizationpolicies", "ciliumnetworkpolicy",
        "ciliumnetworkpolicies", "globalnetworkpolicy", "globalnetworkpolicies",
    }
)  # fmt: skip
# A patch that lets a policy pass what it would stop: a webhook ignoring its own failures, an
# enforcement turned to a dry run or a warning.
_WEAKENS = re.compile(
    r"failurePolicy[^\n]{0,40}Ignore|enforcementAction[^\n]{0,40}(dryrun|warn)"
    r"|validationFailureAction[^\n]{0,40}Audit|validationActions[^\n]{0,20}Warn",
    re.I,
)
_SECURITY_TOOLS = frozenset(
    {"gatekeeper", "kyverno", "falco", "opa", "tetragon", "neuvector", "sysdig", "crowdstrike",
     "falcon", "twistlock", "aqua", "trivy", "kubearmor"}
)  # fmt: skip
_ADMIN_ROLES = frozenset({"cluster-admin", "admin", "edit", "system:masters"})


def _where(argv: list[str], names: list[str]) -> frozenset[str]:
    """`production` or `scratch`, from namespaces, contexts, manifest files and names."""
    return environment_classes([*values(argv, *_WHERE), *names])


def _kinds(word: str) -> tuple[set[str], str]:
    """`deploy,svc` → ({deploy, svc}, ""); `deploy/api` → ({deploy}, "api")."""
    kind, _, name = word.lower().partition("/")
    return set(kind.split(",")), name


def security_tool(names: list[str]) -> bool:
    """True when a name is one of a security tool's (its namespace, release or deployment)."""
    return any(not _SECURITY_TOOLS.isdisjoint(re.split(r"[^a-z0-9]+", n.lower())) for n in names)


def _delete(inv: Invocation, rest: list[str], where: frozenset[str]) -> Iterator[Effect]:
    if not rest:
        if "xargs" in inv.via:  # `kubectl get ns -o name | … | xargs kubectl delete`: unseen
            yield _resource("destroy", "objects from the input", {"workload"} | where, inv)
        return
    kinds, named = _kinds(rest[0])
    target = " ".join(rest)[:200]
    names = [*rest, *values(inv.argv, "-n", "--namespace")]
    if kinds & _POLICY_KINDS or security_tool(names):
        yield _resource("stop", f"security policy or tool {target}", {"security"} | where, inv)
    if any("audit" in n.lower() for n in rest):
        yield _resource("stop", f"audit {target}", {"logging"} | where, inv)
    every = has(inv.argv, "--all", "-A", "--all-namespaces")
    if kinds & _NAMESPACE_KINDS:
        yield _resource("destroy", f"namespace {target}", {"namespace"} | where, inv)
    if kinds & _WORKLOAD_KINDS or (every and not kinds & _NAMESPACE_KINDS):
        yield _resource("destroy", target, {"workload"} | where, inv)
    if kinds & _NODE_KINDS:
        yield _resource("destroy", target, {"cluster"} | where, inv)
    if not kinds & (_NAMESPACE_KINDS | _WORKLOAD_KINDS | _NODE_KINDS) and not every:
        yield _resource("destroy", target, {"object"} | where, inv)
    del named


def _grant(inv: Invocation, rest: list[str], where: frozenset[str]) -> Iterator[Effect]:
    """`create clusterrolebinding …`, `create rolebinding --clusterrole=admin …`."""
    kind = rest[0].lower() if rest else ""
    roles = {r.lower() for r in values(inv.argv, "--clusterrole", "--role")}
    if kind == "clusterrolebinding" or (kind == "rolebinding" and roles & _ADMIN_ROLES):
        yield _resource(
            "privilege", f"{kind} {' '.join(sorted(roles))}", {"cluster-admin"} | where, inv
        )


def _host_pod(argv: list[str]) -> bool:
    """A pod spec override that gives the pod the host (`hostPID`, `privileged`, `hostPath /`)."""
    spec = " ".join(values(argv, "--overrides")).replace(" ", "").lower()
    return (
        any(f'"{key}":true' in spec for key in ("hostpid", "hostnetwork", "hostipc", "privileged"))
        or '"path":"/"' in spec
        or has(argv, "--privileged")
    )


# A JSONPath that names only a secret's metadata (`{.metadata.creationTimestamp}`, `{.type}`):
# every expression in braces is .type or a field of .metadata, none .data or a whole object
_JSONPATH_EXPR = re.compile(r"\{([^{}]*)\}")
# (not the annotations: kubectl's last-applied-configuration holds the values).
_METADATA_PATH = re.compile(
    r"^\s*(range\s+\.items\[[^\]]*\]|end|\"[^\"]*\"|'[^']*'"  # a loop, text
    r"|\.(items\[[^\]]*\]\.)?(type|metadata\.(?!annotations\b|managedFields\b)[\w.\[\]'\"-]+)"
    # a TLS secret's certificate, public by design (`{.data.tls\.crt}`; never `tls.key`)
    r"|\.data(\.(tls|ca)\\?\.crt|\[['\"](tls|ca)\.crt['\"]\]))\s*$"
)


def _metadata_only(output: str) -> bool:
    """`-o jsonpath={.metadata.name}`: only a secret's metadata (or its public certificate)
    printed, never its values."""
    kind, _, template = output.partition("=")
    if kind.lower() != "jsonpath" or not template:
        return False
    if ".." in template or "@" in template:  # recursive descent; a filter tests the values
        return False
    exprs = _JSONPATH_EXPR.findall(template)
    return bool(exprs) and all(_METADATA_PATH.match(e) for e in exprs)


def _kubectl(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    operands, _ = split(inv.argv, _VALUED)
    words = [w.lower() for w in operands]
    if not words or asks_nothing(inv.argv, ("--server-dry-run",)):
        return
    verb, rest = words[0], operands[1:]
    where = _where(inv.argv, rest[:3])
    if verb == "delete":
        yield from _delete(inv, rest, where)
    elif verb in ("drain", "cordon", "taint"):
        yield _resource("apply", f"{verb} {' '.join(rest)}"[:200], {"cluster-nodes"} | where, inv)
    elif verb == "create" and rest and rest[0].lower() in ("clusterrolebinding", "rolebinding"):
        yield from _grant(inv, rest, where)
    elif verb == "get" and rest and _kinds(rest[0])[0] & _SECRET_KINDS:
        shown = values(inv.argv, "-o", "--output") + ["template"] * has(inv.argv, "--template")
        if any(o.lower().startswith(_VALUE_FORMATS) and not _metadata_only(o) for o in shown):
            yield secret_read(f"{inv.name}/{' '.join(rest[:2])}", inv, classify)
    elif verb == "config" and words[1:2] == ["view"] and has(inv.argv, "--raw"):
        yield secret_read(f"{inv.name}/config view --raw", inv, classify)  # tokens, keys
    elif verb == "debug" and rest and rest[0].lower().startswith("node/"):
        yield _resource("privilege", f"a pod on {rest[0]} with the host", {"container-escape"}, inv)
    elif verb == "run" and _host_pod(inv.argv):
        yield _resource("privilege", "a pod with the host", {"container-escape"} | where, inv)
    elif (
        verb == "patch"
        and rest
        and _kinds(rest[0])[0] & _POLICY_KINDS
        and _WEAKENS.search(" ".join(inv.argv))
    ):  # an admission webhook told to let requests through when it fails, a policy only warned
        yield _resource("stop", f"security policy {' '.join(rest)}"[:200], {"security"}, inv)
    elif verb in ("exec", "cp", "attach"):
        yield _resource("apply", f"{verb} {' '.join(rest)}"[:200], {"remote-exec"} | where, inv)
    elif verb in _CHANGERS and not (verb == "rollout" and words[1:2] in (["status"], ["history"])):
        zero = any(v.strip("'\"") == "0" for v in values(inv.argv, "--replicas"))
        if zero and security_tool([*rest, *values(inv.argv, "-n", "--namespace")]):
            yield _resource("stop", f"security tool {' '.join(rest)}"[:200], {"security"}, inv)
        classes = {"scale-to-zero"} if zero else {"deploy"}
        yield _resource("apply", f"{verb} {' '.join(rest)}"[:200], classes | where, inv)


def _helm(inv: Invocation) -> Iterator[Effect]:
    operands, _ = split(inv.argv, _VALUED)
    words = [w.lower() for w in operands]
    if not words or asks_nothing(inv.argv):
        return
    verb, rest = words[0], operands[1:]
    where = _where(inv.argv, rest[:2])
    if verb in ("uninstall", "un", "del", "delete") and rest:
        yield _resource("destroy", f"release {rest[0]}", {"release"} | where, inv)
        if security_tool([rest[0], *values(inv.argv, "-n", "--namespace")]):
            yield _resource("stop", f"security tool {rest[0]}", {"security"} | where, inv)
    elif verb in ("install", "upgrade", "rollback") and rest:
        yield _resource("apply", f"release {rest[0]}", {"deploy"} | where, inv)
    elif verb == "push" and rest:
        yield _resource("publish", f"chart {rest[0]}", {"image"}, inv)


def _argocd(inv: Invocation) -> Iterator[Effect]:
    words = [w.lower() for w in split(inv.argv, _VALUED)[0][:3]]
    if len(words) < 3 or words[0] != "app" or asks_nothing(inv.argv):
        return
    where = environment_classes([words[2], *values(inv.argv, "--dest-namespace")])
    if words[1] == "delete":
        yield _resource("destroy", f"application {words[2]}", {"release"} | where, inv)
    elif words[1] in ("sync", "rollback", "set"):
        yield _resource("apply", f"application {words[2]}", {"deploy"} | where, inv)


_FLUX_VALUED = frozenset({"-n", "--namespace", "--context", "--kubeconfig", "--timeout"})


def _flux(inv: Invocation) -> Iterator[Effect]:
    """`flux delete|suspend KIND NAME`, `flux uninstall`: what a GitOps controller stops
    reconciling (and, for delete, prunes from the cluster); `flux reconcile`: a deploy."""
    words = [w.lower() for w in split(inv.argv, _FLUX_VALUED)[0][:3]]
    if not words or asks_nothing(inv.argv):
        return
    where = environment_classes([*words[1:], *values(inv.argv, "--context", "-n", "--namespace")])
    name = " ".join(words[1:3]) or "flux"
    if words[0] in ("delete", "uninstall"):
        yield _resource("destroy", name, {"release"} | where, inv)
    elif words[0] == "suspend":
        yield _resource("stop", name, {"release"} | where, inv)
    elif words[0] in ("reconcile", "resume"):
        yield _resource("apply", name, {"deploy"} | where, inv)


_NOMAD_VALUED = frozenset({"-address", "-namespace", "-region", "-token", "-var", "-var-file"})


def _nomad(inv: Invocation) -> Iterator[Effect]:
    """`nomad job stop [-purge] JOB` (a service stopped, purged: gone), `nomad job run FILE`;
    the environment from the job's name, the address and `NOMAD_ADDR` (environments.py)."""
    words = [w.lower() for w in split(inv.argv, _NOMAD_VALUED)[0][:3]]
    if len(words) < 3 or words[0] != "job" or asks_nothing(inv.argv):
        return
    where = environment_classes([words[2], *values(inv.argv, "-address", "-namespace")])
    if words[1] == "stop":
        op = "destroy" if "-purge" in inv.argv else "stop"
        yield _resource(op, f"job {words[2]}", {"release"} | where, inv)
    elif words[1] in ("run", "revert", "scale", "dispatch"):
        yield _resource("apply", f"job {words[2]}", {"deploy"} | where, inv)


def _local_cluster(inv: Invocation) -> Iterator[Effect]:
    words = [w.lower() for w in split(inv.argv, frozenset({"-n", "--name", "-p", "--profile"}))[0]]
    if "delete" in words[:2] and not asks_nothing(inv.argv):
        # A cluster on this machine, made to be thrown away.
        yield _resource("destroy", f"local {inv.name} cluster", {"cluster", "scratch"}, inv)


def effects(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    """What a Kubernetes command deletes, deploys, grants or reads."""
    if inv.name in _KUBECTLS:
        yield from _kubectl(inv, classify)
    elif inv.name == "helm":
        yield from _helm(inv)
    elif inv.name == "argocd":
        yield from _argocd(inv)
    elif inv.name == "flux":
        yield from _flux(inv)
    elif inv.name == "nomad":
        yield from _nomad(inv)
    elif inv.name in _LOCAL_CLUSTERS:
        yield from _local_cluster(inv)


FAMILY: Family = Family(
    name="kubernetes",
    commands=_KUBECTLS | _LOCAL_CLUSTERS | {"helm", "argocd", "flux", "nomad"},
    effects=effects,
    examples=(
        Example(
            "kubectl delete namespace production", has=("destroy:namespace", "destroy:production")
        ),
        Example("kubectl --context prod-us delete ns payments", has=("destroy:production",)),
        Example(
            "kubectl get ns -o name | grep -v kube- | xargs kubectl delete",
            has=("destroy:workload",),
        ),
        Example("kubectl delete", lacks=("destroy",)),
        Example("oc delete project billing", has=("destroy:namespace",)),
        Example("kubectl delete pvc --all -n databases", has=("destroy:workload",)),
        Example("kubectl delete deploy/api -n staging", has=("destroy:workload",)),
        Example(
            "kubectl delete pod api-7d9f -n prod",
            has=("destroy:object", "destroy:production"),
            lacks=("destroy:workload",),
        ),
        Example("kubectl delete namespace test-1234", has=("destroy:scratch",)),
        Example("kubectl delete ns prod --dry-run=client", lacks=("destroy",)),
        Example(
            "kubectl scale deploy/checkout --replicas=0 -n prod",
            has=("apply:scale-to-zero", "apply:production"),
        ),
        Example(
            "kubectl scale deployment worker --replicas=4 -n staging",
            has=("apply:deploy",),
            lacks=("apply:scale-to-zero",),
        ),
        Example("kubectl apply -f k8s/ --context prod-cluster", has=("apply:production",)),
        Example("kubectl get deploy -n production", lacks=("apply", "destroy")),
        Example("kubectl rollout status deploy/web -n prod", lacks=("apply",)),
        Example("kubectl exec -n production deploy/api -- env", has=("apply:remote-exec",)),
        Example("kubectl logs -n production deploy/api", lacks=("apply",)),
        Example("kubectl drain node-1 --ignore-daemonsets", has=("apply:cluster-nodes",)),
        Example(
            "kubectl create clusterrolebinding a --clusterrole=cluster-admin --user=x",
            has=("privilege:cluster-admin",),
        ),
        Example(
            "kubectl create rolebinding v --clusterrole=view --user=x -n dev", lacks=("privilege",)
        ),
        Example("kubectl get secret db-creds -o yaml", has=("read:secret-store",)),
        Example("kubectl config view --raw -o jsonpath='{.users[0].user.token}'", has=("read",)),
        Example("kubectl config view --minify", lacks=("read",)),
        Example("kubectl get secrets -n prod", lacks=("read:secret-store",)),
        Example(
            "kubectl get secrets -n dev -o custom-columns=NAME:.metadata.name",
            lacks=("read:secret-store",),
        ),
        Example(
            "kubectl patch validatingwebhookconfiguration gatekeeper --type json -p"
            ' \'[{"op":"replace","path":"/webhooks/0/failurePolicy","value":"Ignore"}]\'',
            has=("stop:security",),
        ),
        Example(
            'kubectl patch networkpolicy web -p \'{"spec":{"podSelector":{}}}\'',
            lacks=("stop",),
        ),
        Example("kubectl get secret x -o jsonpath='{.data.password}'", has=("read:secret-store",)),
        Example("kubectl get secret t -o jsonpath='{.data.tls\\.key}'", has=("read:secret-store",)),
        Example(
            "kubectl get secret t -o jsonpath='{.data.tls\\.crt}'", lacks=("read:secret-store",)
        ),
        Example(
            "kubectl get secret db-creds -n prod -o jsonpath='{.metadata.creationTimestamp}'",
            lacks=("read:secret-store",),
        ),
        Example(
            "kubectl get secret x -o jsonpath='{.metadata.name} {.data}'",
            has=("read:secret-store",),
        ),
        Example(
            'kubectl run dbg -it --image=alpine --overrides=\'{"spec":{"hostPID": true}}\'',
            has=("privilege:container-escape",),
        ),
        Example(
            "helm uninstall payments-api -n prod", has=("destroy:release", "destroy:production")
        ),
        Example("helm upgrade --install web ./charts/web -n staging", has=("apply:deploy",)),
        Example("helm list -A", lacks=("destroy", "apply")),
        Example("kubectl delete networkpolicy --all -n prod", has=("stop:security",)),
        Example(
            "kubectl delete validatingwebhookconfiguration gatekeeper-validating-webhook",
            has=("stop:security",),
        ),
        Example("helm uninstall falco -n falco", has=("stop:security",)),
        Example(
            "kubectl scale deploy kyverno-admission-controller -n kyverno --replicas=0",
            has=("stop:security",),
        ),
        Example("kubectl get networkpolicy -n prod", lacks=("stop",)),
        Example("kubectl delete secret opaque-token -n dev", lacks=("stop",)),
        Example("kubectl delete configmap audit-policy -n kube-system", has=("stop:logging",)),
        Example("argocd app delete payments-prod", has=("destroy:release",)),
        Example("kind delete cluster --name e2e", has=("destroy:scratch",)),
        Example(
            "flux delete kustomization infra -n flux-system --silent --context prd-gke",
            has=("destroy:production",),
        ),
        Example("flux suspend helmrelease api -n staging", has=("stop:release",)),
        Example("flux get kustomizations --context prd-gke", lacks=("destroy", "stop")),
        Example("nomad job stop -purge payments-prod", has=("destroy:production",)),
        Example(
            "NOMAD_ADDR=https://nomad.prd.acme.internal:4646 nomad job stop api",
            has=("stop:production",),
        ),
        Example("nomad job status payments-prod", lacks=("destroy", "stop")),
        Example(
            "nomad job run jobs/web-dev.nomad", has=("apply:deploy",), lacks=("apply:production",)
        ),
    ),
)
