"""The audit logger: a queue and one worker thread, so events are stored after the response.

The request's task hands its event to the queue and never waits for the database;
the worker gives whatever is waiting to the store (``store.py``) as one batch, so
concurrent requests share a transaction. Events the store cannot take go to the
log stream there; a full queue or a closed logger sends them there at once.
Building a logger does no I/O and starts no thread: the worker starts with the
first event.
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

from ..settings import Settings
from .events import AuditEvent
from .fallback import to_log_stream
from .store import AbandonedError, AuditStore
from .waiters import Waiter, notify, set_all

logger = logging.getLogger(__name__)
_LINGER_SECONDS = 0.002
_BATCH = 100  # 100 rows x 9 columns stays under the oldest SQLite limit of 999 parameters
# Of a shutdown's time, kept back from the database to log the events it did not take.
_LOG_RESERVE_SECONDS = 0.5


class AuditLogger:
    """Thread- and async-safe; one per app (the middleware registry builds it)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = AuditStore(settings)
        # Only where the instance may be frozen right after the response (Vercel) does
        # the request's task wait for its event; elsewhere the writer outlives it.
        self.wait_seconds = settings.audit_wait_ms / 1000 if settings.vercel else 0.0
        self._cond = threading.Condition()
        self._queue: collections.deque[tuple[AuditEvent, Waiter]] = collections.deque()
        self._pending = 0
        self._worker: threading.Thread | None = None
        self._in_flight: list[tuple[AuditEvent, Waiter]] = []  # the worker's batch
        self._closed = False
        self._stopped = False  # the shutdown took what was left: the worker takes no more
        self._pid = os.getpid()

    def status(self) -> str:
        """Why events are not reaching the database ("" when they are), for /health."""
        return self.store.status()

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

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued event is stored or logged; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Store what is queued, or log it, all within ``timeout`` seconds; then release
        the database. Every event accepted before ends up in exactly one of the two.

        One deadline bounds everything, retries included: the store gives up every
        database wait by it (less a moment kept to log what is left), the worker is
        interrupted if it still waits, and what it did not reach is logged here.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            worker = self._worker
        self.store.shut_down_by(deadline - min(_LOG_RESERVE_SECONDS, timeout / 4))
        if worker is not None and worker is not threading.current_thread():
            worker.join(max(0.0, deadline - time.monotonic() - _LOG_RESERVE_SECONDS))
            if worker.is_alive():  # still inside a database call: make it give up
                self.store.interrupt()
                worker.join(max(0.0, deadline - time.monotonic()))
        with self._cond:  # events the worker never took: they are ours to log
            self._stopped = True
            taken = list(self._queue)
            self._queue.clear()
            if worker is not None and worker.is_alive() and self.store.abandon():
                # Still connecting: it will never write its batch, so log it here.
                taken, self._in_flight = [*self._in_flight, *taken], []
            self._pending -= len(taken)
        left = [event for event, _ in taken]
        waiters = [waiter for _, waiter in taken]
        if left:
            to_log_stream(left, "audit logger closed")
            notify(waiters, stored=False)
        if worker is not None and worker.is_alive() and self._in_flight:
            logger.error(
                "AUDIT_SHUTDOWN_STUCK the writer did not return within %gs; "
                "its batch in progress may be lost",
                timeout,
            )
        self.store.close(max(0.0, deadline - time.monotonic()))

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
                if not self._queue or self._stopped:
                    return
                linger = len(self._queue) < _BATCH and not self._closed
            if linger:
                # Let a few more events arrive: one write for many events costs the
                # requests being served far less than one write each.
                time.sleep(_LINGER_SECONDS)
            with self._cond:
                if self._stopped:
                    return
                count = min(len(self._queue), _BATCH)
                batch = self._in_flight = [self._queue.popleft() for _ in range(count)]
            events = [event for event, _ in batch]
            try:
                stored = self.store.write(events)
            except AbandonedError:
                return  # the shutdown took the batch (and logged it)
            except BaseException:  # never drop events held by a dying worker
                to_log_stream(events, "audit writer error")
                stored = False
                logger.exception("AUDIT_WRITER_ERROR")
            notify([waiter for _, waiter in batch], stored)
            with self._cond:
                self._in_flight = []
                self._pending -= len(batch)
                self._cond.notify_all()

    def _after_fork(self) -> None:
        """In a forked child: the parent's thread, queue and connection are not ours."""
        self._pid = os.getpid()
        self._worker = None
        self._queue.clear()
        self._in_flight = []
        self._pending = 0
        self.store.forget_after_fork()


def _close_at_exit(ref: weakref.ref[AuditLogger]) -> None:
    """Interpreter exit without a lifespan shutdown (a script, Ctrl-C): the same deadline."""
    audit = ref()
    if audit is not None:
        audit.close(audit.settings.shutdown_timeout_seconds)
