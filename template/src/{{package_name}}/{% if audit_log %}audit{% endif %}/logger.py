"""The process-wide audit logger: events are stored after the response, never lost.

The request's task hands its event to a queue; one worker thread stores whatever
is waiting in one transaction, so concurrent requests share a commit. When the
database cannot be opened or a write fails, those events go to the log stream as
one JSON line each (key ``audit_event``), ``/health`` shows ``audit`` degraded,
and the database is tried again after a backoff that doubles up to a ceiling.
Building a logger does no I/O: the database is opened on the first event, or by
``ensure_schema()`` (the init function calls it).
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import logging
import os
import threading
import time
import weakref
from collections.abc import Sequence
from concurrent.futures import Future

from ..settings import load_settings
from ..state import ServiceState
from .backend import AuditBackend, make_backend
from .events import AuditEvent
from .fallback import to_log_stream
from .settings import AuditSettings
from .waiters import Waiter, notify, set_all

logger = logging.getLogger(__name__)
FEATURE = "audit"
_LINGER_SECONDS = 0.002
_BATCH = 100  # 100 rows x 9 columns stays under the oldest SQLite limit of 999 parameters


class AuditLogger:
    """Thread- and async-safe; one per process (``get_audit_logger()``)."""

    def __init__(self, settings: AuditSettings, state: ServiceState | None = None) -> None:
        self.settings = settings
        # Only where the instance may be frozen right after the response (Vercel) does
        # the request's task wait for its event; elsewhere the writer outlives it.
        self.wait_seconds = settings.audit_wait_ms / 1000 if settings.vercel else 0.0
        self._cond = threading.Condition()
        self._queue: collections.deque[tuple[AuditEvent, Waiter]] = collections.deque()
        self._pending = 0
        self._worker: threading.Thread | None = None
        self._closed = False
        self._pid = os.getpid()
        self._db_lock = threading.Lock()  # held while the database is used
        self._state_lock = threading.Lock()  # never held during I/O
        self._backend: AuditBackend | None = None
        self._failures = 0
        self._retry_at = 0.0
        self._reason = ""
        self._states: list[weakref.ref[ServiceState]] = []
        if state is not None:
            self.attach(state)

    # ------------------------------------------------------------------ public

    def attach(self, state: ServiceState) -> None:
        """Report degraded / recovered on ``state`` (every app of the process)."""
        with self._state_lock:
            self._states = [ref for ref in self._states if ref() is not None]
            self._states.append(weakref.ref(state))
            reason = self._reason
        if reason:
            state.degrade(FEATURE, reason)

    def submit(self, event: AuditEvent) -> Future[bool]:
        """Queue ``event``; the future says True (in the database) or False (in the log)."""
        future: Future[bool] = Future()
        self.enqueue(event, future)
        return future

    def enqueue(self, event: AuditEvent, waiter: Waiter = None) -> None:
        """Queue ``event``; ``waiter`` (if any) gets True (stored) or False (logged).

        Never blocks and never raises: a full queue or a closed logger sends the
        event to the log stream at once. An ``asyncio.Future`` waiter must belong
        to the calling thread's running loop.
        """
        with self._cond:
            if self._pid != os.getpid():
                self._after_fork()
            room = not self._closed and len(self._queue) < self.settings.audit_queue_size
            if room and self._start_worker():
                self._queue.append((event, waiter))
                self._pending += 1
                self._cond.notify()
                return
            reason = "audit logger closed" if self._closed else "audit queue full"
        to_log_stream([event], reason)
        if isinstance(waiter, asyncio.Future):
            set_all([waiter], stored=False)  # we are on its loop
        else:
            notify([waiter], stored=False)

    def ensure_schema(self) -> bool:
        """Open the database and create ``audit_log`` if missing; False if unavailable."""
        with self._db_lock:
            try:
                self._open()
            except Exception as exc:
                self._close_backend()
                self._failed(exc, [])
                return False
            self._recovered()
        return True

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued event is stored or logged; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Store what is queued (or log it), stop the worker, release the database."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            worker = self._worker
        if worker is not None and worker is not threading.current_thread():
            worker.join(timeout)
        with self._cond:  # a worker that could not finish in time: log what it left
            left = [event for event, _ in self._queue]
            waiters = [waiter for _, waiter in self._queue]
            self._queue.clear()
            self._pending -= len(left)
        if left:
            to_log_stream(left, "audit logger closed")
            notify(waiters, stored=False)
        if self._db_lock.acquire(timeout=timeout):
            try:
                self._close_backend()
            finally:
                self._db_lock.release()

    @property
    def degraded(self) -> bool:
        return bool(self._reason)

    # ------------------------------------------------------------------ worker

    def _start_worker(self) -> bool:
        """Called under ``_cond``. Started lazily: constructing the logger starts nothing."""
        if self._worker is not None and self._worker.is_alive():
            return True
        worker = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        try:
            worker.start()
        except RuntimeError:  # interpreter shutting down: the caller logs the event
            return False
        if self._worker is None:
            atexit.register(_close_at_exit, weakref.ref(self))
        self._worker = worker
        return True

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue:
                    return
                linger = len(self._queue) < _BATCH and not self._closed
            if linger:
                # Let a few more events arrive: one write (and one hand-over of the GIL)
                # for many events costs the requests being served far less than one each.
                time.sleep(_LINGER_SECONDS)
            with self._cond:
                count = min(len(self._queue), _BATCH)
                batch = [self._queue.popleft() for _ in range(count)]
            events = [event for event, _ in batch]
            try:
                stored = self._store(events)
            except BaseException:  # never drop events held by a dying worker
                to_log_stream(events, "audit writer error")
                stored = False
                logger.exception("AUDIT_WRITER_ERROR")
            notify([waiter for _, waiter in batch], stored)
            with self._cond:
                self._pending -= len(batch)
                self._cond.notify_all()

    def _store(self, events: Sequence[AuditEvent]) -> bool:
        with self._db_lock:
            if self._failures and time.monotonic() < self._retry_at:
                to_log_stream(events, "database unavailable")
                return False
            try:
                self._write(events)
            except Exception as exc:
                self._close_backend()
                self._failed(exc, events)
                return False
            self._recovered()
            return True

    def _write(self, events: Sequence[AuditEvent]) -> None:
        fresh = self._backend is None
        backend = self._open()
        try:
            backend.write(events)
        except Exception:
            if fresh:
                raise
            # A connection that sat idle (a frozen serverless instance, a restarted
            # server, a dropped table) may be stale: reopen once before giving up.
            self._close_backend()
            self._open().write(events)

    def _open(self) -> AuditBackend:
        if self._backend is not None:
            return self._backend
        backend = make_backend(self.settings)
        backend.open()
        self._backend = backend
        logger.info("AUDIT_DB_OPEN %s", backend.description)
        if backend.ephemeral:
            logger.warning(
                "AUDIT_EPHEMERAL %s lives in this instance's temp dir and dies with it; "
                "generate the project with audit_backend=postgres for production",
                backend.description,
            )
        return backend

    def _close_backend(self) -> None:
        backend, self._backend = self._backend, None
        if backend is not None:
            backend.close()

    def _failed(self, exc: Exception, events: Sequence[AuditEvent]) -> None:
        """Called under ``_db_lock``: log the events, degrade, schedule the retry."""
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
        with self._state_lock:
            changed, self._reason = reason != self._reason, reason
            states = self._live_states()
        if changed:
            for state in states:
                state.degrade(FEATURE, reason)

    def _recovered(self) -> None:
        """Called under ``_db_lock`` after a successful write."""
        if not self._failures and not self._reason:
            return
        self._failures = 0
        self._retry_at = 0.0
        with self._state_lock:
            self._reason = ""
            states = self._live_states()
        logger.info("AUDIT_DB_RECOVERED events are stored in the database again")
        for state in states:
            state.recover(FEATURE)

    def _live_states(self) -> list[ServiceState]:
        """Called under ``_state_lock``."""
        return [state for ref in self._states if (state := ref()) is not None]

    def _after_fork(self) -> None:
        """In a forked child: the parent's thread, lock holder and queue are not ours."""
        self._pid = os.getpid()
        self._worker = None
        self._queue.clear()
        self._pending = 0
        self._db_lock = threading.Lock()
        self._backend = None  # the parent's connection: never use (or close) it here


def _close_at_exit(ref: weakref.ref[AuditLogger]) -> None:
    audit = ref()
    if audit is not None:
        audit.close(timeout=5.0)


_instance: AuditLogger | None = None
_instance_lock = threading.Lock()


def get_audit_logger() -> AuditLogger:
    """The logger of this process, with settings from the environment (built once)."""
    global _instance
    with _instance_lock:
        if _instance is None:
            _instance = AuditLogger(load_settings(AuditSettings))
        return _instance


def reset_audit_logger(timeout: float = 5.0) -> None:
    """Close the process logger; the next ``get_audit_logger()`` reads the settings again."""
    global _instance
    with _instance_lock:
        audit, _instance = _instance, None
    if audit is not None:
        audit.close(timeout)
