"""Logging for the service: plain lines on stderr, which Vercel collects.

Configured when the app is built, never at import time, and only for this
package's loggers. Where the host already configured the root logger (pytest,
a platform log forwarder) records simply propagate to it; otherwise the package
logger gets its own stderr handler so warnings are never silently dropped.
"""

from __future__ import annotations

import logging
import sys

PACKAGE_LOGGER = __name__.rpartition(".")[0]
_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class _ServiceHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Our stderr handler: stamps each line with the current request id."""

    def emit(self, record: logging.LogRecord) -> None:
        from .middleware.request_id import current_request_id

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
