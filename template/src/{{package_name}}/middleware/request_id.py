"""Give every request an id: the caller's X-Request-ID if well-formed, else a new one.

The id is stored in ``scope["state"]["request_id"]`` (``request.state.request_id``),
set for log lines through ``logging_setup.current_request_id``, and returned in X-Request-ID.
"""

from __future__ import annotations

import os
import re

from ..asgi import ASGIApp, Message, Receive, Scope, Send
from ..logging_setup import current_request_id

HEADER = b"x-request-id"
_WELL_FORMED = re.compile(rb"[A-Za-z0-9._:-]{1,128}")


def request_id_of(scope: Scope) -> str:
    """The id given to this request, or "-" outside one."""
    state = scope.get("state") or {}
    return str(state.get("request_id", "-"))


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        # 128 random bits as hex, like uuid4().hex without building a UUID object.
        request_id = _incoming_id(scope) or os.urandom(16).hex()
        scope.setdefault("state", {})["request_id"] = request_id
        token = current_request_id.set(request_id)
        encoded = request_id.encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                headers.append((HEADER, encoded))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            current_request_id.reset(token)


def _incoming_id(scope: Scope) -> str | None:
    for key, value in scope.get("headers", []):
        if key == HEADER:
            return value.decode() if _WELL_FORMED.fullmatch(value) else None
    return None
