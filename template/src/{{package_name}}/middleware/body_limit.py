"""Refuse request bodies over a limit with 413, on every transport.

A declared Content-Length over the limit is refused before the app runs. Every
other body is counted as the app reads it, whatever the headers say: over
HTTP/1.1 a request without Content-Length or Transfer-Encoding has no body, but
an HTTP/2 server delivers bodies exactly like that.

Before answering 413, a bounded part of the body is read and thrown away. Clients
that send the whole body before reading the answer (Python's urllib, requests)
otherwise find the connection reset: the server closes a socket with unread data
in it. The bound (a small multiple of the limit, a short time) keeps a refused
upload from holding the service; beyond it the connection is simply closed.
"""

from __future__ import annotations

import asyncio
import contextlib

from starlette.exceptions import HTTPException

from ..asgi import ASGIApp, Message, Receive, Scope, Send, send_json

TOO_LARGE = "Request body too large"
DRAIN_FACTOR = 2  # read at most this multiple of the limit before answering 413...
DRAIN_SECONDS = 1.0  # ...for at most this long


class BodyTooLargeError(HTTPException):
    """Raised into the app while it reads an oversized body; FastAPI renders it as 413 JSON."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail=TOO_LARGE)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.drain_bytes = max_bytes * DRAIN_FACTOR

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared, expects_continue = _body_headers(scope)
        if declared == -1:
            await send_json(send, 400, {"detail": "Invalid Content-Length header"})
            return
        if declared is not None and declared > self.max_bytes:
            # A client waiting for "100 Continue" has not sent the body: nothing to drain.
            # Reading would make the server invite it. A body beyond the drain bound
            # could not be drained in full anyway, so the connection just closes.
            if not expects_continue and declared <= self.drain_bytes:
                await self._drain(receive, received=0)
            await send_json(send, 413, {"detail": TOO_LARGE})
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    if message.get("more_body", False):
                        await self._drain(receive, received)
                    raise BodyTooLargeError
            return message

        await self.app(scope, limited_receive, send)

    async def _drain(self, receive: Receive, received: int) -> None:
        """Read and drop the body until it ends, the drain bound is crossed, or time is up."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(DRAIN_SECONDS):
                while received <= self.drain_bytes:
                    message = await receive()
                    if message["type"] != "http.request":
                        return
                    received += len(message.get("body", b""))
                    if not message.get("more_body", False):
                        return


def _body_headers(scope: Scope) -> tuple[int | None, bool]:
    """The declared length (None when absent, -1 when malformed), and Expect: 100-continue."""
    declared: int | None = None
    expects_continue = False
    for key, value in scope["headers"]:
        if key == b"content-length":
            declared = int(value) if value.isdigit() and len(value) <= 18 else -1
        elif key == b"expect":
            expects_continue = value.lower() == b"100-continue"
    return declared, expects_continue
