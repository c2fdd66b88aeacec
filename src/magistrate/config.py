"""Settings: `MAGISTRATE_*` environment variables, then `magistrate.toml`, then defaults."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from magistrate.db import DEFAULT_URL
from magistrate.justica import EnforcementMode


def config_file() -> Path:
    """The TOML file read for settings: `$MAGISTRATE_CONFIG`, else `./magistrate.toml`."""
    return Path(os.environ.get("MAGISTRATE_CONFIG", "magistrate.toml"))


class Settings(BaseSettings):
    """Everything configurable, with its default."""

    model_config = SettingsConfigDict(
        env_prefix="MAGISTRATE_", extra="ignore", validate_default=True, frozen=True
    )

    constitution: Path | None = Field(
        default=None, description="Constitution YAML file; the built-in one when unset."
    )
    mode: EnforcementMode = Field(
        default=EnforcementMode.COERCIVE, description="coercive, normative, adaptive or shadow."
    )
    governance: bool = Field(
        default=True, description="Set false to pass actions through, audited as ungoverned."
    )
    on_error: Literal["deny", "escalate"] = Field(
        default="deny", description="Decision when governance itself fails (never allow)."
    )
    cache_size: int = Field(default=65_536, ge=0, description="Risk-assessment cache entries.")
    approvers: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="No longer grants anything: approvers prove themselves with an approver or "
        "admin key (issue 12). Read so that older configurations still load.",
    )
    principal_roles: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description="The constitutional role each principal acts in: name or shell pattern = "
        "role, comma-separated (`agent:etl-*=reader,agent:ci=executor`). An action's own "
        "`role` may only narrow it. Once set, principals it does not name get default_role, "
        "else the constitution's least-privileged role.",
    )
    default_role: str | None = Field(
        default=None, description="The role of principals principal_roles does not name."
    )
    database_url: str = Field(
        default=DEFAULT_URL, description="sqlite:///path.db or postgresql://user@host/db."
    )
    audit: bool = Field(default=True, description="Keep the audit log (and approvals).")
    audit_durability: Literal["batched", "sync"] = Field(
        default="batched",
        description="batched: group commit within 10 ms; sync: committed "
        "before the verdict returns.",
    )
    audit_writer: Literal["thread", "process"] = Field(
        default="thread",
        description="thread: records are chained and written by a thread of this process; "
        "process: by a writer process of its own, off this process's GIL (long-running "
        "servers; a one-shot hook would wait for it to start).",
    )
    chain_id: str = Field(default="main", description="This writer's audit chain.")
    spool_dir: Path = Field(
        default=Path(".magistrate/spool"), description="Where records wait when the store is down."
    )
    approval_ttl_s: float = Field(default=900.0, gt=0, description="Approval expiry, seconds.")
    escalation: Literal["wait", "return"] = Field(
        default="wait",
        description="On escalate, integrations (MCP proxy, @governed) wait for a human up to "
        "approval_timeout_s and then deny (wait), or answer at once with the approval id (return).",
    )
    approval_timeout_s: float = Field(
        default=300.0, ge=0, description="How long integrations wait for an approval, seconds."
    )
    tracing: bool | None = Field(
        default=None, description="OpenTelemetry spans; default: on when OTEL_* asks for traces."
    )
    metrics: bool = Field(default=True, description="OpenTelemetry metrics and Prometheus text.")
    llm_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible endpoint for Sofia's System 2 "
        "(OpenAI, vLLM, Ollama, llama.cpp); unset: System 1 only.",
    )
    llm_model: str = Field(default="gpt-4o-mini", description="The model Sofia asks.")
    llm_api_key: str | None = Field(default=None, description="API key for the endpoint.")
    sofia_budget_s: float = Field(default=2.0, gt=0, description="Time budget for System 2.")
    sofia_fallback: Literal["escalate", "deny", "system1"] = Field(
        default="escalate",
        description="When System 2 fails, times out or answers malformed JSON for an action it "
        "was asked about: escalate (default), deny, or system1 (System 1's decision stands).",
    )
    sofia_cache_ttl_s: float = Field(default=3600.0, ge=0, description="Counsel cache TTL.")
    sofia_concurrency: int = Field(default=64, ge=1, description="LLM calls in flight at most.")
    sofia_structured: Literal["json_schema", "json_object", "none"] = Field(
        default="json_schema",
        description="How System 2 is asked for JSON: a JSON schema (vLLM, llama.cpp, Ollama, "
        "OpenAI), plain JSON mode, or none; an endpoint that rejects one is asked the next way.",
    )
    sofia_read_kinds: Annotated[list[str] | None, NoDecode] = Field(
        default=None, description="Action kinds System 2 always reads (default: prompt)."
    )
    sofia_read_facts: Annotated[list[str] | None, NoDecode] = Field(
        default=None,
        description="Facts that make System 2 read an action (default: outside-recipient, "
        "send-external, untrusted-target, data-transfer, data-exfiltration, code-exfiltration, "
        "exfiltration, personal-data-deletion).",
    )
    sofia_read_effects: Annotated[list[str] | None, NoDecode] = Field(
        default=None,
        description="Effects of a tool, HTTP or file call that make System 2 read it "
        "(default: send, delete, perm; deleting build output or temp files excepted).",
    )
    sofia_read_tool_words: Annotated[list[str] | None, NoDecode] = Field(
        default=None,
        description="Words of a tool's name that make System 2 read the call (default: pay, "
        "refund, purchase, grant, share, invite, publish…; not when the name only reads).",
    )
    sofia_read_outputs: bool = Field(
        default=True, description="System 2 reads tool output in which System 1 found anything."
    )
    sofia_read_unsure: bool = Field(
        default=True,
        description="System 2 reads what System 1 is unsure of: programs it does not "
        "recognise, analysis it could not finish.",
    )
    sofia_read_unknown_programs: Literal["outside-workspace", "all"] = Field(
        default="outside-workspace",
        description="Unknown programs System 2 reads: those whose arguments reach outside the "
        "workspace (privilege, absolute or home paths, remote URLs or addresses), or all.",
    )
    sofia_routine_programs: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="More programs System 1 treats as recognised (never read for being unknown).",
    )
    redis_url: str | None = Field(
        default=None,
        description="redis://host:6379/0: trust, suspensions and session history "
        "shared by every server; unset: in this process's memory.",
    )
    redis_prefix: str = Field(
        default="magistrate:", max_length=200, description="Prefix of every Redis key."
    )
    redis_timeout_s: float = Field(
        default=0.25, gt=0, description="Redis connect and read timeout (then fail closed)."
    )
    session_ttl_s: float = Field(
        default=86_400.0, gt=0, description="How long Redis keeps an idle session's history."
    )
    trust_half_life_s: float = Field(
        default=3600.0,
        gt=0,
        le=1e12,
        description="A principal's trust returns toward the baseline: its distance halves in "
        "this time (how long a penalty is remembered).",
    )
    trusted_values: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Values never suspect as data's (comma-separated): the organisation's own "
        "accounts, addresses, hosts (besides the constitution's organization.domains).",
    )
    host: str = Field(default="127.0.0.1", description="`magistrate serve`: address to bind.")
    port: int = Field(default=8080, ge=0, le=65535, description="`magistrate serve`: port.")
    workers: int = Field(default=1, ge=1, le=256, description="`magistrate serve`: processes.")
    max_body_bytes: int = Field(
        default=16 * 1024 * 1024, ge=1024, description="Largest request body accepted (413)."
    )
    max_batch: int = Field(
        default=10_000, ge=1, description="Most actions in one /v1/check/batch request."
    )
    max_wait_s: float = Field(
        default=300.0, gt=0, description="Longest approval long-poll (?wait=) accepted."
    )
    approval_poll_s: float = Field(
        default=1.0,
        gt=0,
        description="A long-poll re-reads its request at least this often "
        "(NOTIFY wakes it sooner).",
    )
    key_cache_s: float = Field(
        default=5.0,
        ge=0,
        description="How long a server trusts a key it has checked (a "
        "revocation reaches every server within this time).",
    )
    bootstrap_admin: bool = Field(
        default=True,
        description="`magistrate serve`: create and print an admin key when the "
        "database has no key at all.",
    )

    audit_sign: bool = Field(
        default=True,
        description="Sign audit records (HMAC-SHA256) with a key kept outside the database.",
    )
    audit_key: SecretStr | None = Field(
        default=None,
        description="The audit signing key (64 hex digits, or text of 16+ bytes); unset: "
        "audit_key_file.",
    )
    audit_previous_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Keys used before a rotation (comma-separated, as audit_key): records and "
        "anchors signed with them still verify.",
    )
    audit_key_file: Path | None = Field(
        default=None,
        description="The audit key file, created (mode 0600) on first use; default: audit.key "
        "beside a SQLite database, else .magistrate/audit.key.",
    )
    audit_signer: str | None = Field(
        default=None,
        description="KMS hook: module:callable returning a Signer (tag, mac); overrides the key.",
    )
    audit_anchor_dir: Path | None = Field(
        default=None,
        description="Where chain heads are checkpointed, apart from the database; default: "
        "anchor/ beside a SQLite database, else .magistrate/anchor.",
    )
    audit_anchor_sink: str | None = Field(
        default=None,
        description="module:callable receiving every checkpoint (dict), to ship it off the host.",
    )
    key_stale_s: float = Field(
        default=300.0,
        ge=0,
        description="While the database cannot be read, keys checked within this long keep "
        "working (stale-while-error); 0: fail at once.",
    )
    store_breaker_s: float = Field(
        default=2.0,
        ge=0,
        description="After a store (Redis, PostgreSQL) fails, skip it this long and fail closed "
        "at once instead of waiting on it for every request.",
    )
    suspension_refresh_s: float = Field(
        default=1.0,
        gt=0,
        description="How often each process re-reads suspensions from the database.",
    )

    @field_validator("principal_roles", mode="before")
    @classmethod
    def _pairs(cls, value: Any) -> Any:
        if isinstance(value, str):
            pairs = [p.strip() for p in value.split(",") if p.strip()]
            if any("=" not in p for p in pairs):
                raise ValueError("principal_roles: expected NAME=ROLE pairs, comma-separated")
            return {k.strip(): r.strip() for k, r in (p.rsplit("=", 1) for p in pairs)}
        return value

    @field_validator(
        "approvers",
        "audit_previous_keys",
        "trusted_values",
        "sofia_read_kinds",
        "sofia_read_facts",
        "sofia_read_effects",
        "sofia_read_tool_words",
        "sofia_routine_programs",
        mode="before",
    )
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [p.strip() for p in value.split(",") if p.strip()]
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then environment, then the TOML file."""
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=config_file()),
        )
