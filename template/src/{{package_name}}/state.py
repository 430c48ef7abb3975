"""What is degraded or failed in this process, for /health and for the logs.

Optional features that fail are *degraded*: the service keeps serving without them.
Critical (security) features that fail are *failed*: the service refuses requests
rather than serve them unguarded. Each feature logs one stable marker
(``FEATURE_DEGRADED`` / ``FEATURE_FAILED``) so a log drain can alert on it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from .shutdown import Closers

logger = logging.getLogger(__name__)


@dataclass
class ServiceState:
    """Degraded and failed features; reasons stay in the logs, never in responses."""

    degraded: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    # What the app's features opened and its lifespan closes at shutdown.
    closers: Closers = field(default_factory=Closers, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def degrade(self, feature: str, reason: str) -> None:
        with self._lock:
            if self.degraded.get(feature) == reason:
                return
            self.degraded[feature] = reason
        logger.warning("FEATURE_DEGRADED feature=%s reason=%s", feature, reason)

    def recover(self, feature: str) -> None:
        with self._lock:
            if self.degraded.pop(feature, None) is None:
                return
        logger.info("FEATURE_RECOVERED feature=%s", feature)

    def fail(self, feature: str, reason: str) -> None:
        with self._lock:
            self.failed[feature] = reason
        logger.error("FEATURE_FAILED feature=%s reason=%s", feature, reason)

    @property
    def status(self) -> str:
        if self.failed:
            return "error"
        return "degraded" if self.degraded else "ok"

    def health(self) -> tuple[int, dict[str, object]]:
        """HTTP status and body for /health: names only, never reasons."""
        with self._lock:
            degraded = sorted(self.degraded)
            failed = sorted(self.failed)
        if failed:
            return 503, {"status": "error", "failed": failed, "degraded": degraded}
        if degraded:
            return 200, {"status": "degraded", "degraded": degraded}
        return 200, {"status": "ok"}
