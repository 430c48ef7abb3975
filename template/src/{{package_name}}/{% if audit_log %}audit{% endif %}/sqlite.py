"""The embedded backend: a SQLite file (WAL, busy timeout), standard library only."""

from __future__ import annotations

import contextlib
import functools
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from .events import COLUMNS, AuditEvent

T = TypeVar("T")
# SQLite's own busy wait cannot be interrupted, so it gets short turns and the busy
# timeout is kept here, where a shutdown deadline (or an interrupt) can end it.
_BUSY_TURN_SECONDS = 0.05

_ROW = f"({', '.join('?' for _ in COLUMNS)})"


@functools.cache
def insert_statement(rows: int) -> str:
    """One INSERT for the whole batch, so a batch costs one call into SQLite.

    A replayed event (same event_id) is skipped, not an error.
    """
    values = ", ".join([_ROW] * rows)
    return (
        f"INSERT INTO audit_log ({', '.join(COLUMNS)}) "  # noqa: S608 - constant column names
        f"VALUES {values} ON CONFLICT (event_id) DO NOTHING"
    )


class SqliteBackend:
    """One connection, used by the logger's worker thread only (under its lock)."""

    def __init__(self, path: Path, *, busy_timeout_ms: int = 5000, ephemeral: bool = False) -> None:
        self.path = path
        self.busy_timeout_ms = busy_timeout_ms
        self.ephemeral = ephemeral
        self._conn: sqlite3.Connection | None = None
        self._interrupted = False

    @property
    def description(self) -> str:
        return f"sqlite:{self.path}"

    @property
    def connect_seconds(self) -> float:
        return _BUSY_TURN_SECONDS

    def open(self, give_up_at: Callable[[], float]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # mode=rw: the service's database file, made by the migrations; never created here.
        conn = sqlite3.connect(
            f"{self.path.resolve().as_uri()}?mode=rw",
            uri=True,
            timeout=_BUSY_TURN_SECONDS,
            isolation_level=None,  # autocommit: each statement is a transaction
            check_same_thread=False,
        )
        try:
            self._patiently(lambda: self._prepare(conn), give_up_at)
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    @staticmethod
    def _prepare(conn: sqlite3.Connection) -> None:
        # WAL lets readers (an operator's query) run during writes; some file
        # systems cannot do it, and the default journal still works there.
        with contextlib.suppress(sqlite3.DatabaseError):
            conn.execute("PRAGMA journal_mode = WAL")
        # In WAL mode NORMAL survives a process crash; only power loss can drop
        # the last commits, and it avoids an fsync per request.
        conn.execute("PRAGMA synchronous = NORMAL")

    def write(self, events: Sequence[AuditEvent], give_up_at: Callable[[], float]) -> None:
        conn = self._conn
        if conn is None:
            raise sqlite3.OperationalError("audit database is not open")
        params = [value for event in events for value in _row(event)]
        # Autocommit: one multi-row INSERT is its own transaction (all rows or none),
        # without a BEGIN and a COMMIT of its own.
        self._patiently(lambda: conn.execute(insert_statement(len(events)), params), give_up_at)

    def interrupt(self) -> None:
        self._interrupted = True

    def _patiently(self, action: Callable[[], T], give_up_at: Callable[[], float]) -> T:
        """Run ``action`` again while another connection holds the lock, until the busy
        timeout, ``give_up_at()`` or an interrupt: then the "database is locked" error."""
        busy_until = time.monotonic() + self.busy_timeout_ms / 1000
        while True:
            try:
                return action()
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or self._interrupted:
                    raise
                if time.monotonic() + _BUSY_TURN_SECONDS > min(busy_until, give_up_at()):
                    raise
                time.sleep(0.005)  # some busy answers come at once, without a wait

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()


def _row(event: AuditEvent) -> tuple[object, ...]:
    data = event.as_dict()
    return tuple(data[column] for column in COLUMNS)
