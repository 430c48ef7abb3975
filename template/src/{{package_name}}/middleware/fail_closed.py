"""Refuse every request but /health when a critical middleware failed to build."""

from __future__ import annotations

from ..asgi import ASGIApp, Receive, Scope, Send, send_json
from ..state import ServiceState

HEALTH_PATH = "/health"


class FailClosedMiddleware:
    """503 JSON for every HTTP path except /health; websockets are closed."""

    def __init__(self, app: ASGIApp, state: ServiceState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" or (
            scope["type"] == "http" and scope["path"] == HEALTH_PATH
        ):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1013})
            return
        body = {"detail": "Service Unavailable", "failed": sorted(self.state.failed)}
        await send_json(send, 503, body)
