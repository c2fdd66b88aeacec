"""Cloud and platform CLIs: aws, gcloud, gsutil, bq, az, doctl, heroku, fly, vercel, netlify,
firebase, supabase, wrangler, linode-cli, hcloud, oci, ibmcloud, scw, civo, vultr-cli, exo,
railway, pscale, neonctl.

They share a grammar: nouns, then a verb (`gcloud sql instances delete X`, `doctl compute
droplet delete X`, `heroku apps:destroy`, `aws rds delete-db-instance`). A destroying verb
destroys what its nouns name (`NOUNS`: instances, buckets, databases, clusters…); the names
and options say which environment (`production`, `scratch`). Secrets printed by the CLI are
reads of a secret store; ACLs, policies and firewall rules that admit anyone publish.
The account-level knowledge (IAM, public access, secrets) is in `cloud_access`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from magistrate.analysis.effects import Effect
from magistrate.analysis.families import cloud_access
from magistrate.analysis.families.base import (
    EMPTY_SOURCE,
    Classify,
    Example,
    Family,
    environment_classes,
)
from magistrate.analysis.families.base import resource as _resource
from magistrate.analysis.families.cli import asks_nothing, has, split, values
from magistrate.analysis.invocation import Invocation

CLIS = frozenset(
    {
        "aws", "gcloud", "gsutil", "bq", "az", "doctl", "heroku", "fly", "flyctl", "vercel",
        "netlify", "firebase", "supabase", "wrangler", "linode-cli", "hcloud", "oci",
        "ibmcloud", "ic", "scw", "civo", "vultr-cli", "exo", "railway", "pscale", "neonctl",
        "render", "eb", "s3cmd", "rclone", "mc", "azcopy",
    }
)  # fmt: skip
_GLOBAL_VALUED = frozenset(
    {
        "--profile", "--region", "--output", "--endpoint-url", "--query", "--project",
        "--account", "--configuration", "--format", "--subscription", "-o", "--app", "-a",
        "--context", "-p", "--scope", "--team", "--site", "--config", "-c",
    }
)  # fmt: skip
_DESTROY = frozenset(
    {
        "delete",
        "destroy",
        "rm",
        "remove",
        "terminate",
        "rb",
        "purge",
        "cluster-delete",
        "del",
        "delete-batch",
    }
)
# What a destroying verb destroys, by the nouns before it (or in an AWS operation's name).
NOUNS: dict[str, str] = {
    **dict.fromkeys(["instance", "instances", "vm", "vms", "server", "servers", "droplet",
                     "droplets", "linodes", "linode", "app", "apps", "webapp", "environment",
                     "site", "sites", "service-instance", "machine", "machines"], "instance"),
    **dict.fromkeys(["bucket", "buckets", "os", "storage", "account", "r2", "object-storage",
                     "container", "share", "objects", "blob"], "bucket"),
    **dict.fromkeys(["db", "database", "databases", "sql", "table", "tables", "dataset",
                     "datasets", "dynamodb", "rds", "cosmosdb", "d1", "postgres", "pg", "mysql",
                     "redis", "firestore", "autonomous-database", "addons", "branch",
                     "branches", "spanner", "bigtable", "kv", "elasticache"], "database"),
    **dict.fromkeys(["cluster", "clusters", "kubernetes", "aks", "eks", "gke", "lke",
                     "nodegroup", "node-pool", "node-pools", "k8s"], "cluster"),
    **dict.fromkeys(["stack", "stacks", "deployment", "resource-group"], "stack"),
    **dict.fromkeys(["projects", "project", "organization", "folders"], "namespace"),
    **dict.fromkeys(["volume", "volumes", "disk", "disks", "snapshot", "snapshots",
                     "file-system", "filesystem", "backup", "backups"], "volume"),
    **dict.fromkeys(["secret", "secrets", "key", "keys", "keyvault", "kms", "versions",
                     "vault", "certificate"], "secret"),
    **dict.fromkeys(["function", "functions", "run", "services", "service", "release",
                     "releases", "lambda", "functionapp", "worker", "deployments"], "release"),
    **dict.fromkeys(["repository", "repositories", "repo", "ecr", "artifacts"], "repository"),
    **dict.fromkeys(["dns", "zone", "zones", "managed-zones", "record-sets", "domain",
                     "domains", "records", "hosted-zone", "route53"], "dns"),
    **dict.fromkeys(["role", "roles", "user", "users", "policy", "policies",
                     "service-account", "service-accounts", "iam", "identity", "principal",
                     "login-profile", "instance-profile", "sp", "ad"], "identity"),
    # One item inside a store (a message, an object, a tag): recreated or minor.
    **dict.fromkeys(["message", "messages", "item", "object", "tags", "tag", "alarms",
                     "alarm", "attributes", "attribute", "message-batch", "label", "labels",
                     "invalidation", "image", "images"], "object"),
}  # fmt: skip
# CLIs of whole clouds, where deleting an unknown kind of thing is not known to destroy much.
_BROAD = frozenset({"aws", "gcloud", "az", "oci", "ibmcloud", "ic"})
# App platforms whose `run`/`ssh`/`console` runs a command inside the deployed app.
_PLATFORMS = frozenset({"heroku", "fly", "flyctl", "railway", "render"})
_SCRATCH_PATH = re.compile(r"(^|[/:._-])(cache|tmp|temp|scratch|artifacts?)([/._-]|$)", re.I)
_DEPLOYS = frozenset({"deploy", "up", "release", "promote", "rollback", "releases:rollback"})


def _words(inv: Invocation) -> list[str]:
    """Nouns and verbs, lower-cased, with `apps:destroy` split into `apps destroy`."""
    out: list[str] = []
    for word in split(inv.argv, _GLOBAL_VALUED)[0][:5]:
        out.extend(w for w in word.lower().split(":") if w)
    return out


# When nouns name several kinds (`sql instances`, `rds delete-db-instance`), the graver wins.
_GRAVITY = ("database", "cluster", "secret", "dns", "volume", "repository", "bucket", "stack",
            "namespace", "identity", "release", "instance", "object")  # fmt: skip
# A destroying verb on a kind of thing not classified above still destroys a resource.
_UNKNOWN = "resource"


def _kind(nouns: list[str], default: str = "instance") -> str:
    if "group" in nouns and not {"security", "log", "iam", "ad", "identity"} & set(nouns):
        return "stack"  # `az group delete`: a resource group and everything in it
    kinds = {NOUNS[n] for n in nouns if n in NOUNS}
    return next((k for k in _GRAVITY if k in kinds), default)


def resource(op: str, target: str, classes: set[str], inv: Invocation) -> Effect:
    """An effect with the environment the invocation's names and options point at."""
    where = environment_classes([a for a in inv.argv if not a.startswith("--no-")])
    return _resource(op, target, classes | where, inv)


