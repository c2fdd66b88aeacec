"""The operator's credential for commands that change governance (`magistrate approvals
approve|deny|lift-suspension`, `magistrate keys create|revoke`).

Such a command is also something an agent could run from its shell: so it proves who runs it
with an API key, never with a name given on the command line or in an environment variable
(`--by alice` and `MAGISTRATE_APPROVERS=alice` are things an agent can type). The key comes
from `--key-file PATH`, else `MAGISTRATE_KEY`, else a hidden prompt when a person is at a
terminal; the acting name is the key's own.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path

from magistrate.errors import MagistrateError
from magistrate.keys import ApiKey, Keys, Role

KEY_ENV = "MAGISTRATE_KEY"


class CredentialError(MagistrateError):
    """No key, an invalid or revoked one, or one whose role may not do this."""


def read_token(
    key_file: Path | None,
    prompt: str = "API key: ",
    *,
    interactive: Callable[[], bool] = lambda: sys.stdin.isatty(),
) -> str | None:
    """The key from `key_file`, else `MAGISTRATE_KEY`, else asked for (hidden) at a terminal;
    None when there is none."""
    if key_file is not None:
        try:
            return key_file.read_text(encoding="utf-8").strip() or None
        except (OSError, UnicodeDecodeError) as exc:
            raise CredentialError(f"--key-file: cannot read {key_file}: {exc}") from None
    token = os.environ.get(KEY_ENV, "").strip()
    if token:
        return token
    if interactive():
        return getpass.getpass(prompt).strip() or None
    return None


def operator_key(keys: Keys, key_file: Path | None, roles: tuple[Role, ...], doing: str) -> ApiKey:
    """The active key of one of `roles` that the operator presents; CredentialError naming
    what is missing otherwise."""
    needed = " or ".join(roles)
    token = read_token(key_file, f"{needed} key for {doing}: ")
    if token is None:
        raise CredentialError(
            f"{doing} needs an {needed} key: set {KEY_ENV}, pass --key-file PATH, or run it "
            "at a terminal to be asked for it"
        )
    key = keys.authenticate(token)
    if key is None:
        raise CredentialError("invalid or revoked API key")
    if key.role not in roles:
        raise CredentialError(
            f"key {key.name!r} has role {key.role}; {doing} needs an {needed} key"
        )
    return key
