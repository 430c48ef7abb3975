"""The items table and the audit log's table.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# SQLite turns only INTEGER PRIMARY KEY into its rowid; PostgreSQL gets a BIGINT identity.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("id", ID, sa.Identity(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
        sa.Column("description", sa.String(1000), nullable=True),
        sqlite_autoincrement=True,  # a deleted item's id is never handed out again
    )
    # Before the migrations existed the audit log created its own table: keep that one.
    if not sa.inspect(op.get_bind()).has_table("audit_log"):
        op.create_table(
            "audit_log",
            sa.Column("id", ID, sa.Identity(), primary_key=True),
            sa.Column("event_id", sa.Text(), nullable=False, unique=True),
            sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("request_id", sa.Text()),
            sa.Column("method", sa.Text(), nullable=False),
            sa.Column("path", sa.Text(), nullable=False),
            sa.Column("status", sa.Integer()),
            sa.Column("client", sa.Text()),
            sa.Column("actor", sa.Text()),
            sa.Column("duration_ms", sa.Float(), nullable=False),
            sqlite_autoincrement=True,
        )
        op.create_index("audit_log_occurred_at", "audit_log", ["occurred_at"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("items")