def _aws_destroy(inv: Invocation, words: list[str]) -> Iterator[Effect]:
    service, operation = words[0], words[1]
    if service == "s3" and operation == "rb":
        yield resource("destroy", " ".join(words[2:3]) or "a bucket", {"bucket"}, inv)
    elif service == "s3" and operation == "rm" and has(inv.argv, "--recursive"):
        target = words[2] if len(words) > 2 else "a bucket"
        extra = {"scratch"} if _SCRATCH_PATH.search(target.removeprefix("s3://")) else set()
        yield resource("destroy", target, {"bucket"} | extra, inv)
    elif operation.startswith(("delete-", "terminate-", "schedule-key-deletion", "deregister-")):
        parts = operation.split("-")[1:]
        kind = _kind([*parts, service], _UNKNOWN)
        yield resource("destroy", f"{service} {operation}", {kind}, inv)


# Copy-and-sync tools whose delete verbs empty remote storage (an rclone remote `gdrive:`, an
# mc alias `minio/bucket`, an s3cmd `s3://` URL): the verb, and whether it needs a recursive flag.
_REMOTE_DELETES = {
    "rclone": {"purge": False, "delete": False},
    "mc": {"rb": False, "rm": True},
    "s3cmd": {"rb": False, "del": True, "rm": True},
    "azcopy": {"remove": True, "rm": True},
}


