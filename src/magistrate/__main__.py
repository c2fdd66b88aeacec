"""`python -m magistrate` and the `magistrate` script: the CLI. `hook claude-code`, which runs
on every tool use of a coding agent, is answered before the CLI framework is imported."""

from __future__ import annotations

import sys


def main() -> None:
    """Entry point: the hook's fast path, else the full command line."""
    from magistrate.integrations.hook_entry import main as hook_main

    code = hook_main(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from magistrate.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
