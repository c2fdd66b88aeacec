"""The audit log's signer and anchors, as the settings configure them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from magistrate.audit.anchor import Anchors, AnchorSink
from magistrate.audit.log import AuditLog, Durability
from magistrate.audit.signing import (
    HmacSigner,
    Signer,
    default_key_file,
    key_from_text,
    load_hook,
    load_signer,
    store_id,
)
from magistrate.db.base import Database

if TYPE_CHECKING:
    from magistrate.config import Settings


def signer_from_settings(s: Settings, *, create: bool) -> Signer | None:
    """The configured signer; `create` makes the default key file on first use (writers do,
    `audit verify` does not). None when signing is off or, for readers, no key exists."""
    if not s.audit_sign:
        return None
    return load_signer(
        key_text=s.audit_key.get_secret_value() if s.audit_key is not None else None,
        key_file=s.audit_key_file or default_key_file(s.database_url),
        hook=s.audit_signer,
        create=create,
    )


def previous_signers(s: Settings) -> list[Signer]:
    """Signers of the keys used before a rotation (records they signed still verify)."""
    return [HmacSigner(key_from_text(k.get_secret_value())) for k in s.audit_previous_keys]


def anchors_from_settings(s: Settings, signer: Signer | None) -> Anchors | None:
    """The anchor files of the configured database; None for an in-memory database (it dies
    with the process: there is nothing to truncate or restore)."""
    url = s.database_url
    if url.startswith("sqlite:") and url.split(":", 1)[1].lstrip("/") in ("", ":memory:"):
        return None
    directory = s.audit_anchor_dir
    if directory is None:
        directory = default_key_file(url).parent / "anchor"
    sink: AnchorSink | None = None
    if s.audit_anchor_sink:
        made = load_hook(s.audit_anchor_sink)
        if not callable(made):
            raise ValueError(f"audit_anchor_sink {s.audit_anchor_sink!r} is not callable")
        sink = made
    return Anchors(Path(directory), store_id(url), signer, sink, previous_signers(s))


def audit_log_from_settings(
    db: Database, s: Settings, *, durability: Durability | None = None, chain_id: str | None = None
) -> AuditLog:
    """An audit log on `db` as configured: chain, durability, spool, signer and anchors (every
    writer of a signed database must sign, or its records read as a downgrade)."""
    signer = signer_from_settings(s, create=True)
    return AuditLog(
        db,
        chain_id=chain_id or s.chain_id,
        durability=durability or s.audit_durability,
        spool_dir=s.spool_dir,
        signer=signer,
        anchors=anchors_from_settings(s, signer),
        previous_signers=previous_signers(s),
        writer=s.audit_writer,
    )
