"""Refuse request bodies over a limit with 413, without reading the rest.

A declared Content-Length over the limit is refused before the app runs; a
streamed body is counted as it is read and cut off when it crosses the limit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException

from .responses import send_json
from .types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from ..settings import Settings
    from ..state import ServiceState

TOO_LARGE = "Request body too large"


def body_limit_options(settings: Settings, _state: ServiceState) -> dict[str, Any]:
    return {"max_bytes": settings.max_body_bytes}


class BodyTooLargeError(HTTPException):
    """Raised into the app while it reads an oversized body; FastAPI renders it as 413 JSON."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail=TOO_LARGE)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared, chunked = _body_headers(scope)
        if declared == -1:
            await send_json(send, 400, {"detail": "Invalid Content-Length header"})
            return
        if declared is not None and declared > self.max_bytes:
            await send_json(send, 413, {"detail": TOO_LARGE})
            return
        if declared is None and not chunked:
            # HTTP/1.1: neither Content-Length nor Transfer-Encoding means no body at all.
            await self.app(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError
            return message

        await self.app(scope, limited_receive, send)


def _body_headers(scope: Scope) -> tuple[int | None, bool]:
    """The declared length (None when absent, -1 when malformed) and whether the body is chunked."""
    declared: int | None = None
    chunked = False
    for key, value in scope["headers"]:
        if key == b"content-length":
            declared = int(value) if value.isdigit() and len(value) <= 18 else -1
        elif key == b"transfer-encoding":
            chunked = True
    return declared, chunked
