"""Refuse cross-site state-changing requests that carry cookies (CSRF).

Policy: a POST, PUT, PATCH or DELETE with a Cookie header is refused with 403
when the browser says it is cross-site (Sec-Fetch-Site: cross-site), or when its
Origin (or, without one, its Referer) is neither this host nor an allowed CORS
origin. Requests without cookies (token APIs) pass: a forged request cannot
attach a token the attacker does not have.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from ..asgi import ASGIApp, Receive, Scope, Send, send_json

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REFUSED = {"detail": "Cross-site request refused"}


class CSRFMiddleware:
    def __init__(self, app: ASGIApp, is_allowed_origin: Callable[[str], bool]) -> None:
        self.app = app
        self.is_allowed_origin = is_allowed_origin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in UNSAFE_METHODS and self._forged(scope):
            await send_json(send, 403, REFUSED)
            return
        await self.app(scope, receive, send)

    def _forged(self, scope: Scope) -> bool:
        headers = {
            key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]
        }
        if "cookie" not in headers:
            return False
        if headers.get("sec-fetch-site", "").lower() == "cross-site":
            return True
        source = headers.get("origin") or _origin_of(headers.get("referer", ""))
        if not source:
            return False  # no browser evidence of a cross-site source (non-browser client)
        if source == "null":
            return True
        return urlsplit(source).netloc != headers.get("host", "") and not self.is_allowed_origin(
            source
        )


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
