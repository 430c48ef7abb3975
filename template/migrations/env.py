"""Alembic's environment: runs on the connection ``db/migrate.py`` opened and locked.

Apply migrations with ``make migrate`` (or the init function), not ``alembic upgrade``:
only ``db/migrate.py`` takes the lock that makes concurrent runs safe.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit(
        "Apply migrations with `make migrate`: it reads the settings and takes the lock."
    )

context.configure(connection=connection, transaction_per_migration=False)
with context.begin_transaction():  # joins the transaction that holds the lock
    context.run_migrations()
