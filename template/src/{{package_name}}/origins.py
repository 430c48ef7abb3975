"""The origins allowed to call this service from a browser (CORS and CSRF both ask).

Built when the app is built (once per build, shared by both middleware) and
defensively: an unset, empty or broken ``<prefix>CORS_ORIGINS`` never empties the
list; invalid entries are dropped one by one with a warning, and when none is left
the fallback origins baked in at generation time are used. ``*`` is never allowed:
the service sends credentials.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .project import ENV_PREFIX, FALLBACK_CORS_ORIGINS

if TYPE_CHECKING:
    from .settings import Settings
    from .state import ServiceState

logger = logging.getLogger(__name__)

# scheme://host[:port]: lower-case DNS name or IPv4, or a bracketed IPv6; no path.
_ORIGIN = re.compile(
    r"https?://(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])"
    r"(?::[0-9]{1,5})?"
)


def is_valid_origin(origin: str) -> bool:
    return _ORIGIN.fullmatch(origin) is not None


def parse_origins(raw: str) -> list[str]:
    """Split a JSON list or a comma-separated string into candidate origins."""
    text = raw.strip()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except ValueError:
            logger.warning(
                "CORS_ORIGINS_INVALID %sCORS_ORIGINS is not a valid JSON list", ENV_PREFIX
            )
            return []
        if not isinstance(items, list):
            return []
        return [str(item).strip() for item in items]
    return [part.strip() for part in text.split(",") if part.strip()]


@dataclass(frozen=True)
class AllowedOrigins:
    """Allowed origins (exact) and an optional origin regex (preview deployments)."""

    allowed_origins: tuple[str, ...]
    origin_regex: re.Pattern[str] | None = None

    def is_allowed_origin(self, origin: str) -> bool:
        if origin in self.allowed_origins:
            return True
        return self.origin_regex is not None and self.origin_regex.fullmatch(origin) is not None

    @classmethod
    def fallback(cls) -> AllowedOrigins:
        return cls(allowed_origins=FALLBACK_CORS_ORIGINS)

    @classmethod
    def from_settings(cls, settings: Settings) -> AllowedOrigins:
        candidates = parse_origins(settings.cors_origins) if settings.cors_origins.strip() else []
        valid: list[str] = []
        for origin in candidates:
            candidate = origin.rstrip("/").lower()
            if candidate == "*" or not is_valid_origin(candidate):
                logger.warning(
                    "CORS_ORIGIN_DROPPED %r in %sCORS_ORIGINS is not scheme://host[:port] (and never '*')",
                    origin,
                    ENV_PREFIX,
                )
                continue
            if candidate not in valid:
                valid.append(candidate)
        regex = _compile_regex(settings.cors_origin_regex)
        if valid:
            return cls(allowed_origins=tuple(valid), origin_regex=regex)
        if candidates:
            logger.warning("CORS_ORIGINS_FALLBACK no valid entry in %sCORS_ORIGINS", ENV_PREFIX)
        return cls(allowed_origins=FALLBACK_CORS_ORIGINS, origin_regex=regex)


def _compile_regex(pattern: str) -> re.Pattern[str] | None:
    pattern = pattern.strip()
    if not pattern:
        return None
    if pattern in {".*", ".+", "*"}:
        logger.warning(
            "CORS_ORIGIN_REGEX_DROPPED %sCORS_ORIGIN_REGEX matches everything", ENV_PREFIX
        )
        return None
    try:
        return re.compile(pattern)
    except re.error:
        logger.warning(
            "CORS_ORIGIN_REGEX_DROPPED %sCORS_ORIGIN_REGEX is not a valid regex", ENV_PREFIX
        )
        return None


def load_allowed_origins(settings: Settings, state: ServiceState) -> AllowedOrigins:
    """The origins from the settings, or the fallback ones, reported degraded, if that fails."""
    try:
        return AllowedOrigins.from_settings(settings)
    except Exception:
        logger.exception("allowed origins failed to load; using the fallback CORS origins")
        state.degrade("cors", "allowed origins failed to load; fallback origins in use")
        return AllowedOrigins.fallback()
