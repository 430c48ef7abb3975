"""The origins allowed to call this service from a browser (CORS and CSRF both ask).

Built when the app is built (once per build, shared by both middleware) and
defensively: an unset, empty or broken ``<prefix>CORS_ORIGINS`` never empties the
list; invalid entries are dropped one by one with a warning, and when none is left
the fallback origins baked in at generation time are used. ``*`` is never allowed:
the service sends credentials. A set variable that yields nothing, or an origin
regex that is refused (``origin_regex.py``), shows ``cors`` degraded on /health.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .origin_regex import refused_probe
from .project import ENV_PREFIX, FALLBACK_CORS_ORIGINS

if TYPE_CHECKING:
    from .settings import Settings
    from .state import ServiceState

logger = logging.getLogger(__name__)

# scheme://host[:port]: lower-case DNS name or IPv4, or a bracketed IPv6; no path.
_ORIGIN = re.compile(
    r"(?P<scheme>https?)://(?P<host>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])"
    r"(?::(?P<port>[0-9]{1,5}))?"
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_origin(origin: str) -> str | None:
    """``origin`` as a browser sends it (lower case, no default port), or None if invalid.

    ``https://App.example.com:443/`` becomes ``https://app.example.com``: browsers
    never send the scheme's default port, so an entry with one would match nothing.
    """
    match = _ORIGIN.fullmatch(origin.strip().rstrip("/").lower())
    if match is None:
        return None
    scheme, host, port = match["scheme"], match["host"], match["port"]
    if port is None or int(port) == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    if not 0 < int(port) < 65536:
        return None
    return f"{scheme}://{host}:{int(port)}"


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
        # Text that starts with "[" and parses is a JSON array: a list.
        return [str(item).strip() for item in items]
    return [part.strip() for part in text.split(",") if part.strip()]


@dataclass(frozen=True)
class AllowedOrigins:
    """Allowed origins (exact) and an optional origin regex (preview deployments)."""

    allowed_origins: tuple[str, ...]
    origin_regex: re.Pattern[str] | None = None
    # Why the configuration was not taken as given (for /health and the logs).
    problems: tuple[str, ...] = ()

    def is_allowed_origin(self, origin: str) -> bool:
        if origin in self.allowed_origins:
            return True
        return self.origin_regex is not None and self.origin_regex.fullmatch(origin) is not None

    @classmethod
    def fallback(cls) -> AllowedOrigins:
        return cls(allowed_origins=_fallback_origins())

    @classmethod
    def from_settings(cls, settings: Settings) -> AllowedOrigins:
        candidates = parse_origins(settings.cors_origins) if settings.cors_origins.strip() else []
        valid: list[str] = []
        for origin in candidates:
            candidate = normalize_origin(origin)
            if candidate is None:
                logger.warning(
                    "CORS_ORIGIN_DROPPED %r in %sCORS_ORIGINS is not scheme://host[:port] (and never '*')",
                    origin,
                    ENV_PREFIX,
                )
            elif candidate not in valid:
                valid.append(candidate)
        problems: list[str] = []
        regex = _compile_regex(settings.cors_origin_regex, problems)
        if valid:
            return cls(tuple(valid), regex, tuple(problems))
        if settings.cors_origins.strip():
            logger.warning(
                "CORS_ORIGINS_FALLBACK no valid entry in %sCORS_ORIGINS: the fallback origins apply",
                ENV_PREFIX,
            )
            problems.append(f"no valid entry in {ENV_PREFIX}CORS_ORIGINS; fallback origins in use")
        return cls(_fallback_origins(), regex, tuple(problems))


def _fallback_origins() -> tuple[str, ...]:
    normalized = (normalize_origin(origin) for origin in FALLBACK_CORS_ORIGINS)
    return tuple(dict.fromkeys(origin for origin in normalized if origin))


def _compile_regex(pattern: str, problems: list[str]) -> re.Pattern[str] | None:
    """The vetted origin regex, or None; a refusal is logged and added to ``problems``."""
    pattern = pattern.strip()
    if not pattern:
        return None
    try:
        compiled = re.compile(pattern)
    except re.error:
        why = "is not a valid regex"
    else:
        probe = refused_probe(compiled)
        if probe is None:
            return compiled
        why = f"admits {probe!r}, an origin that cannot be this deployment's"
    logger.warning(
        "CORS_ORIGIN_REGEX_REFUSED %sCORS_ORIGIN_REGEX=%r %s; it is ignored (see origin_regex.py)",
        ENV_PREFIX,
        pattern,
        why,
    )
    problems.append(f"{ENV_PREFIX}CORS_ORIGIN_REGEX refused")
    return None


def load_allowed_origins(settings: Settings, state: ServiceState) -> AllowedOrigins:
    """The origins from the settings (``cors`` degraded if any was refused), or the fallback."""
    try:
        origins = AllowedOrigins.from_settings(settings)
    except Exception:
        logger.exception("allowed origins failed to load; using the fallback CORS origins")
        state.degrade("cors", "allowed origins failed to load; fallback origins in use")
        return AllowedOrigins.fallback()
    if origins.problems:
        state.degrade("cors", "; ".join(origins.problems))
    return origins
