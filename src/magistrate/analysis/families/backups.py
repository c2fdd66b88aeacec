"""Backup and snapshot tools: what they delete (borg, restic, kopia, zfs, btrfs, lvremove).

A backup deleted is the last copy of data deleted: each deletion is a `delete` effect on the
repository, dataset or snapshot, with the class `data` besides the path's own classes, so the
rules on deleting data judge it whatever tool did it. Retention runs that keep a stated number
of snapshots (`borg prune --keep-daily 7`, `restic forget --keep-last 10`) are the routine
upkeep of a backup, and read as such (no effect).
"""

from __future__ import annotations

from collections.abc import Iterator

from magistrate.analysis.effects import Effect
from magistrate.analysis.families.base import Classify, Example, Family, asks_help
from magistrate.analysis.families.cli import split, values
from magistrate.analysis.invocation import Invocation

_DATA = frozenset({"data"})
_RESTIC_VALUED = frozenset({"-r", "--repo", "--password-file", "--host", "--tag", "--path"})
_BORG_VALUED = frozenset({"--glob-archives", "-a", "--prefix", "--remote-path"})


def _keeps(argv: list[str]) -> bool:
    """A retention policy: the run keeps a stated number of snapshots."""
    return any(a.startswith(("--keep-", "--keep=")) for a in argv)


def _delete(target: str, inv: Invocation, classify: Classify) -> Effect:
    """A backup, snapshot or dataset deleted: data, and whatever its path is besides."""
    path = target.split("::", 1)[0]  # borg's `repo::archive`
    return Effect("delete", target[:200], classify(path) | _DATA, inv.name, inv.privileged)


def _borg(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    operands, _ = split(inv.argv, _BORG_VALUED)
    if len(operands) < 1 or operands[0] not in ("delete", "prune", "rdelete"):
        return
    if operands[0] == "prune" and _keeps(inv.argv):
        return
    for target in operands[1:] or ["$BORG_REPO"]:
        yield _delete(target, inv, classify)


def _restic(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    operands, _ = split(inv.argv, _RESTIC_VALUED)
    # `prune` alone removes only what a `forget` already let go of
    if operands[:1] != ["forget"] or _keeps(inv.argv):
        return
    yield _delete((values(inv.argv, "-r", "--repo") or ["$RESTIC_REPOSITORY"])[0], inv, classify)


def _kopia(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    operands, _ = split(inv.argv)
    if operands[:2] in (["snapshot", "delete"], ["snapshot", "rm"], ["snapshots", "delete"]):
        yield _delete(" ".join(operands[2:]) or "snapshots", inv, classify)


def _zfs_btrfs_lvm(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    operands, _ = split(inv.argv)
    if inv.name in ("zfs", "zpool") and operands[:1] == ["destroy"]:
        targets = operands[1:]  # a dataset, or a whole pool and every dataset in it
    elif inv.name == "btrfs" and operands[:2] in (["subvolume", "delete"], ["sub", "del"]):
        targets = operands[2:]
    elif inv.name == "lvremove":
        targets = operands
    else:
        return
    for target in targets:
        # a dataset (`tank/data`) holds data; a snapshot (`tank/data@daily`) is its backup
        yield _delete(target, inv, classify)


_HANDLERS = {
    "borg": _borg,
    "borgbackup": _borg,
    "restic": _restic,
    "kopia": _kopia,
    "zfs": _zfs_btrfs_lvm,
    "zpool": _zfs_btrfs_lvm,
    "btrfs": _zfs_btrfs_lvm,
    "lvremove": _zfs_btrfs_lvm,
}


def effects(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    """What a backup or snapshot tool deletes."""
    if asks_help(inv):
        return
    yield from _HANDLERS[inv.name](inv, classify)


FAMILY: Family = Family(
    name="backups",
    commands=frozenset(_HANDLERS),
    effects=effects,
    examples=(
        Example("borg delete --force /mnt/backup/borg-repo", has=("delete:data",)),
        Example("borg delete /srv/borg::host-2026-11-30", has=("delete:data",)),
        Example("borg prune --keep-daily 7 --keep-weekly 4 /mnt/backup/repo", lacks=("delete",)),
        Example("borg list /mnt/backup/repo", lacks=("delete",)),
        Example("sudo zpool destroy -f tank", has=("delete:data",)),
        Example("zpool status tank", lacks=("delete",)),
        Example("restic -r s3:s3.amazonaws.com/acme-backups forget 4cb2a1f9", has=("delete:data",)),
        Example("restic forget --keep-last 10 --prune", lacks=("delete",)),
        Example("restic snapshots", lacks=("delete",)),
        Example("kopia snapshot delete k7e2f --delete", has=("delete:data",)),
        Example("zfs destroy -r tank/data", has=("delete:data",)),
        Example("zfs destroy tank/home@autosnap_2026-12-01", has=("delete:data",)),
        Example("zfs list -t snapshot", lacks=("delete",)),
        Example("btrfs subvolume delete /.snapshots/42/snapshot", has=("delete:data",)),
        Example("lvremove -f /dev/vg0/data", has=("delete:data",)),
    ),
)
