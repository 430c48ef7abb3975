"""What is degraded or failed in this process, for /health and for the logs.

Optional features that fail are *degraded*: the service keeps serving without them.
Critical (security) features that fail are *failed*: the service refuses requests
rather than serve them unguarded. Each feature logs one stable marker
(``FEATURE_DEGRADED`` / ``FEATURE_FAILED``) so a log drain can alert on it.

What breaks while the app builds is recorded here (``degrade`` / ``fail``). What can
break and heal while it runs (the audit database) is asked at each /health call
through ``watch``: the feature keeps its own status, nobody pushes it here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from .shutdown import Closers

logger = logging.getLogger(__name__)

# Returns why the feature is degraded right now, or "" when it works.
StatusCheck = Callable[[], str]


@dataclass
class ServiceState:
    """Degraded and failed features; reasons stay in the logs, never in responses."""

    degraded: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    # What the app's features opened and its lifespan closes at shutdown.
    closers: Closers = field(default_factory=Closers, repr=False)
    checks: dict[str, StatusCheck] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def degrade(self, feature: str, reason: str) -> None:
        with self._lock:
            if self.degraded.get(feature) == reason:
                return
            self.degraded[feature] = reason
        logger.warning("FEATURE_DEGRADED feature=%s reason=%s", feature, reason)

    def fail(self, feature: str, reason: str) -> None:
        with self._lock:
            self.failed[feature] = reason
        logger.error("FEATURE_FAILED feature=%s reason=%s", feature, reason)

    def watch(self, feature: str, check: StatusCheck) -> None:
        """Ask ``check`` at each /health call whether ``feature`` is degraded."""
        with self._lock:
            self.checks[feature] = check

    def degraded_features(self) -> list[str]:
        """The names of what is degraded now: recorded at build, or reported by a check."""
        with self._lock:
            names = set(self.degraded)
            checks = list(self.checks.items())
        names.update(feature for feature, check in checks if check())
        return sorted(names)

    @property
    def status(self) -> str:
        if self.failed:
            return "error"
        return "degraded" if self.degraded_features() else "ok"

    def health(self) -> tuple[int, dict[str, object]]:
        """HTTP status and body for /health: names only, never reasons."""
        degraded = self.degraded_features()
        with self._lock:
            failed = sorted(self.failed)
        if failed:
            return 503, {"status": "error", "failed": failed, "degraded": degraded}
        if degraded:
            return 200, {"status": "degraded", "degraded": degraded}
        return 200, {"status": "ok"}
