"""The audit store: gets a batch of events into the database, or else onto the log stream.

It opens the configured backend (``backend.py``) on first use, writes each batch in
one transaction, reopens a stale connection once, and after a failure sends the
events to the log stream and waits (a backoff that doubles up to a ceiling) before
trying the database again. ``status()`` says why events are not being stored, for
``/health``. Building a store does no I/O.

Once ``shut_down_by(deadline)`` is called, every wait on the database ends by that
deadline (a connection that could not be made in time is not attempted, a stale one
is not retried) and, after it, events go straight to the log stream. A batch whose
writer is still connecting at the deadline can be taken over (``abandon``): the
writer then never writes it, so it is logged once, by whoever took it.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Sequence

from ..settings import Settings
from .backend import AuditBackend, make_backend
from .events import AuditEvent
from .fallback import to_log_stream

logger = logging.getLogger(__name__)
FEATURE = "audit"


class AbandonedError(Exception):
    """The shutdown took this batch over: it logs the events, the writer must not."""


class AuditStore:
    """Thread-safe: one caller uses the database at a time (the queue's worker, mostly)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()  # held while the database is used
        self._backend: AuditBackend | None = None
        self._failures = 0
        self._retry_at = 0.0
        self._reason = ""
        self._deadline = math.inf  # set by shut_down_by
        # Who owns the batch in hand: the writer once it claimed it (it is writing it,
        # or logging it), else the shutdown once it abandoned the writer.
        self._guard = threading.Lock()
        self._claimed = False
        self._abandoned = False

    def status(self) -> str:
        """Why events go to the log stream instead of the database; "" while they do not."""
        return self._reason

    def write(self, events: Sequence[AuditEvent]) -> bool:
        """Store ``events`` (True), or put them on the log stream (False).

        Raises ``AbandonedError`` only after ``abandon()``: the events are not ours then.
        """
        try:
            with self._lock:
                if self._failures and time.monotonic() < self._retry_at:
                    self._claim()
                    to_log_stream(events, "database unavailable")
                    return False
                if not self._time_for_the_database():
                    self._claim()
                    to_log_stream(events, "audit shutdown deadline")
                    return False
                try:
                    self._write(events)
                except AbandonedError:
                    raise
                except Exception as exc:
                    self._close_backend()
                    self._claim()
                    self._failed(exc, events)
                    return False
                self._recovered()
                return True
        finally:
            with self._guard:
                self._claimed = False

    def abandon(self) -> bool:
        """From the shutdown, once the writer ran out of time: True if the batch it holds
        (if any) is now the caller's to log, because the writer will not touch it."""
        with self._guard:
            # A batch the writer has claimed stays the writer's: it stores or logs it
            # when its database call gives up (marking it abandoned would make the
            # writer drop it, and nobody would log it).
            if self._claimed:
                return False
            self._abandoned = True
            return True

    def ensure_schema(self) -> bool:
        """Apply the migrations (they create ``audit_log``) and open the database.

        False if unavailable. The init function's path: Alembic loads here, never in a
        request, and a request never creates the table.
        """
        with self._lock:
            try:
                from ..db.migrate import upgrade

                upgrade(self.settings)
                self._open()
            except Exception as exc:
                self._close_backend()
                self._failed(exc, [])
                return False
            self._recovered()
            return True

    def shut_down_by(self, deadline: float) -> None:
        """From now on, give up every wait on the database at ``deadline`` (monotonic)."""
        self._deadline = min(self._deadline, deadline)

    def interrupt(self) -> None:
        """From another thread, at the deadline: a write still waiting gives up now."""
        backend = self._backend
        if backend is not None:
            backend.interrupt()

    def close(self, timeout: float = 5.0) -> None:
        """Release the database, waiting at most ``timeout`` for a write in progress."""
        if self._lock.acquire(timeout=max(0.0, timeout)):
            try:
                self._close_backend()
            finally:
                self._lock.release()

    def forget_after_fork(self) -> None:
        """In a forked child: the parent's connection and lock holder are not ours."""
        self._lock = threading.Lock()
        self._backend = None  # never use (or close) the parent's connection here

    def _time_for_the_database(self) -> bool:
        """Called under ``_lock``: False once a shutdown deadline leaves no time for it."""
        if self._deadline == math.inf:
            return True
        needed = 0.0
        if self._backend is None:
            try:
                needed = make_backend(self.settings).connect_seconds
            except Exception:  # not configured: _open fails at once and says why
                needed = 0.0
        return self._deadline - time.monotonic() > needed

    def _give_up_at(self) -> float:
        return self._deadline

    def _claim(self) -> None:
        """Before writing or logging the batch: from here on its outcome is the writer's."""
        with self._guard:
            if self._abandoned:
                raise AbandonedError
            self._claimed = True

    def _write(self, events: Sequence[AuditEvent]) -> None:
        fresh = self._backend is None
        backend = self._open()  # connecting cannot be interrupted: not claimed yet
        self._claim()
        try:
            backend.write(events, self._give_up_at)
        except Exception:
            if fresh or not self._time_for_the_database():
                raise
            # A connection that sat idle (a frozen serverless instance, a restarted
            # server, a dropped table) may be stale: reopen once before giving up.
            self._close_backend()
            with self._guard:
                self._claimed = False  # nothing was written: reconnecting is abandonable
            backend = self._open()
            self._claim()
            backend.write(events, self._give_up_at)

    def _open(self) -> AuditBackend:
        if self._backend is not None:
            return self._backend
        backend = make_backend(self.settings)
        backend.open(self._give_up_at)
        self._backend = backend
        logger.info("AUDIT_DB_OPEN %s", backend.description)
        if backend.ephemeral:
            logger.warning(
                "AUDIT_EPHEMERAL %s lives in this instance's temp dir and dies with it; "
                "switch to PostgreSQL (copier update --data database=postgres) for production",
                backend.description,
            )
        return backend

    def _close_backend(self) -> None:
        backend, self._backend = self._backend, None
        if backend is not None:
            backend.close()

    def _failed(self, exc: Exception, events: Sequence[AuditEvent]) -> None:
        """Called under ``_lock``: log the events, record why, schedule the retry."""
        self._failures += 1
        settings = self.settings
        delay = min(
            settings.audit_retry_initial_seconds * 2 ** min(self._failures - 1, 30),
            settings.audit_retry_max_seconds,
        )
        self._retry_at = time.monotonic() + delay
        logger.warning(
            "AUDIT_DB_UNAVAILABLE %s: %s; %d event(s) go to the log stream; retry in %.1fs",
            type(exc).__name__,
            str(exc)[:300],
            len(events),
            delay,
        )
        to_log_stream(events, "database unavailable")
        reason = f"{type(exc).__name__}: audit events go to the log stream"
        if reason != self._reason:
            self._reason = reason
            logger.warning("FEATURE_DEGRADED feature=%s reason=%s", FEATURE, reason)

    def _recovered(self) -> None:
        """Called under ``_lock`` after the database worked."""
        if not self._failures and not self._reason:
            return
        self._failures = 0
        self._retry_at = 0.0
        self._reason = ""
        logger.info("AUDIT_DB_RECOVERED events are stored in the database again")
        logger.info("FEATURE_RECOVERED feature=%s", FEATURE)
