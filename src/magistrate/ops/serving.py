"""`magistrate serve`: bind the port first, then create the first-start admin key, then serve.

The one-time admin key is printed only once; creating it before knowing the server can start
(a busy port) would print a key for a server that never ran, and the next successful start
would print none. So the socket is bound before the key is made, and handed to uvicorn.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

ADMIN_HINT = "magistrate keys create --role admin --name <you>"


def bootstrap_admin(database_url: str, say: Callable[[str], None]) -> None:
    """On the first start (no key in the database), create an admin key and print it; on a
    later start, say how to make a key (the first one was shown only once)."""
    from magistrate.db import open_database
    from magistrate.keys import Keys

    try:
        db = open_database(database_url)
    except Exception as exc:  # the server reports an unreachable store itself (readyz)
        say(f"could not check for API keys: {exc}")
        return
    try:
        created = Keys(db).bootstrap_admin()
    except Exception as exc:
        say(f"could not check for API keys: {exc}")
        return
    finally:
        db.close()
    if created is None:
        say(
            "API keys already exist (the first admin key was shown on the first start). "
            f"Another is made with an admin key: MAGISTRATE_KEY=<admin key> {ADMIN_HINT}"
        )
        return
    key, token = created
    say(f"First start: created admin key {key.id} (name {key.name!r}). It is shown only now:")
    say(f"  {token}")
    say("Sign in to the dashboard with it; create more with `magistrate keys create`.")


def no_bootstrap_hint(say: Callable[[str], None]) -> None:
    """What a start with MAGISTRATE_BOOTSTRAP_ADMIN=false says about keys."""
    say(
        "No admin key is created (MAGISTRATE_BOOTSTRAP_ADMIN=false); the first key of an empty "
        f"store is made with: {ADMIN_HINT}"
    )


def _protocol() -> Any:
    """uvicorn's httptools protocol sending each response in one write, when httptools is
    installed (else uvicorn's choice)."""
    try:
        from magistrate.server.protocol import CoalescingHttpTools
    except ImportError:
        return "auto"
    return CoalescingHttpTools


def run(
    settings: Any,
    *,
    host: str,
    port: int,
    workers: int,
    log_level: str,
    say: Callable[[str], None],
) -> int:
    """Bind, bootstrap the admin key, print the URL, then serve until stopped; the exit
    status (1 when the port cannot be bound)."""
    import logging
    import os

    import uvicorn
    from uvicorn.config import LOG_LEVELS
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        "magistrate.server.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        http=_protocol(),
        # Above info no access line is printed: skip building one per request
        access_log=LOG_LEVELS.get(log_level.lower(), logging.INFO) <= logging.INFO,
        timeout_graceful_shutdown=5,
        proxy_headers=True,
        server_header=False,
    )
    try:
        sock = config.bind_socket()
    except SystemExit:  # uvicorn logged why (address in use, permission)
        say(f"could not bind {host}:{port}; nothing was started and no key was created")
        return 1
    if settings.bootstrap_admin:
        bootstrap_admin(settings.database_url, say)
    else:
        no_bootstrap_hint(say)
    if "audit_writer" not in settings.model_fields_set:
        # A long-running server writes its audit log from a process of its own (chaining,
        # signing and inserts off the checking GIL); workers read their settings from here.
        os.environ["MAGISTRATE_AUDIT_WRITER"] = "process"
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    shown = f"[{shown}]" if ":" in shown else shown
    say(
        f"Magistrate server: http://{shown}:{port}/  ({workers} worker(s); API at /v1, "
        "interactive docs at /docs, spec at /openapi.json)"
    )
    sys.stdout.flush()
    try:
        if workers > 1:
            Multiprocess(config, sockets=[sock]).run()
        else:
            server = uvicorn.Server(config)
            server.run(sockets=[sock])
            if not server.started:
                return 3
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0
