"""CORS from the security manager's origins, with Starlette's well-tested middleware.

Not critical: without CORS headers a browser refuses cross-origin calls, which
fails closed by itself. The options never contain "*" and always allow credentials.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware as StarletteCORSMiddleware
from starlette.responses import JSONResponse, Response

from ..security import build_security_manager
from .types import Receive, Scope, Send

if TYPE_CHECKING:
    from ..settings import Settings
    from ..state import ServiceState

ALLOWED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
ALLOWED_HEADERS = ("Authorization", "Content-Type", "X-Request-ID")


class CORSMiddleware(StarletteCORSMiddleware):
    """Starlette's CORS middleware (pure ASGI), named here so the registry owns it."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Same-origin and non-browser requests carry no Origin: skip parsing the headers.
        if scope["type"] == "http" and not any(key == b"origin" for key, _ in scope["headers"]):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    def preflight_response(self, request_headers: Headers) -> Response:
        """Starlette refuses a preflight in plain text; every error of ours is JSON."""
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        headers = {
            key: value
            for key, value in response.headers.items()
            if key not in {"content-length", "content-type"}
        }
        detail = bytes(response.body).decode()
        return JSONResponse({"detail": detail}, status_code=response.status_code, headers=headers)


def cors_options(settings: Settings, state: ServiceState) -> dict[str, Any]:
    manager = build_security_manager(settings, state)
    return {
        "allow_origins": list(manager.allowed_origins),
        "allow_origin_regex": manager.origin_regex.pattern if manager.origin_regex else None,
        "allow_credentials": True,
        "allow_methods": list(ALLOWED_METHODS),
        "allow_headers": list(ALLOWED_HEADERS),
        "expose_headers": ["X-Request-ID"],
        "max_age": 600,
    }
