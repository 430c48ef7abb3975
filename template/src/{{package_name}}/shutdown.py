"""What an app must close when it stops, closed in one pass with one deadline.

A feature that opens something per process (the audit log's database, a pool, a
client) registers how to close it when the app is built; ``main.lifespan`` closes
them all at shutdown. That is the place to flush what must not be lost: uvicorn
re-raises SIGTERM after its graceful shutdown, so ``atexit`` hooks never run then.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

# Takes the seconds it may still use, and must return within them.
Closer = Callable[[float], object]


class Closers:
    """Close functions, called newest first (like ``contextlib.ExitStack``), each once."""

    def __init__(self) -> None:
        self._closers: list[tuple[str, Closer]] = []
        self._lock = threading.Lock()

    def add(self, name: str, close: Closer) -> None:
        with self._lock:
            self._closers.append((name, close))

    def close_all(self, timeout: float) -> None:
        """Call every closer with what is left of ``timeout``; one that raises is logged."""
        deadline = time.monotonic() + timeout
        with self._lock:
            closers, self._closers = self._closers, []
        for name, close in reversed(closers):
            try:
                close(max(0.0, deadline - time.monotonic()))
            except Exception:
                logger.exception("SHUTDOWN_CLOSE_FAILED %s could not be closed", name)
