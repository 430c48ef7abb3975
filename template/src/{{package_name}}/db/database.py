"""The service's database: nothing at import or app build, a few connections per instance.

The first request that needs the database imports the driver and connects; the
connection goes back to a small per-instance pool (``database_pool_size``) and the
app's lifespan shutdown closes it. When the database cannot be reached, or its
schema is not migrated yet, callers get ``DatabaseUnavailableError`` (the routes
answer 503), ``/health`` shows ``database`` degraded (it asks ``status()``), and the
next request tries again: the service recovers by itself when the database is back.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from ..settings import Settings
from .driver import Driver, DriverUnavailableError
from .drivers import make_driver

logger = logging.getLogger(__name__)
FEATURE = "database"
_PING_AFTER_SECONDS = 30.0  # an idle connection older than this is checked before use


class DatabaseUnavailableError(RuntimeError):
    """The database cannot serve this request now; the route answers 503."""


class Transaction:
    """One transaction on one connection: ``%s`` placeholders, rows as dicts."""

    def __init__(self, raw: Any, driver: Driver) -> None:
        self._raw = raw
        self._driver = driver

    def _sql(self, sql: str) -> str:
        return sql if self._driver.placeholder == "%s" else sql.replace("%s", "?")

    def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self._raw.execute(self._sql(sql), tuple(params))
        return self._driver.to_dicts(cursor.fetchall())

    def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        found = self.fetch_all(sql, params)
        return found[0] if found else None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; the number of rows it changed."""
        cursor = self._raw.execute(self._sql(sql), tuple(params))
        return int(cursor.rowcount)


class Database:
    """Thread-safe; one per app (``app.state.database``), closed by the app's lifespan."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._driver: Driver | None = None
        self._idle: list[tuple[Any, float]] = []  # (connection, when it was returned)
        self._slots = threading.BoundedSemaphore(settings.database_pool_size)
        self._lock = threading.Lock()
        self._closed = False
        self._reason = ""  # why the last attempt failed; "" once the database answered

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``: what the migrations and the SQL run against."""
        return "postgresql" if self.settings.postgres_url else "sqlite"

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """A transaction: committed when the block ends, rolled back when it raises."""
        driver = self._get_driver()
        if not self._slots.acquire(timeout=driver.wait_seconds):
            raise self._unavailable(TimeoutError("every pooled connection stayed busy"))
        try:
            raw = self._checkout(driver)
            try:
                driver.begin(raw)
                yield Transaction(raw, driver)
                raw.commit()
            except BaseException as exc:
                with contextlib.suppress(Exception):
                    raw.rollback()
                if isinstance(exc, driver.unavailable):
                    self._discard(raw)
                    raise self._unavailable(exc) from exc
                self._checkin(raw)
                raise
            self._checkin(raw)
            self._recovered()
        finally:
            self._slots.release()

    def close(self) -> None:
        """Close every idle connection (the lifespan shutdown calls this); never raises."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for raw, _ in idle:
            self._discard(raw)

    # ------------------------------------------------------------------ pool

    def _checkout(self, driver: Driver) -> Any:
        while True:
            with self._lock:
                if self._closed:
                    raise self._unavailable(RuntimeError("the database was closed"))
                raw, returned = self._idle.pop() if self._idle else (None, 0.0)
            if raw is None:
                try:
                    return driver.connect()
                except driver.unavailable as exc:
                    raise self._unavailable(exc) from exc
            if time.monotonic() - returned < _PING_AFTER_SECONDS or self._alive(raw):
                return raw
            self._discard(raw)  # a pooler or server closed it while the instance slept

    def _checkin(self, raw: Any) -> None:
        with self._lock:
            if not self._closed:
                self._idle.append((raw, time.monotonic()))
                return
        self._discard(raw)

    @staticmethod
    def _alive(raw: Any) -> bool:
        try:
            raw.execute("SELECT 1").fetchall()
            raw.rollback()
        except Exception:
            return False
        return True

    @staticmethod
    def _discard(raw: Any) -> None:
        with contextlib.suppress(Exception):
            raw.close()

    def _get_driver(self) -> Driver:
        if self._driver is None:
            try:
                # The driver is imported now, on first use: /health never pays for it.
                self._driver = make_driver(self.settings)
            except DriverUnavailableError as exc:
                raise self._unavailable(exc) from exc
        return self._driver

    # ------------------------------------------------------------------ health

    def status(self) -> str:
        """Why the database is unusable now ("" when it works): /health asks this."""
        return self._reason

    def _unavailable(self, exc: BaseException) -> DatabaseUnavailableError:
        reason = f"{type(exc).__name__} ({self._describe()})"
        if reason != self._reason:
            self._reason = reason
            logger.warning("FEATURE_DEGRADED feature=%s reason=%s", FEATURE, reason)
        return DatabaseUnavailableError(reason)

    def _recovered(self) -> None:
        if self._reason:
            self._reason = ""
            logger.info("FEATURE_RECOVERED feature=%s", FEATURE)

    def _describe(self) -> str:
        return self._driver.description if self._driver is not None else self.dialect
