"""The items' data access: every SQL statement about items, in one small module.

Routes depend on ``ItemRepository`` (``Annotated[ItemRepository, Depends(...)]``),
so a test can hand them another one. SQL uses ``%s`` placeholders on both SQLite
and PostgreSQL; each method is one short transaction.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..db import Database
from ..models.items import Item, ItemIn

# Constant SQL, values always as parameters (%s): nothing from a request is ever
# formatted into a statement.
_COLUMNS = "id, name, price, description"
_LIST = f"SELECT {_COLUMNS} FROM items ORDER BY id LIMIT %s OFFSET %s"  # noqa: S608
_GET = f"SELECT {_COLUMNS} FROM items WHERE id = %s"  # noqa: S608
_INSERT = f"INSERT INTO items (name, price, description) VALUES (%s, %s, %s) RETURNING {_COLUMNS}"  # noqa: S608
_UPDATE = (
    "UPDATE items SET name = %s, price = %s, description = %s "  # noqa: S608
    f"WHERE id = %s RETURNING {_COLUMNS}"
)
_DELETE = "DELETE FROM items WHERE id = %s"


class ItemRepository:
    def __init__(self, database: Database) -> None:
        self.database = database

    def list(self, *, limit: int, offset: int) -> list[Item]:
        with self.database.transaction() as tx:
            rows = tx.fetch_all(_LIST, (limit, offset))
        return [Item.model_validate(row) for row in rows]

    def get(self, item_id: int) -> Item | None:
        with self.database.transaction() as tx:
            row = tx.fetch_one(_GET, (item_id,))
        return None if row is None else Item.model_validate(row)

    def add(self, item: ItemIn) -> Item:
        with self.database.transaction() as tx:
            row = tx.fetch_one(_INSERT, (item.name, item.price, item.description))
        assert row is not None  # noqa: S101 - INSERT ... RETURNING always returns the row
        return Item.model_validate(row)

    def replace(self, item_id: int, item: ItemIn) -> Item | None:
        with self.database.transaction() as tx:
            row = tx.fetch_one(_UPDATE, (item.name, item.price, item.description, item_id))
        return None if row is None else Item.model_validate(row)

    def delete(self, item_id: int) -> bool:
        with self.database.transaction() as tx:
            return tx.execute(_DELETE, (item_id,)) > 0


def get_database(request: Request) -> Database:
    """The app's database (built by ``create_app``, opened on first use)."""
    database: Database = request.app.state.database
    return database


def get_item_repository(database: Annotated[Database, Depends(get_database)]) -> ItemRepository:
    return ItemRepository(database)


Items = Annotated[ItemRepository, Depends(get_item_repository)]
