"""Service settings from the environment: every field has a safe default, loading never raises.

An invalid value (``APP_DEBUG=maybe``) does not crash the service: that field falls
back to its default, a warning is logged, and the field is reported as degraded on
``/health``. Settings are read when the app is built, never at import time.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Literal, overload

from pydantic import AliasChoices, Field, PrivateAttr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from .project import BUILD_TIMEOUT_SECONDS, ENV_PREFIX

logger = logging.getLogger(__name__)

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class ServiceSettings(BaseSettings):
    """Base of every settings class: the prefix, the .env file, the invalid-field record."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        populate_by_name=True,
    )

    _invalid_fields: tuple[str, ...] = PrivateAttr(default=())

    @property
    def invalid_fields(self) -> tuple[str, ...]:
        """Fields whose environment value was invalid and fell back to the default."""
        return self._invalid_fields


class Settings(ServiceSettings):
    """Every setting the service reads. Document new fields in `.env.example`."""

    debug: bool = Field(
        False, description="Show exception details in error responses (never in production)."
    )
    log_level: LogLevel = Field("INFO", description="Log level of the service's loggers.")
    docs_enabled: bool = Field(
        True, description="Serve the interactive API docs at /docs and /openapi.json."
    )
    cors_origins: str = Field(
        "",
        description="Allowed CORS origins, comma-separated or a JSON list; empty uses the generated fallback list.",
    )
    cors_origin_regex: str = Field(
        "",
        description="Regex of extra allowed origins, e.g. for preview deployments (empty: none).",
    )
    max_body_bytes: int = Field(
        4_500_000,
        ge=0,
        description="Largest request body accepted, in bytes (Vercel's limit is 4.5 MB).",
    )
    # The next three are read by api/index.py before any of this can be imported: it
    # applies the same ranges, and invalid values fall back to these defaults there too.
    build_retry_seconds: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="After the app failed to build, wait this long before trying again (read by api/index.py).",
    )
    build_timeout_seconds: float = Field(
        BUILD_TIMEOUT_SECONDS,
        gt=0,
        le=900,
        description="Longest a request waits for the app to be built (factory and lifespan startup) before a 503 (read by api/index.py).",
    )
    shutdown_timeout_seconds: float = Field(
        5.0,
        gt=0,
        le=60,
        description="Longest the app's lifespan shutdown may take to flush and close what it opened.",
    )
    cron_secret: str = Field(
        "",
        validation_alias=AliasChoices("CRON_SECRET"),
        description="Bearer token that protects the init function (Vercel cron convention); empty refuses all.",
    )


def _field_name(settings_class: type[BaseSettings], loc: str) -> str:
    """Map an error location (a field name or an alias such as CRON_SECRET) to the field."""
    for name, field in settings_class.model_fields.items():
        aliases = field.validation_alias
        if isinstance(aliases, AliasChoices) and loc in aliases.choices:
            return name
    return loc.lower()


def env_name(field: str, settings_class: type[BaseSettings] | None = None) -> str:
    """The environment variable that sets ``field`` (``<prefix>*`` for "all settings")."""
    fields = (settings_class or Settings).model_fields
    if field not in fields:
        return f"{ENV_PREFIX}*"
    aliases = fields[field].validation_alias
    if isinstance(aliases, AliasChoices):
        return str(aliases.choices[0])
    return f"{ENV_PREFIX}{field.upper()}"


@overload
def load_settings() -> Settings: ...
@overload
def load_settings[S: ServiceSettings](settings_class: type[S]) -> S: ...
def load_settings(settings_class: type[ServiceSettings] | None = None) -> ServiceSettings:
    """Build settings from the environment; invalid fields fall back to their defaults.

    Works for any ``ServiceSettings`` subclass, so a feature can keep its own
    settings class (e.g. the audit log) with the same never-raise guarantee.
    """
    cls: type[Any] = settings_class or Settings
    try:
        settings: ServiceSettings = cls()
    except ValidationError as exc:
        invalid = sorted(
            {_field_name(cls, str(error["loc"][0])) for error in exc.errors() if error["loc"]}
        )
    except Exception:
        # A source that cannot be parsed at all (e.g. a broken .env file): all defaults.
        logger.warning("SETTINGS_INVALID all settings fell back to defaults", exc_info=True)
        settings = cls.model_construct()
        settings._invalid_fields = ("settings",)
        return settings
    else:
        return settings
    for name in invalid:
        logger.warning(
            "SETTINGS_INVALID %s is invalid and fell back to its default", env_name(name, cls)
        )
    overrides = {
        name: cls.model_fields[name].get_default(call_default_factory=True)
        for name in invalid
        if name in cls.model_fields
    }
    try:
        settings = cls(**overrides)
    except ValidationError:
        settings = cls.model_construct()
    settings._invalid_fields = tuple(invalid)
    return settings


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, loaded on first use. Tests call `get_settings.cache_clear()`."""
    return load_settings()
