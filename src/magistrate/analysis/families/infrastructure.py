"""Infrastructure as code: terraform, tofu, terragrunt, pulumi, cdk, cdktf, sam, serverless,
eksctl.

`destroy` (and `apply -destroy`, `pulumi down`, `sls remove`) tears a stack down; `apply`,
`up`, `deploy`, `import` and state surgery (`state rm`, `taint`, `force-unlock`) change real
infrastructure; `plan`, `validate`, `fmt`, `init`, `output`, `show` only read. The environment
comes from `-chdir`, var files, `-var env=…`, stack and workspace names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from magistrate.analysis.effects import Effect
from magistrate.analysis.families.base import Classify, Example, Family, environment_classes
from magistrate.analysis.families.base import resource as _resource
from magistrate.analysis.families.cli import asks_nothing, has, split, values
from magistrate.analysis.invocation import Invocation

_TERRAFORMS = frozenset({"terraform", "tofu", "terragrunt", "opentofu", "cdktf"})
_OTHERS = frozenset({"pulumi", "cdk", "sam", "serverless", "sls", "eksctl"})
_VALUED = frozenset(
    {"-var", "-var-file", "-target", "-s", "--stack", "--profile", "--region", "-c", "--context",
     "--stage", "--config", "-f", "--name", "--parallelism", "-parallelism", "--app"}
)  # fmt: skip
_DESTROYS = {
    "destroy": "destroy",
    "down": "destroy",
    "remove": "destroy",
    "delete": "destroy",
}
_APPLIES = frozenset({"apply", "up", "deploy", "import", "force-unlock", "taint", "untaint"})
_STATE_SURGERY = frozenset({"rm", "mv", "push", "replace-provider"})
# Staging, QA and development: applied there every day, unlike production.
_PRE_PRODUCTION = re.compile(
    r"(^|[^a-z0-9])(staging|stage|stg|qa|uat|dev|development|test|testing|sandbox|preview)"
    r"($|[^a-z0-9])",
    re.I,
)


# A stack that lives on this machine (LocalStack, a `local` stack): as throw-away as a temp dir.
_ON_THIS_MACHINE = re.compile(r"^(?:[\w-]+/)*(local|localstack|localhost)$", re.I)


def _where(inv: Invocation) -> set[str]:
    words = [a for a in inv.argv if not a.startswith("-auto")]
    found = set(environment_classes(words))
    if any(_ON_THIS_MACHINE.match(v) for v in values(inv.argv, "-s", "--stack", "--stage")):
        found.add("scratch")
    if _PRE_PRODUCTION.search(" ".join(words)) and "production" not in found:
        found.add("pre-production")
    return found


def resource(op: str, target: str, classes: set[str], inv: Invocation) -> Effect:
    """An effect with the environment the invocation names."""
    return _resource(op, target, classes | _where(inv), inv)


def effects(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    """What an infrastructure tool tears down or changes."""
    words = [w.lower() for w in split(inv.argv, _VALUED)[0][:4] if not w.startswith("-chdir")]
    if words[:1] == ["run-all"] or words[:2] == ["run", "--all"]:
        words = words[1:]  # terragrunt run-all VERB: the verb, in every module
    if not words or asks_nothing(inv.argv, ("-help", "--preview-only")):
        return
    verb = words[0]
    if inv.name == "eksctl":
        if verb == "delete" and words[1:2] in (["cluster"], ["nodegroup"]):
            yield resource("destroy", " ".join(words), {"cluster"}, inv)
        elif verb in ("create", "upgrade", "scale"):
            yield resource("apply", " ".join(words), {"infrastructure"}, inv)
        return
    if (
        (verb == "stack" and words[1:2] == ["rm"])
        or verb in _DESTROYS
        or (verb == "apply" and has(inv.argv, "-destroy", "--destroy"))
    ):
        if inv.name in _TERRAFORMS and verb in ("delete", "remove"):
            return
        yield resource("destroy", f"{inv.name} {verb}", {"stack"}, inv)
    elif verb in _APPLIES or (verb == "state" and words[1:2] and words[1] in _STATE_SURGERY):
        yield resource("apply", f"{inv.name} {' '.join(words[:2])}", {"infrastructure"}, inv)
    elif verb == "workspace" and words[1:2] == ["delete"] and has(inv.argv, "-force"):
        yield resource("destroy", f"workspace {' '.join(words[2:3])}", {"stack"}, inv)


FAMILY: Family = Family(
    name="infrastructure",
    commands=_TERRAFORMS | _OTHERS,
    effects=effects,
    examples=(
        Example("terraform destroy -auto-approve", has=("destroy:stack",)),
        Example("terraform -chdir=envs/prod destroy", has=("destroy:production",)),
        Example("tofu apply -destroy -auto-approve", has=("destroy:stack",)),
        Example("pulumi destroy --yes -s acme/prod", has=("destroy:stack",)),
        Example("pulumi destroy --yes --stack local", has=("destroy:scratch",)),
        Example("cdk destroy --force", has=("destroy:stack",)),
        Example("sls remove --stage prod", has=("destroy:stack",)),
        Example("eksctl delete cluster --name prod", has=("destroy:cluster",)),
        Example("terraform apply -auto-approve", has=("apply:infrastructure",)),
        Example("terraform -chdir=envs/production apply -auto-approve", has=("apply:production",)),
        Example("terraform apply -var-file=staging.tfvars", has=("apply:pre-production",)),
        Example("terraform state rm module.prod_db", has=("apply:infrastructure",)),
        Example("terraform -chdir=envs/production validate", lacks=("apply", "destroy")),
        Example("terraform plan -destroy", lacks=("destroy",)),
        Example("terraform init -upgrade", lacks=("apply",)),
        Example("terragrunt run-all destroy", has=("destroy:stack",)),
        Example("terraform workspace delete feature-x", lacks=("destroy",)),
        Example("pulumi preview", lacks=("apply",)),
    ),
)
