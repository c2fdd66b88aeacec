"""Settings: `MAGISTRATE_*` environment variables, then `magistrate.toml`, then defaults."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

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
        default_factory=list, description="Principals allowed to approve (comma-separated)."
    )

    @field_validator("approvers", mode="before")
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
