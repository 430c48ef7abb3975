"""Unhandled exceptions become 500 JSON with an error id; the traceback goes to the log.

The client learns nothing it should not (no exception text, path or setting value)
unless the debug setting is on. The operator gets everything, under the marker
``UNHANDLED_ERROR error_id=...``.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

from ..asgi import ASGIApp, Message, Receive, Scope, Send, send_json
from ..logging_setup import loggable
from .request_id import request_id_of

if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

logger = logging.getLogger(__name__)


def error_body(error_id: str, exc: BaseException, *, debug: bool) -> dict[str, object]:
    body: dict[str, object] = {"detail": "Internal Server Error", "error_id": error_id}
    if debug:
        body["error"] = f"{type(exc).__name__}: {exc}"
    return body


def log_error(exc: BaseException, scope: Scope) -> str:
    error_id = uuid.uuid4().hex
    logger.error(
        "UNHANDLED_ERROR error_id=%s request_id=%s %s %s",
        error_id,
        loggable(request_id_of(scope)),
        loggable(scope.get("method", "-")),
        loggable(scope.get("path", "-")),
        exc_info=exc,
    )
    return error_id


class ErrorMiddleware:
    def __init__(self, app: ASGIApp, debug: bool = False) -> None:
        self.app = app
        self.debug = debug

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            error_id = log_error(exc, scope)
            if not started:  # once headers are out, the status cannot change
                await send_json(send, 500, error_body(error_id, exc, debug=self.debug))


def install_exception_handler(app: FastAPI, debug: bool) -> None:
    """Last line: an exception escaping every middleware still gets the JSON 500."""
    from fastapi.responses import JSONResponse

    async def handle(request: Request, exc: Exception) -> JSONResponse:
        error_id = log_error(exc, request.scope)
        return JSONResponse(error_body(error_id, exc, debug=debug), status_code=500)

    app.add_exception_handler(Exception, handle)
