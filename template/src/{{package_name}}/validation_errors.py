"""422 answers that can always be sent, whatever the client sent.

FastAPI echoes the offending input in each validation error. Some inputs cannot be
written as JSON: ``NaN``, ``Infinity`` and ``1e400`` (Python's json module reads
them as floats), lone surrogates (``"\\ud800"``), bytes that are not UTF-8. FastAPI's
own handler then fails, and the client gets a 500 for sending bad input. This
handler writes such values as strings (``"NaN"``, ``"\\\\ud800"``) and keeps the rest.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

# Deeper input is echoed as "...": the echo is for reading, and deep recursion
# while answering must not turn a 422 into a 500.
MAX_DEPTH = 32

Json = None | bool | int | float | str | list["Json"] | dict[str, "Json"]


def json_safe(value: object, depth: int = 0) -> Json:
    """``value`` with everything JSON cannot carry replaced by a readable string."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, str):
        # A lone surrogate cannot be encoded as UTF-8: escape it as \udxxx.
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "backslashreplace")
    if depth >= MAX_DEPTH:
        return "..."
    if isinstance(value, Mapping):
        return {str(json_safe(key)): json_safe(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(item, depth + 1) for item in value]
    return json_safe(str(value))


def install_validation_handler(app: FastAPI) -> None:
    """Answer every request validation error with a 422 that serialises."""

    @app.exception_handler(RequestValidationError)
    async def handle(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": json_safe(exc.errors())}, status_code=422)
