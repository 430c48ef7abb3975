"""Pure ASGI middleware: one audit event per POST, PUT, PATCH or DELETE request.

The event is handed to the logger after the response has been sent, so the client
is never slowed. On Vercel the request's task then waits (at most
``<prefix>AUDIT_WAIT_MS``) for the event to be stored, so the write finishes within
the invocation rather than in an instance that may be frozen once it returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime
from typing import Any

from ..asgi import ASGIApp, Message, Receive, Scope, Send
from .events import MUTATING_METHODS, AuditEvent, event_from_scope
from .queue import AuditLogger


class AuditMiddleware:
    """Records mutating HTTP requests; passes everything else straight through."""

    def __init__(self, app: ASGIApp, audit: AuditLogger | None) -> None:
        self.app = app
        self.audit = audit
        self.wait_seconds = audit.wait_seconds if audit is not None else 0.0
        # Only Vercel's proxy vouches for X-Forwarded-For (see events.py).
        self.on_vercel = audit is not None and audit.settings.vercel

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.audit is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "http" and scope["method"] in MUTATING_METHODS:
            await self._record(self.audit, scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _record(self, audit: AuditLogger, scope: Scope, receive: Receive, send: Send) -> None:
        occurred_at = datetime.now(UTC)
        started = time.perf_counter()
        response: dict[str, Any] = {}

        async def send_and_watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                response["headers"] = message.get("headers") or ()
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        except BaseException as exc:
            # Record it (an unhandled error is a 500) but do not wait: re-raise now.
            status = response.get("status", 500 if isinstance(exc, Exception) else None)
            audit.enqueue(self._event(scope, occurred_at, started, status, response))
            raise
        event = self._event(scope, occurred_at, started, response.get("status"), response)
        if self.wait_seconds <= 0:
            audit.enqueue(event)
            return
        # The response is already sent: waiting only keeps the invocation alive until
        # the event is stored. On timeout the event stays queued (or logged), not lost.
        waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        audit.enqueue(event, waiter)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.wait_seconds):
                await waiter

    def _event(
        self,
        scope: Scope,
        occurred_at: datetime,
        started: float,
        status: int | None,
        response: dict[str, Any],
    ) -> AuditEvent:
        return event_from_scope(
            scope,
            occurred_at=occurred_at,
            status=status,
            duration_ms=(time.perf_counter() - started) * 1000,
            response_headers=response.get("headers", ()),
            on_vercel=self.on_vercel,
        )
