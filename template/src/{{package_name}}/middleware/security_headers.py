"""Security headers on every response, including 404, 413, 500 and 503.

API responses get a Content-Security-Policy that allows nothing (they are JSON);
the interactive docs page gets one that lets FastAPI's Swagger UI load from its CDN.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from ..settings import Settings
    from ..state import ServiceState

API_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Swagger UI: script and style from jsDelivr plus one inline bootstrap script.
DOCS_CSP = (
    b"default-src 'none'; script-src 'self' https://cdn.jsdelivr.net 'unsafe-inline'; "
    b"style-src 'self' https://cdn.jsdelivr.net 'unsafe-inline'; "
    b"img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
    b"frame-ancestors 'none'; base-uri 'none'"
)
HSTS = b"max-age=63072000; includeSubDomains"
_STATIC_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)


def security_headers_options(settings: Settings, _state: ServiceState) -> dict[str, Any]:
    docs_paths = ("/docs", "/docs/oauth2-redirect") if settings.docs_enabled else ()
    return {"docs_paths": docs_paths}


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, docs_paths: tuple[str, ...] = ()) -> None:
        self.app = app
        self.docs_paths = frozenset(docs_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"] in self.docs_paths else API_CSP
        https = _is_https(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {key.lower() for key, _ in headers}
                extra = [*_STATIC_HEADERS, (b"content-security-policy", csp)]
                if https:
                    extra.append((b"strict-transport-security", HSTS))
                headers.extend(item for item in extra if item[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_https(scope: Scope) -> bool:
    """TLS ends at Vercel's edge: trust its X-Forwarded-Proto as well as the scheme."""
    if scope.get("scheme") == "https":
        return True
    return any(key == b"x-forwarded-proto" and value == b"https" for key, value in scope["headers"])
