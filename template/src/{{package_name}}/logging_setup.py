"""Logging for the service: plain lines on stderr, which Vercel collects.

Configured when the app is built, never at import time, and only for this
package's loggers. Where the host already configured the root logger (pytest,
a platform log forwarder) records simply propagate to it; otherwise the package
logger gets its own stderr handler so warnings are never silently dropped.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys

PACKAGE_LOGGER = __name__.rpartition(".")[0]
_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# Characters that end a line, move the cursor, or reorder text (bidi overrides) in a
# terminal or a log viewer: C0/C1 controls, DEL, the Unicode line separators.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_MAX_LOGGED = 2048

# The id of the request being served, stamped on every log line; set by the
# request-id middleware, "-" outside a request.
current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "current_request_id", default="-"
)


def loggable(value: object) -> str:
    """A value from a request, safe for one log line: ``"/a%0aforged"`` logs as ``/a\\nforged``.

    Paths, headers and ids are chosen by the client; written raw, a newline in one
    would start a line that looks like ours. Long values are cut.
    """
    text = str(value)
    if len(text) > _MAX_LOGGED:
        text = f"{text[:_MAX_LOGGED]}..."
    return _UNSAFE.sub(lambda match: repr(match.group())[1:-1], text)


class _ServiceHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Our stderr handler: stamps each line with the current request id."""

    def emit(self, record: logging.LogRecord) -> None:
        record.request_id = current_request_id.get()
        super().emit(record)


def configure_logging(level: str) -> logging.Logger:
    """Set the package log level, and print to stderr when nobody else does."""
    logger = logging.getLogger(PACKAGE_LOGGER)
    logger.setLevel(level)
    has_own = any(isinstance(handler, _ServiceHandler) for handler in logger.handlers)
    if not has_own and not logging.getLogger().handlers:
        handler = _ServiceHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_FORMAT))
        logger.addHandler(handler)
    return logger
