"""Programs that run a command inside an environment they set up: `poetry run CMD`,
`bundle exec CMD`, `uv run CMD`, `conda run -n ENV CMD`, `op run -- CMD`,
`aws-vault exec PROFILE -- CMD`, `direnv exec DIR CMD`, `nix-shell --run 'CMD'`…

What runs is the command: the shell analysis reads it as if it had been typed alone, with the
runner in its `via` (`poetry run rm -rf /` deletes `/`). Knowledge as data: each runner's
subcommand words, the options of its that take a value, and how many words (a profile, a
folder) stand between them and the command; a `--` always ends the runner's own words.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Runner:
    """How one program runs a command: `subcommands` (word sequences; `()` for none), its
    valued options, the positional words before the command, and the options whose value is
    a whole command line."""

    subcommands: tuple[tuple[str, ...], ...]
    valued: frozenset[str] = frozenset()
    positional: int = 0
    command_options: frozenset[str] = frozenset()


_CONDA = Runner((("run",),), frozenset({"-n", "--name", "-p", "--prefix", "--cwd"}))
RUNNERS: dict[str, Runner] = {
    # Python project and environment managers
    "poetry": Runner((("run",),), frozenset({"-C", "--directory", "-P", "--project"})),
    "pipenv": Runner((("run",),)),
    "pdm": Runner((("run",),), frozenset({"-p", "--project"})),
    "hatch": Runner((("run",),), frozenset({"-e", "--env"})),
    "rye": Runner((("run",),)),
    "uv": Runner(
        (("run",), ("tool", "run")),
        frozenset(
            "--with --python -p --directory --project --package --extra --group --env-file"
            " --from --index --index-url".split()
        ),
    ),
    "pixi": Runner((("run",), ("exec",)), frozenset({"-e", "--environment", "--manifest-path"})),
    "conda": _CONDA,
    "mamba": _CONDA,
    "micromamba": _CONDA,
    # Ruby and JavaScript
    "bundle": Runner((("exec",),), frozenset({"--gemfile"})),
    "npm": Runner(
        (("exec",), ("x",)),
        frozenset({"--package", "-p", "-w", "--workspace"}),
        command_options=frozenset({"-c", "--call"}),
    ),
    "pnpm": Runner(
        (("exec",), ("dlx",), ("x",)),
        frozenset({"--filter", "-F", "-C", "--dir", "--package"}),
        command_options=frozenset({"-c", "--shell-mode"}),
    ),
    "yarn": Runner((("exec",), ("dlx",)), frozenset({"-p", "--package"})),
    "bun": Runner((("x",),)),
    "bunx": Runner(((),), frozenset({"-p", "--package"})),
    # tool-version managers and dev shells
    "mise": Runner((("exec",), ("x",)), frozenset({"-C", "--cd"})),
    "asdf": Runner((("exec",),)),
    "direnv": Runner((("exec",),), positional=1),
    "devbox": Runner((("run",),)),
    "nix-shell": Runner(((),), command_options=frozenset({"--run", "--command"})),
    "nix": Runner((("develop",), ("shell",)), command_options=frozenset({"-c", "--command"})),
    "scl": Runner((("enable",),), positional=1),
    # secret injectors: the command runs with the secrets in its environment
    "op": Runner((("run",),), frozenset({"--env-file", "--account"})),
    "doppler": Runner(
        (("run",),),
        frozenset({"-p", "--project", "-c", "--config"}),
        command_options=frozenset({"--command"}),
    ),
    "aws-vault": Runner((("exec",),), frozenset({"--duration", "-d", "--region"}), positional=1),
    "infisical": Runner((("run",),), frozenset({"--env", "--path", "--projectId"})),
    "dotenvx": Runner((("run",),), frozenset({"-f", "--env-file"})),
    "dotenv": Runner((("run",), ()), frozenset({"-e", "-v", "-f", "--file"})),
    "env-cmd": Runner(((),), frozenset({"-f", "--file", "-e", "--environments"})),
    "cross-env": Runner(((),)),
}


def runner_command(name: str, argv: list[str], i: int) -> int | str | None:
    """Where, in `argv` (the runner at `i`), the command it runs starts; the command line when
    an option carries it whole (`nix-shell --run 'CMD'`); None when this is not a run."""
    runner = RUNNERS.get(name)
    if runner is None:
        return None
    j = i + 1
    while j < len(argv) and argv[j].startswith("-") and argv[j] not in runner.command_options:
        j += 2 if argv[j] in runner.valued else 1  # global options before the subcommand
    for words in runner.subcommands:
        if tuple(a.lower() for a in argv[j : j + len(words)]) == words:
            j += len(words)
            break
    else:
        return None  # `poetry install`, `npm run build`: no command of the caller's runs
    if "--" in argv[j:]:
        end = argv.index("--", j)
        for k in range(j, end):
            if argv[k] in runner.command_options and k + 1 < end:
                return argv[k + 1]
        return end + 1 if end + 1 < len(argv) else None
    positional = runner.positional
    while j < len(argv):
        word = argv[j]
        if word in runner.command_options:
            return argv[j + 1] if j + 1 < len(argv) else None
        if word.startswith("-"):
            j += 2 if word in runner.valued else 1
        elif "=" in word and name == "cross-env":
            j += 1  # `cross-env NODE_ENV=test CMD`: assignments, then the command
        elif positional:
            positional -= 1
            j += 1
        else:
            return j
    return None
