"""CORS for the allowed origins, with Starlette's well-tested middleware.

Critical (see the registry): a CORS middleware that cannot be built makes the
service fail closed. The origins never contain "*"; credentials are always allowed.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware as StarletteCORSMiddleware
from starlette.responses import JSONResponse, Response

from ..asgi import ASGIApp, Receive, Scope, Send
from ..origins import AllowedOrigins

ALLOWED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
ALLOWED_HEADERS = ("Authorization", "Content-Type", "X-Request-ID")


class CORSMiddleware(StarletteCORSMiddleware):
    """Starlette's CORS middleware (pure ASGI), configured from the allowed origins."""

    def __init__(self, app: ASGIApp, origins: AllowedOrigins) -> None:
        regex = origins.origin_regex
        super().__init__(
            app,
            allow_origins=list(origins.allowed_origins),
            allow_origin_regex=regex.pattern if regex else None,
            allow_credentials=True,
            allow_methods=list(ALLOWED_METHODS),
            allow_headers=list(ALLOWED_HEADERS),
            expose_headers=["X-Request-ID"],
            max_age=600,
        )

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
