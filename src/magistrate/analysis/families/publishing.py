"""Publishing to package registries: npm, pnpm, yarn, bun, twine, cargo, gem, poetry, flit,
hatch, uv, mvn, gradle, dotnet/nuget.

A package once published is mirrored and installed by others: it cannot be recalled. `dotnet
publish` only builds into a folder; `--dry-run` publishes nothing. Images pushed to a registry
are the containers family's (`publish:image`); releases on a forge are version control's.
"""

from __future__ import annotations

from collections.abc import Iterator

from magistrate.analysis.effects import Effect
from magistrate.analysis.families.base import Classify, Example, Family, resource
from magistrate.analysis.families.cli import asks_nothing, split
from magistrate.analysis.invocation import Invocation

# program → the verb sequences that publish (the first operands, lower-cased).
PUBLISHERS: dict[str, tuple[tuple[str, ...], ...]] = {
    "npm": (("publish",),),
    "pnpm": (("publish",),),
    "yarn": (("publish",), ("npm", "publish")),
    "bun": (("publish",),),
    "twine": (("upload",),),
    "cargo": (("publish",),),
    "gem": (("push",),),
    "poetry": (("publish",),),
    "flit": (("publish",),),
    "hatch": (("publish",),),
    "uv": (("publish",),),
    "mvn": (("deploy",),),
    "gradle": (("publish",),),
    "gradlew": (("publish",),),
    "dotnet": (("nuget", "push"),),
    "nuget": (("push",),),
    "jf": (("rt", "upload"),),
    # browser and editor extension stores: what they publish reaches every user of it
    "vsce": (("publish",),),
    "ovsx": (("publish",),),
    "chrome-webstore-upload": (("publish",),),
    "chrome-webstore-upload-cli": (("publish",),),
}
# Uploads that publish only when told to (`chrome-webstore-upload upload --auto-publish`).
_PUBLISH_FLAGS = frozenset({"--auto-publish"})
# Options before the verb that take a value (short ones differ by program: `pnpm -r` is
# recursive, `twine -r` a repository, so only long ones are skipped).
_VALUED = frozenset({"--registry", "--tag", "--access", "--otp", "--repository", "--api-key",
                     "--source", "--token", "--workspace", "--filter"})  # fmt: skip


# program → the verb sequences that give an account the right to publish a package: whoever
# holds it can push a new version to everyone who installs it (`npm owner add NAME PKG`).
OWNER_GRANTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "npm": (("owner", "add"), ("access", "grant")),
    "pnpm": (("owner", "add"),),
    "yarn": (("npm", "owner", "add"),),
    "gem": (("owner", "--add"), ("owner", "-a")),
    "cargo": (("owner", "--add"), ("owner", "-a")),
}


# program → the verb sequences that take published versions or images back from a registry:
# whoever depends on them breaks (and npm never lets the same version be published again).
RETRACTORS: dict[str, tuple[tuple[str, ...], ...]] = {
    "npm": (("unpublish",),),
    "pnpm": (("unpublish",),),
    "yarn": (("npm", "unpublish"),),
    "cargo": (("yank",),),
    "gem": (("yank",),),
    "dotnet": (("nuget", "delete"),),
    "nuget": (("delete",),),
    "skopeo": (("delete",),),
    "crane": (("delete",),),
    "regctl": (("tag", "delete"), ("image", "delete"), ("manifest", "delete")),
}


# fastlane's actions that ship an app to its store's users, and the one that revokes the team's
# signing certificates (`match nuke`: every app signed with them stops installing).
_STORE_RELEASES = frozenset(
    {"deliver", "upload_to_app_store", "appstore", "supply", "upload_to_play_store"}
)


# A lane's options that send the build to review or release it (`fastlane ios release
# submit_for_review:true`): whatever the lane is called, it ships.
_SUBMITTING = frozenset({"submit_for_review:true", "automatic_release:true"})


def _fastlane(inv: Invocation) -> Iterator[Effect]:
    words = [w.lower() for w in split(inv.argv, frozenset())[0][:2]]
    if any(a.lower() in _SUBMITTING for a in inv.argv):  # a lane told to submit to the store
        yield resource("publish", f"fastlane {' '.join(words)}", {"release"}, inv)
    elif words[:2] == ["match", "nuke"]:
        yield resource("destroy", "fastlane match nuke: signing certificates", {"secret"}, inv)
    elif words[:1] and words[0] in _STORE_RELEASES:
        track = " ".join(inv.argv).lower()
        # A store upload kept from users (an internal track, metadata only) ships nothing.
        if words[0] in ("supply", "upload_to_play_store") and "production" not in track:
            return
        if words[0] not in ("supply", "upload_to_play_store") and not any(
            a.startswith(("--submit_for_review", "--automatic_release")) for a in inv.argv
        ):
            return
        yield resource("publish", f"fastlane {words[0]}", {"release"}, inv)


