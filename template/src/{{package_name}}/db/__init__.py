"""The service's one database (SQLite file or PostgreSQL), shared by the items and the audit log.

``Database`` opens nothing until the first transaction; ``migrate.upgrade()`` applies
the Alembic migrations (``make migrate`` locally, the init function on Vercel).
Requests never create tables.
"""

from __future__ import annotations

from .database import Database, DatabaseUnavailableError, Transaction

__all__ = ["Database", "DatabaseUnavailableError", "Transaction"]