def _remote_storage(inv: Invocation, words: list[str]) -> Iterator[Effect]:
    """`rclone purge gdrive:`, `mc rm --recursive --force minio/b`, a sync from an empty folder
    onto a remote (`rclone sync /tmp/empty onedrive:Photos`): every object there deleted."""
    if has(inv.argv, "--dry-run", "-n", "--dryrun"):
        return
    operands = [w for w in split(inv.argv, _GLOBAL_VALUED)[0] if not w.startswith("-")]
    if len(operands) < 2:
        return
    verb, target = operands[0].lower(), operands[1]
    needs_recursive = _REMOTE_DELETES[inv.name].get(verb)
    recursive = has(inv.argv, "-r", "--recursive", "--force")
    if needs_recursive is not None and (inv.name != "rclone" or _is_remote(target)):
        if recursive or not needs_recursive:
            yield resource("destroy", target[:120], {"bucket"}, inv)
    elif verb == "sync" and len(operands) >= 3 and EMPTY_SOURCE.search(target):
        destination = operands[2]  # the empty folder is scratch; the remote is not
        where = {"bucket"} | environment_classes([destination])
        if _is_remote(destination):
            yield _resource("destroy", f"every object of {destination[:120]}", where, inv)


def _is_remote(operand: str) -> bool:
    """`gdrive:`, `b2:bucket/dir`: a remote's name before a colon (not a path or a drive)."""
    head = operand.split(":", 1)[0]
    return ":" in operand and len(head) > 1 and "/" not in head


def _destroys(inv: Invocation, words: list[str]) -> Iterator[Effect]:
    if inv.name in _REMOTE_DELETES:
        yield from _remote_storage(inv, words)
        return
    if inv.name == "aws" and len(words) >= 2:
        yield from _aws_destroy(inv, words)
        return
    if inv.name == "gsutil" and words[:1] in (["rb"], ["rm"]):
        if words[0] == "rb" or has(inv.argv, "-r", "-R", "-a") or "-m" in inv.argv:
            yield resource("destroy", " ".join(words[1:2]) or "a bucket", {"bucket"}, inv)
        return
    if inv.name == "bq" and words[:1] == ["rm"]:
        yield resource("destroy", " ".join(words[1:2]) or "a dataset", {"database"}, inv)
        return
    for i, word in enumerate(words):
        if word in _DESTROY:
            if i == 0 and inv.name in ("vercel", "wrangler", "railway"):
                yield resource("destroy", " ".join(words[1:2]) or "a deployment", {"release"}, inv)
            elif i > 0 or inv.name in ("fly", "flyctl"):
                target = " ".join(words[: i + 2])
                recursive = has(inv.argv, "-r", "-R", "--recursive", "-a", "--all-versions")
                if word in ("rm", "remove") and any("://" in a for a in inv.argv) and not recursive:
                    return  # `gcloud storage rm gs://b/one-object`: one object
                kind = _kind(words[:i], _UNKNOWN if inv.name in _BROAD else "instance")
                yield resource("destroy", target, {kind}, inv)
            return