def effects(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    """A package uploaded to a registry, or a published one taken back."""
    if inv.name == "fastlane":
        yield from _fastlane(inv)
        return
    # `cargo yank --version 1.4.2`: there `--version` names what is yanked, it asks nothing.
    argv = [a for a in inv.argv if a not in ("--version", "--vers")]
    if asks_nothing(argv, ("-n", "--dryrun")):
        return
    words = [w.lower() for w in split(inv.argv, _VALUED)[0][:3]]
    argv_words = [a.lower() for a in inv.argv[:8]]
    for first, *rest in OWNER_GRANTS.get(inv.name, ()):
        # the subcommand first, its other words anywhere (`gem owner GEM --add EMAIL`)
        if argv_words[:1] == [first] and all(w in argv_words for w in rest):
            target = " ".join([inv.name, *inv.argv[:5]])
            yield resource("privilege", target, {"access-grant"}, inv)
            return
    for verbs in RETRACTORS.get(inv.name, ()):
        if tuple(words[: len(verbs)]) == verbs and "--undo" not in inv.argv:  # un-yanks
            target = " ".join([inv.name, *inv.operands[:4]])
            yield resource("destroy", target, {"release"}, inv)
            return
    wanted = PUBLISHERS.get(inv.name)
    if wanted is None or asks_nothing(inv.argv):
        return
    for verbs in wanted:
        if tuple(words[: len(verbs)]) == verbs or _PUBLISH_FLAGS & set(inv.argv):
            yield resource("publish", f"{inv.name} {' '.join(words)}", {"package"}, inv)
            return


FAMILY: Family = Family(
    name="publishing",
    commands=frozenset(PUBLISHERS) | frozenset(RETRACTORS) | frozenset(OWNER_GRANTS) | {"fastlane"},
    effects=effects,
    examples=(
        Example("npm publish --access public", has=("publish:package",)),
        Example("npm owner add quickfix-dev @acme/core", has=("privilege:access-grant",)),
        Example("gem owner acme_core --add ext@example.com", has=("privilege:access-grant",)),
        Example("gem owner acme_core", lacks=("privilege",)),
        Example("cargo owner --add github:acme:release acme-core", has=("privilege:access-grant",)),
        Example("npm owner ls @acme/core", lacks=("privilege",)),
        Example("cd packages/auth && pnpm publish --no-git-checks", has=("publish:package",)),
        Example("twine upload dist/*", has=("publish:package",)),
        Example("cargo publish", has=("publish:package",)),
        Example("gem push acme-1.0.0.gem", has=("publish:package",)),
        Example("dotnet nuget push out/Acme.1.0.0.nupkg -k $KEY", has=("publish:package",)),
        Example("yarn npm publish", has=("publish:package",)),
        Example("pnpm -r publish --access public", has=("publish:package",)),
        Example("npm unpublish @acme/ui-kit --force", has=("destroy:release",)),
        Example(
            "bundle exec fastlane deliver --submit_for_review --force", has=("publish:release",)
        ),
        Example("fastlane supply --track production --aab app.aab", has=("publish:release",)),
        Example("fastlane supply --track internal --aab app.aab", lacks=("publish",)),
        Example("fastlane match nuke distribution", has=("destroy:secret",)),
        Example(
            "bundle exec fastlane ios release submit_for_review:true", has=("publish:release",)
        ),
        Example("bundle exec fastlane ios beta", lacks=("publish",)),
        Example("vsce publish --pat $VSCE_PAT", has=("publish:package",)),
        Example("vsce package", lacks=("publish",)),
        Example(
            "chrome-webstore-upload upload --source ext.zip --auto-publish",
            has=("publish:package",),
        ),
        Example("chrome-webstore-upload upload --source ext.zip", lacks=("publish",)),
        Example("fastlane match appstore --readonly", lacks=("destroy",)),
        Example("cargo yank --version 1.4.2 acme-core", has=("destroy:release",)),
        Example("skopeo delete docker://registry.acme.io/api:v2.3.1", has=("destroy:release",)),
        Example("skopeo inspect docker://registry.acme.io/api:v2.3.1", lacks=("destroy",)),
        Example("cargo yank --version 1.4.2 --undo acme-core", lacks=("destroy",)),
        Example("npm publish --dry-run", lacks=("publish",)),
        Example("dotnet publish -c Release -o out", lacks=("publish",)),
        Example("npm install", lacks=("publish",)),
        Example("cargo build --release", lacks=("publish",)),
    ),
)
