"""The embedded database: a SQLite file, standard library only (imported on first use)."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

from .driver import Driver


def sqlite_driver(path: Path, *, busy_timeout_ms: int) -> Driver:
    def connect() -> sqlite3.Connection:
        """Open the existing, migrated file. Requests never create it: migrations do."""
        # mode=rw: a missing file is an error here, not a new empty database.
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=rw",
            uri=True,
            timeout=busy_timeout_ms / 1000,
            check_same_thread=False,  # a connection serves one request at a time, from any thread
        )
        try:
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            # WAL lets readers run during a write; some file systems cannot do it, and
            # the default journal still works there. NORMAL in WAL survives a crash.
            with contextlib.suppress(sqlite3.DatabaseError):
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        except BaseException:
            conn.close()
            raise
        return conn

    return Driver(
        name="sqlite",
        description=f"sqlite:{path}",
        connect=connect,
        # A missing or unmigrated file ("no such table"), a lock held too long, a full
        # or read-only disk: the database is not usable right now.
        unavailable=(sqlite3.OperationalError,),
        placeholder="?",
        wait_seconds=busy_timeout_ms / 1000,
        to_dicts=_to_dicts,
    )


def _to_dicts(rows: list[Any]) -> list[dict[str, Any]]:
    return [dict(row) for row in rows]
