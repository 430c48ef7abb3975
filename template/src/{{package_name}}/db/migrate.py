"""Apply the Alembic migrations: ``make migrate`` locally, the init function on Vercel.

Idempotent (an up-to-date database is left alone) and safe when two callers race:
every migrator takes the database's own lock before it reads the current revision,
so the second one waits and then finds nothing to do.
- PostgreSQL: a transaction-scoped advisory lock, and every migration in that one
  transaction (DDL is transactional there). It also works through a transaction
  pooler, but the direct URL (``DATABASE_URL_UNPOOLED``) is preferred.
- SQLite: ``BEGIN IMMEDIATE``, SQLite's write lock, held for the whole upgrade.
Waiting is bounded by ``database_migrate_timeout_seconds`` (below the init
function's maxDuration). SQLAlchemy and Alembic are imported here only: the
request path never loads them.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..settings import Settings, get_settings

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

logger = logging.getLogger(__name__)
_LOCK_KEY = 0x6D696772  # "migr": the advisory lock every migrator of this service takes
# Alembic's `context` is process-global: two threads must not run it at once.
_PROCESS_LOCK = threading.Lock()


def upgrade(settings: Settings | None = None) -> str:
    """Bring the schema to the newest revision and return it; raises when it cannot."""
    settings = settings if settings is not None else get_settings()
    timeout = settings.database_migrate_timeout_seconds
    if not _PROCESS_LOCK.acquire(timeout=timeout):
        raise TimeoutError(f"another migration in this process took over {timeout} s")
    try:
        engine = _engine(settings)
        try:
            with engine.begin() as conn, _locked(conn, timeout):
                return _upgrade(conn)
        finally:
            engine.dispose()
    finally:
        _PROCESS_LOCK.release()


def migrations_dir() -> Path:
    """The project's migrations/ folder (from src/<package>/db/): Vercel bundles it with
    the functions, like the rest of the project."""
    return Path(__file__).resolve().parents[3] / "migrations"


def _upgrade(conn: Connection) -> str:
    from alembic import command
    from alembic.config import Config
    from alembic.migration import MigrationContext

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["connection"] = conn  # migrations/env.py runs on it, in our transaction
    command.upgrade(config, "head")
    return str(MigrationContext.configure(conn).get_current_revision())


@contextlib.contextmanager
def _locked(conn: Connection, timeout: int) -> Iterator[None]:
    if conn.dialect.name == "postgresql":
        # SET LOCAL: this transaction only, so a pooled server connection is left clean.
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(timeout)}s'")
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = '{int(timeout)}s'")
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})")
    # SQLite: the engine's BEGIN IMMEDIATE already holds the write lock.
    yield


def _engine(settings: Settings) -> Engine:
    import sqlalchemy
    from sqlalchemy.pool import NullPool

    if settings.migrations_url:
        pg_url = sqlalchemy.make_url(settings.migrations_url)
        pg_url = pg_url.set(drivername="postgresql+psycopg")
        return sqlalchemy.create_engine(
            pg_url,
            poolclass=NullPool,
            connect_args={
                "prepare_threshold": None,  # safe behind a transaction pooler too
                "connect_timeout": getattr(settings, "database_connect_timeout_seconds", 5),
            },
        )
    path = settings.sqlite_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = sqlalchemy.create_engine(
        sqlalchemy.URL.create("sqlite", database=str(path)),
        poolclass=NullPool,
        connect_args={"timeout": settings.database_migrate_timeout_seconds},
    )

    # pysqlite's own transaction handling would commit each CREATE TABLE on its own;
    # take over: one BEGIN IMMEDIATE (the write lock) for the whole upgrade.
    @sqlalchemy.event.listens_for(engine, "connect")
    def _autocommit_driver(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @sqlalchemy.event.listens_for(engine, "begin")
    def _begin_immediate(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def main() -> int:
    """``python -m <package>.db.migrate`` (what ``make migrate`` runs)."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    for name in (__name__, "alembic.runtime.migration"):  # one line per migration applied
        logging.getLogger(name).setLevel(logging.INFO)
    settings = get_settings()
    where = "PostgreSQL" if settings.migrations_url else f"SQLite file {settings.sqlite_path()}"
    try:
        revision = upgrade(settings)
    except Exception as exc:
        logger.error("MIGRATE_FAILED on %s: %s: %s", where, type(exc).__name__, exc)
        return 1
    logger.info("MIGRATE_DONE %s is at revision %s", where, revision)
    return 0


if __name__ == "__main__":
    sys.exit(main())