def _applies(inv: Invocation, words: list[str]) -> Iterator[Effect]:
    """Deploys, DNS changes, fail-overs and scaling to zero."""
    joined = " ".join(words)
    zero = (
        any(
            v.strip("'\"") == "0"
            for v in values(inv.argv, "--desired-count", "--desired-capacity", "--max-size")
        )
        or re.search(r"(^| )(ps scale|scale count) \S*=?0( |$)", joined)
        or joined.startswith("maintenance on")
    )
    if zero:
        yield resource("apply", joined[:120], {"scale-to-zero"}, inv)
    elif words[:2] == ["s3", "sync"] and (emptied := _emptied_bucket(inv)):
        yield resource("destroy", f"every object of {emptied}", {"bucket"}, inv)
    elif "change-resource-record-sets" in words or (
        {"dns", "record-sets", "record-set"} & set(words)
        and {"create", "update", "delete", "transaction", "add-record", "remove-record"}
        & set(words)
    ):
        yield resource("apply", joined[:120], {"dns"}, inv)
    elif {"failover-db-cluster", "reboot-db-instance", "promote-read-replica",
          "modify-db-instance", "modify-db-cluster", "failover"} & set(words) or (
        words[:3] == ["sql", "instances", "patch"]
    ):  # fmt: skip
        yield resource("apply", joined[:120], {"failover"}, inv)
    elif words[:2] in (["cloudformation", "deploy"], ["cloudformation", "update-stack"]):
        yield resource("apply", joined[:120], {"infrastructure"}, inv)
    elif (
        (set(words) & _DEPLOYS and inv.name != "aws")
        or words[:2]
        in (
            ["lambda", "update-function-code"],
            ["ecs", "update-service"],
            ["deploy", "create-deployment"],
        )
        or (words[:2] in (["s3", "cp"], ["s3", "sync"]) and _uploads(inv))
    ):
        prod = {"production"} if has(inv.argv, "--prod", "--production") else set()
        yield resource("apply", joined[:120], {"deploy"} | prod, inv)


def _emptied_bucket(inv: Invocation) -> str:
    """`aws s3 sync ./empty s3://site --delete`: the bucket a sync from an empty folder wipes."""
    if not has(inv.argv, "--delete"):
        return ""
    operands = split(inv.argv, _GLOBAL_VALUED | {"--acl", "--exclude", "--include"})[0]
    if len(operands) >= 4 and EMPTY_SOURCE.search(operands[-2]) and "://" in operands[-1]:
        return operands[-1][:120]
    return ""


def _uploads(inv: Invocation) -> bool:
    """`aws s3 cp|sync SRC s3://…`: something written into a bucket."""
    operands = split(inv.argv, _GLOBAL_VALUED | {"--acl", "--exclude", "--include"})[0]
    return len(operands) >= 4 and operands[-1].startswith("s3://")


# Verbs (gcloud, az, doctl…) and AWS operation prefixes that change something.
_MUTATING = frozenset(
    {
        "create", "update", "patch", "set", "add", "remove", "start", "stop", "restart",
        "reset", "resize", "import", "invoke", "run", "send-command", "reboot", "restore",
        "enable", "disable", "attach", "detach", "apply", "scale", "promote", "push",
        "modify", "put", "associate", "disassociate", "register", "execute", "replace",
        "cancel", "copy", "tag", "rotate", "ssh", "connect",
    }
)  # fmt: skip
_BACKUPS = ("snapshot", "backup")
# Reading a table or a dataset out in bulk: a dump, as `pg_dump` is.
_DATA_READS = (
    ("dynamodb", "scan"),
    ("dynamodb", "export-table-to-point-in-time"),
    ("bq", "extract"),
    ("sql", "export"),
    ("firestore", "export"),
    ("rds-data", "execute-statement"),
    ("cosmosdb", "sql", "query"),
)


def _changes(inv: Invocation, words: list[str]) -> Iterator[Effect]:
    """Any other mutating call: no class of its own but `cloud-change`, and its environment."""
    if words[0] in ("config", "configure", "auth", "login", "logout", "init", "components"):
        return  # the CLI's own settings
    verbs = [w.split("-", 1)[0] if inv.name == "aws" else w for w in words[1:4]]
    if set(verbs) & _MUTATING and not any(b in w for w in words for b in _BACKUPS):
        yield resource("apply", " ".join(words[:4]), {"cloud-change"}, inv)


# Machines started by the dozen, or accelerators by the handful: what a mining or cracking
# job launches (billed by the hour); a fleet's usual size changes one service at a time.
_ACCELERATED = re.compile(
    r"^(p\d|g\d|trn\d|inf\d|dl\d)\w*\.|^a2-|^a3-|^g2-|^(standard_)?n[cdv]\d", re.I
)
_MANY, _MANY_ACCELERATED = 50, 8
# How many run now (a group's maximum size is a ceiling, not a launch).
_COUNTS = ("--count", "--desired-capacity", "--nodes", "--num-nodes", "--replicas",
           "--instance-count", "--node-count", "--min-count")  # fmt: skip
