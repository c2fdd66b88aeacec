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
}
# Options before the verb that take a value (short ones differ by program: `pnpm -r` is
# recursive, `twine -r` a repository, so only long ones are skipped).
_VALUED = frozenset({"--registry", "--tag", "--access", "--otp", "--repository", "--api-key",
                     "--source", "--token", "--workspace", "--filter"})  # fmt: skip


def effects(inv: Invocation, classify: Classify) -> Iterator[Effect]:
    """A package uploaded to a registry."""
    wanted = PUBLISHERS.get(inv.name)
    if wanted is None or asks_nothing(inv.argv, ("-n", "--dryrun")):
        return
    words = [w.lower() for w in split(inv.argv, _VALUED)[0][:3]]
    for verbs in wanted:
        if tuple(words[: len(verbs)]) == verbs:
            yield resource("publish", f"{inv.name} {' '.join(words)}", {"package"}, inv)
            return


FAMILY: Family = Family(
    name="publishing",
    commands=frozenset(PUBLISHERS),
    effects=effects,
    examples=(
        Example("npm publish --access public", has=("publish:package",)),
        Example("cd packages/auth && pnpm publish --no-git-checks", has=("publish:package",)),
        Example("twine upload dist/*", has=("publish:package",)),
        Example("cargo publish", has=("publish:package",)),
        Example("gem push acme-1.0.0.gem", has=("publish:package",)),
        Example("dotnet nuget push out/Acme.1.0.0.nupkg -k $KEY", has=("publish:package",)),
        Example("yarn npm publish", has=("publish:package",)),
        Example("pnpm -r publish --access public", has=("publish:package",)),
        Example("npm publish --dry-run", lacks=("publish",)),
        Example("dotnet publish -c Release -o out", lacks=("publish",)),
        Example("npm install", lacks=("publish",)),
        Example("cargo build --release", lacks=("publish",)),
    ),
)
