"""``DatabaseUnavailableError`` becomes 503 JSON with an error id; the details go to the log.

The client learns that the database is unavailable and when to retry, never the
driver's message (it can hold host names and user names).
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

from ..middleware.request_id import request_id_of
from .database import DatabaseUnavailableError

if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

logger = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5


def install_database_errors(app: FastAPI) -> None:
    from fastapi.responses import JSONResponse

    async def handle(request: Request, exc: Exception) -> JSONResponse:
        error_id = uuid.uuid4().hex
        logger.error(
            "DATABASE_UNAVAILABLE error_id=%s request_id=%s %s %s: %s",
            error_id,
            request_id_of(request.scope),
            request.method,
            request.url.path,
            exc,
            exc_info=exc.__cause__ or exc,
        )
        return JSONResponse(
            {"detail": "Database unavailable", "error_id": error_id},
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"},
        )

    app.add_exception_handler(DatabaseUnavailableError, handle)
