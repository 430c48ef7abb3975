"""The embedded backend: a SQLite file (WAL, busy timeout), standard library only."""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from .events import COLUMNS, AuditEvent

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    occurred_at TEXT NOT NULL,
    request_id TEXT,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER,
    client TEXT,
    actor TEXT,
    duration_ms REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_occurred_at ON audit_log (occurred_at);
"""
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

    @property
    def description(self) -> str:
        return f"sqlite:{self.path}"

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            self.path,
            timeout=self.busy_timeout_ms / 1000,
            isolation_level=None,  # autocommit: each statement is a transaction
            check_same_thread=False,
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            # WAL lets readers (an operator's query) run during writes; some file
            # systems cannot do it, and the default journal still works there.
            with contextlib.suppress(sqlite3.DatabaseError):
                conn.execute("PRAGMA journal_mode = WAL")
            # In WAL mode NORMAL survives a process crash; only power loss can drop
            # the last commits, and it avoids an fsync per request.
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.executescript(_SCHEMA)
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def write(self, events: Sequence[AuditEvent]) -> None:
        if self._conn is None:
            raise sqlite3.OperationalError("audit database is not open")
        params = [value for event in events for value in _row(event)]
        # Autocommit: one multi-row INSERT is its own transaction (all rows or none),
        # without a BEGIN and a COMMIT of its own.
        self._conn.execute(insert_statement(len(events)), params)

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()


def _row(event: AuditEvent) -> tuple[object, ...]:
    data = event.as_dict()
    return tuple(data[column] for column in COLUMNS)
