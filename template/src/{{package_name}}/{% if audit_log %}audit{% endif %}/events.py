"""The audit event: who did what to which path, when, with what result.

Built from the ASGI scope and the response status only: never bodies, the
Authorization header, cookies or query strings (which often carry tokens).
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
COLUMNS = (
    "event_id",
    "occurred_at",
    "request_id",
    "method",
    "path",
    "status",
    "client",
    "actor",
    "duration_ms",
)
_MAX_TEXT = 256
_MAX_PATH = 2048
# Vercel's proxy sets X-Forwarded-For to the caller's address and overwrites any
# value the client sent ("we currently overwrite the X-Forwarded-For header and do
# not forward external IPs", Vercel's request-headers docs). Anywhere else a client
# can write the header itself, so the socket peer (as the server reports it) is
# the only address it did not choose.
PLATFORM_CLIENT_HEADER = b"x-forwarded-for"


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One mutating request. ``event_id`` makes a replayed log line easy to de-duplicate."""

    occurred_at: datetime
    method: str
    path: str
    status: int | None
    duration_ms: float
    request_id: str | None = None
    client: str | None = None
    actor: str | None = None
    event_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, in column order (the timestamp as ISO 8601 UTC)."""
        return {
            "event_id": self.event_id,
            "occurred_at": self.occurred_at.isoformat(),
            "request_id": self.request_id,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "client": self.client,
            "actor": self.actor,
            "duration_ms": self.duration_ms,
        }


def event_from_scope(
    scope: Any,
    *,
    occurred_at: datetime,
    status: int | None,
    duration_ms: float,
    response_headers: Iterable[tuple[bytes, bytes]] = (),
    on_vercel: bool = False,
) -> AuditEvent:
    """The event of one HTTP request; ``occurred_at`` must be timezone-aware UTC.

    ``client`` is the platform's forwarded address on Vercel, the socket peer elsewhere.
    """
    headers = scope.get("headers") or ()
    state = scope.get("state") or {}
    return AuditEvent(
        occurred_at=occurred_at,
        method=str(scope.get("method", "")),
        path=str(scope.get("path", ""))[:_MAX_PATH],  # the path only: no query string
        status=status,
        duration_ms=round(duration_ms, 3),
        request_id=_text(state.get("request_id"))
        or _header(response_headers, b"x-request-id")
        or _header(headers, b"x-vercel-id"),
        client=_client(scope, headers, on_vercel=on_vercel),
        actor=_actor(scope, state),
    )


def _text(value: object) -> str | None:
    if value is None or value == "":
        return None
    return str(value)[:_MAX_TEXT]


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return _text(value.decode("latin-1").strip())
    return None


def _client(scope: Any, headers: Iterable[tuple[bytes, bytes]], *, on_vercel: bool) -> str | None:
    if on_vercel:
        forwarded = _header(headers, PLATFORM_CLIENT_HEADER) or ""
        address = _ip_address(forwarded.split(",", 1)[0])
        if address:
            return address
    client = scope.get("client")
    return _text(client[0]) if client else None


def _ip_address(text: str) -> str | None:
    """``text`` as a normalised IP address, or None when it is not one."""
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def _actor(scope: Any, state: Any) -> str | None:
    """``request.state.actor`` if the app set it, else an authenticated Starlette user."""
    actor = _text(state.get("actor"))
    if actor:
        return actor
    user = scope.get("user")
    if user is not None and getattr(user, "is_authenticated", False):
        return _text(getattr(user, "identity", None) or getattr(user, "display_name", None))
    return None