_NUMBER = re.compile(r"\d{1,9}")


def _mass_compute(inv: Invocation, words: list[str]) -> Effect | None:
    """`aws ec2 run-instances --instance-type p5.48xlarge --count 64`, an autoscaling group or
    node pool set to hundreds: compute started in bulk."""
    # `--count 64`, `--count 8:64` (a minimum and a maximum): the largest number named
    counts = [int(n) for v in values(inv.argv, *_COUNTS) for n in _NUMBER.findall(v)]
    if not counts or not {
        "run-instances",
        "update-auto-scaling-group",
        "create-auto-scaling-group",
        "resize",
        "create",
        "scale",
        "update-nodegroup-config",
    } & set(words):
        return None  # fmt: skip
    kinds = values(inv.argv, "--instance-type", "--machine-type", "--node-vm-size", "--size")
    accelerated = any(_ACCELERATED.search(k) for k in kinds) or has(inv.argv, "--accelerator")
    if max(counts) >= (_MANY_ACCELERATED if accelerated else _MANY):
        what = f"{max(counts)} machines" + (f" of {kinds[0]}" if kinds else "")
        return resource("apply", what[:120], {"mass-compute"}, inv)
    return None


def _dump(inv: Invocation, words: list[str], classify: Classify) -> Effect | None:
    chain = [inv.name, *words]
    for want in _DATA_READS:
        k = 0
        for w in chain:
            if k < len(want) and w == want[k]:
                k += 1
        if k == len(want):
            return Effect("read", "$DATABASE", classify("$DATABASE"), inv.name, inv.privileged)
    return None


