"""Security headers on every response, including 404, 413, 500 and 503.

API responses get a Content-Security-Policy that allows nothing (they are JSON);
the interactive docs page gets one that lets FastAPI's Swagger UI load from its CDN.
"""

from __future__ import annotations

from ..asgi import ASGIApp, Message, Receive, Scope, Send

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
)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, docs_paths: tuple[str, ...] = ()) -> None:
        self.app = app
        self.docs_paths = frozenset(docs_paths)
        # Built once: this runs on every response, so keep the per-request work to a copy.
        self._api: tuple[tuple[bytes, bytes], ...] = (
            *_STATIC_HEADERS,
            (b"content-security-policy", API_CSP),
        )
        self._docs: tuple[tuple[bytes, bytes], ...] = (
            *_STATIC_HEADERS,
            (b"content-security-policy", DOCS_CSP),
        )
        self._names = frozenset(name for name, _ in self._api) | {b"strict-transport-security"}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self._docs if scope["path"] in self.docs_paths else self._api
        if _is_https(scope):
            extra = (*extra, (b"strict-transport-security", HSTS))
        names = self._names

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers") or []
                if any(key.lower() in names for key, _ in headers):
                    # The app set some of these itself: its values win.
                    present = {key.lower() for key, _ in headers}
                    message["headers"] = [*headers, *(h for h in extra if h[0] not in present)]
                else:
                    message["headers"] = [*headers, *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_https(scope: Scope) -> bool:
    """TLS ends at Vercel's edge: trust its X-Forwarded-Proto as well as the scheme."""
    if scope.get("scheme") == "https":
        return True
    return any(key == b"x-forwarded-proto" and value == b"https" for key, value in scope["headers"])
