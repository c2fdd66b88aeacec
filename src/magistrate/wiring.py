"""Settings into a governor's parts: the constitution, stores, audit log, approvals, Sofia and
telemetry that `Governor.from_settings` is built from."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from magistrate.approvals import Approvals
from magistrate.audit.keyring import audit_log_from_settings
from magistrate.audit.log import AuditLog
from magistrate.constitution import LoadedConstitution, default_constitution, load_constitution
from magistrate.db import open_database
from magistrate.sofia import LLMSettings, Sofia
from magistrate.sofia_policy import ReadPolicy
from magistrate.state_stores import state_stores
from magistrate.telemetry import Telemetry
from magistrate.wakeups import PostgresWakeups

if TYPE_CHECKING:
    from magistrate.config import Settings
    from magistrate.db.base import Database


def governor_parts(
    settings: Settings | None, overridden: Iterable[str]
) -> tuple[LoadedConstitution, dict[str, Any]]:
    """The constitution and the keyword options of a governor configured from settings; the
    names in `overridden` are given by the caller (their stores are not opened here)."""
    from magistrate.config import Settings

    s = settings or Settings()
    constitution = (
        load_constitution(s.constitution) if s.constitution is not None else default_constitution()
    )
    audit: AuditLog | None = None
    approvals: Approvals | None = None
    db: Database | None = None
    if s.audit:
        db = open_database(
            s.database_url,
            durable=s.audit_durability == "sync",
            breaker_s=s.store_breaker_s,
        )
        audit = audit_log_from_settings(db, s)
        wakeups = (
            PostgresWakeups(s.database_url)
            if s.database_url.startswith(("postgresql:", "postgres:"))
            else None
        )
        # no name-based approvers from settings: an agent can set environment variables;
        # approvers prove themselves with keys (issue 12)
        approvals = Approvals(
            db,
            ttl_s=s.approval_ttl_s,
            audit=audit,
            wakeups=wakeups,
            poll_s=s.approval_poll_s,
        )
    shared = state_stores(s, db, overridden)
    llm = (
        LLMSettings(s.llm_base_url, s.llm_model, s.llm_api_key or "not-needed")
        if s.llm_base_url
        else None
    )
    options: dict[str, Any] = {
        "mode": s.mode,
        "enabled": s.governance,
        "cache_size": s.cache_size,
        "trusted_values": s.trusted_values,
        "on_error": s.on_error,
        "principal_roles": s.principal_roles,
        "default_role": s.default_role,
        "audit": audit,
        "approvals": approvals,
        "telemetry": Telemetry.from_settings(s),
        "sofia": Sofia(
            constitution,
            llm,
            budget_s=s.sofia_budget_s,
            fallback=s.sofia_fallback,
            cache_ttl_s=s.sofia_cache_ttl_s,
            max_concurrency=s.sofia_concurrency,
            policy=ReadPolicy.from_settings(
                s.sofia_read_kinds,
                s.sofia_read_facts,
                s.sofia_read_effects,
                s.sofia_read_tool_words,
                s.sofia_read_outputs,
                s.sofia_read_unsure,
                s.sofia_routine_programs,
                s.sofia_read_unknown_programs,
            ),
            structured=s.sofia_structured,
        ),
        **shared,
    }
    return constitution, options