def effects(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    """What a cloud CLI destroys, deploys, grants, exposes or reveals."""
    words = _words(inv)
    if asks_nothing(inv.argv, ("--dryrun", "--what-if")):
        return
    if inv.name == "vercel" and (not words or words[0] == "deploy" or "/" in words[0]):
        prod = {"production"} if has(inv.argv, "--prod", "--production") else set()
        yield resource("apply", "a deployment", {"deploy"} | prod, inv)  # `vercel` deploys
        return
    if not words:
        return
    if words[0] in ("run", "ssh", "console") and inv.name in _PLATFORMS:
        # `heroku run rails db:migrate -a shop-prod`: a command inside the running app.
        yield resource("apply", " ".join(words[:4]), {"remote-exec"}, inv)
        return
    found = list(cloud_access.effects(inv, words, classify))
    if not found and (burst := _mass_compute(inv, words)) is not None:
        found.append(burst)
    if not found:
        found = list(_destroys(inv, words))
    if not found:
        found = list(_applies(inv, words))
    if not found:
        found = list(_changes(inv, words))
    dump = _dump(inv, words, classify)
    if dump is not None:
        found.append(dump)
    yield from found


FAMILY: Family = Family(
    name="cloud",
    commands=CLIS,
    effects=effects,
    examples=(
        Example("aws ec2 terminate-instances --instance-ids i-0abc123", has=("destroy:instance",)),
        Example(
            "aws rds delete-db-instance --db-instance-identifier prod-main --skip-final-snapshot",
            has=("destroy:database", "destroy:production"),
        ),
        Example("aws s3 rb s3://customer-uploads --force", has=("destroy:bucket",)),
        Example("aws s3 rm s3://acme-prod-backups --recursive", has=("destroy:production",)),
        Example("aws s3 rm s3://ci-cache/build-42/ --recursive", has=("destroy:scratch",)),
        Example("aws s3 rm s3://b/one-file.txt", lacks=("destroy",)),
        Example("aws s3 sync ./empty s3://acme-www --delete", has=("destroy:bucket",)),
        Example("aws s3 sync ./dist s3://acme-www --delete", lacks=("destroy",)),
        Example(
            "aws kms schedule-key-deletion --key-id k --pending-window-in-days 7",
            has=("destroy:secret",),
        ),
        Example("aws dynamodb delete-table --table-name Orders-prod", has=("destroy:database",)),
        Example("aws s3 ls s3://acme-prod-backups", lacks=("destroy", "apply")),
        Example(
            "aws ec2 modify-snapshot-attribute --snapshot-id snap-1 --attribute"
            " createVolumePermission --operation-type add --group-names all",
            has=("publish:public",),
        ),
        Example(
            "aws ec2 modify-snapshot-attribute --snapshot-id snap-1 --attribute"
            " createVolumePermission --operation-type add --user-ids 123456789012",
            lacks=("publish",),
        ),
        Example("gcloud projects delete acme-prod --quiet", has=("destroy:namespace",)),
        Example("gcloud sql instances delete prod-pg --quiet", has=("destroy:database",)),
        Example("gcloud container clusters delete main --quiet", has=("destroy:cluster",)),
        Example("gcloud compute instances list", lacks=("destroy",)),
        Example("gsutil -m rm -r gs://acme-exports", has=("destroy:bucket",)),
        Example("rclone purge gdrive:", has=("destroy:bucket",)),
        Example("rclone delete b2:acme-backups --min-age 0 --rmdirs", has=("destroy:bucket",)),
        Example("rclone sync /tmp/empty onedrive:Photos", has=("destroy:bucket",)),
        Example("rclone sync ./site r2:www --progress", lacks=("destroy",)),
        Example("rclone delete gdrive:tmp --dry-run", lacks=("destroy",)),
        Example("rclone copy gdrive:reports ./reports", lacks=("destroy",)),
        Example("mc rm --recursive --force minio/acme-exports", has=("destroy:bucket",)),
        Example("mc rm minio/acme-exports/one.csv", lacks=("destroy",)),
        Example("gcloud storage rm --recursive gs://acme-exports", has=("destroy:bucket",)),
        Example(
            "gcloud storage buckets add-iam-policy-binding gs://b --member=allUsers"
            " --role=roles/storage.objectViewer",
            has=("publish:public",),
            lacks=("privilege",),
        ),
        Example(
            "az storage account update -n acct --allow-blob-public-access true",
            has=("publish:public",),
        ),
        Example("gcloud storage rm gs://acme-exports/one.csv", lacks=("destroy",)),
        Example(
            "aws s3api delete-objects --bucket b --delete file://k.json", has=("destroy:bucket",)
        ),
        Example("bq rm -r -f -d acme-prod:warehouse", has=("destroy:database",)),
        Example("az group delete --name rg-production --yes", has=("destroy:stack",)),
        Example("doctl compute droplet delete web-1 --force", has=("destroy:instance",)),
        Example("doctl databases delete 9cc10173 --force", has=("destroy:database",)),
        Example(
            "heroku apps:destroy --app acme-prod --confirm acme-prod",
            has=("destroy:instance", "destroy:production"),
        ),
        Example(
            "oci os bucket delete --bucket-name finance --empty --force", has=("destroy:bucket",)
        ),
        Example("hcloud server delete web-3", has=("destroy:instance",)),
        Example(
            "gcloud logging sinks delete audit-to-bq --quiet",
            has=("stop:logging",),
            lacks=("destroy",),
        ),
        Example("aws cloudtrail stop-logging --name main", has=("stop:logging",)),
        Example(
            "az monitor diagnostic-settings delete --name to-sentinel --resource r",
            has=("stop:logging",),
        ),
        Example("aws guardduty delete-detector --detector-id 12abc", has=("stop:security",)),
        Example("aws securityhub disable-security-hub", has=("stop:security",)),
        Example("aws cloudtrail describe-trails", lacks=("stop",)),
        # Any destroying verb destroys some resource: a known kind, else `resource`.
        Example("aws iam delete-role --role-name prod-deploy-role", has=("destroy:identity",)),
        Example(
            "gcloud iam service-accounts delete ci@acme.iam.gserviceaccount.com",
            has=("destroy:identity",),
        ),
        Example("az ad sp delete --id 0000-1111", has=("destroy:identity",)),
        Example("aws iam delete-group --group-name deployers", has=("destroy:identity",)),
        Example("aws ec2 delete-security-group --group-id sg-1", lacks=("destroy:identity",)),
        Example("aws sqs delete-queue --queue-url https://sqs/q/orders", has=("destroy:resource",)),
        Example("gcloud pubsub topics delete orders --quiet", has=("destroy:resource",)),
        Example("gcloud compute ssl-policies delete old-policy", has=("destroy:resource",)),
        Example(
            "aws sqs delete-message --queue-url q --receipt-handle h",
            has=("destroy:object",),
            lacks=("destroy:resource",),
        ),
        Example("aws ec2 delete-tags --resources i-1 --tags Key=x", lacks=("destroy:resource",)),
        Example("fly volumes destroy vol_123", has=("destroy:volume",)),
        Example("vercel remove my-app --yes", has=("destroy:release",)),
        Example("fly deploy --app acme-prod", has=("apply:deploy", "apply:production")),
        Example("vercel deploy --prod", has=("apply:production",)),
        Example("vercel --prod", has=("apply:production",)),
        Example("vercel env ls", lacks=("apply",)),
        Example(
            "heroku run rails db:migrate -a acme-prod",
            has=("apply:remote-exec", "apply:production"),
        ),
        Example(
            "az storage blob delete-batch --source exports --account-name acme",
            has=("destroy:bucket",),
        ),
        Example(
            "aws route53 change-resource-record-sets --hosted-zone-id Z1 --change-batch f",
            has=("apply:dns",),
        ),
        Example(
            "aws rds modify-db-instance --db-instance-identifier prod-main --apply-immediately",
            has=("apply:failover",),
        ),
        Example(
            "aws ecs update-service --service api --desired-count 0", has=("apply:scale-to-zero",)
        ),
        Example("heroku ps:scale web=0 -a shop", has=("apply:scale-to-zero",)),
        Example("aws s3 cp dist/ s3://acme-static-staging/ --recursive", has=("apply:deploy",)),
        Example(
            "aws rds delete-db-instance --db-instance-identifier prod-main --dry-run",
            lacks=("destroy",),
        ),
        Example(
            "aws lambda invoke --function-name prod-report out.json",
            has=("apply:cloud-change", "apply:production"),
        ),
        Example(
            "aws rds create-db-snapshot --db-instance-identifier prod-orders", lacks=("apply",)
        ),
        Example("gcloud config set project acme-prod", lacks=("apply",)),
        Example("aws ec2 describe-instances --filters Name=tag:env,Values=prod", lacks=("apply",)),
        Example("aws dynamodb scan --table-name Customers-prod", has=("read:database-dump",)),
        Example(
            "aws ec2 run-instances --image-id ami-1 --instance-type p5.48xlarge --count 64",
            has=("apply:mass-compute",),
        ),
        Example(
            "aws ec2 run-instances --image-id ami-1 --instance-type t3.micro --count 2",
            lacks=("apply:mass-compute",),
        ),
        Example(
            "aws lambda add-permission --function-name f --statement-id p --action "
            "lambda:InvokeFunction --principal '*'",
            has=("publish:public",),
        ),
        Example(
            "aws lambda add-permission --function-name f --statement-id p --action "
            "lambda:InvokeFunction --principal s3.amazonaws.com",
            lacks=("publish",),
        ),
        Example(
            "az keyvault set-policy --name kv-live --upn a@acme.io --secret-permissions all",
            has=("privilege:cluster-admin",),
        ),
        Example(
            "az keyvault set-policy --name kv --upn a@acme.io --secret-permissions get list",
            lacks=("privilege",),
        ),
        Example(
            "aws organizations detach-policy --policy-id p-1 --target-id r-1",
            has=("stop:security",),
        ),
        Example(
            "gcloud org-policies reset constraints/iam.disableServiceAccountKeyCreation "
            "--organization=4012",
            has=("stop:security",),
        ),
        Example(
            "aws logs put-retention-policy --log-group-name /aws/cloudtrail/org "
            "--retention-in-days 1",
            has=("stop:logging",),
        ),
        Example(
            "aws logs put-retention-policy --log-group-name /aws/lambda/api-dev "
            "--retention-in-days 1",
            lacks=("stop",),
        ),
    ),
)
