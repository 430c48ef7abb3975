"""A sample resource to copy from: validated models in, JSON out.

The store is per process (serverless instances come and go): replace it with your
database before relying on it.
"""

from __future__ import annotations

import itertools
import threading
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, ConfigDict, Field

router = APIRouter(prefix="/items", tags=["items"])


class ItemIn(BaseModel):
    """What a client sends to create an item."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100)
    price: float = Field(ge=0, le=1_000_000)
    description: str | None = Field(default=None, max_length=1000)


class Item(ItemIn):
    """An item as stored and returned."""

    id: int


class ItemStore:
    """In-memory, thread-safe store; one per app (``app.state.item_store``)."""

    def __init__(self) -> None:
        self._items: dict[int, Item] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def list(self) -> list[Item]:
        with self._lock:
            return list(self._items.values())

    def add(self, item: ItemIn) -> Item:
        with self._lock:
            created = Item(id=next(self._ids), **item.model_dump())
            self._items[created.id] = created
            return created


def get_item_store(request: Request) -> ItemStore:
    """The app's store; routes receive it through ``Depends`` (tests can override it)."""
    store: ItemStore = request.app.state.item_store
    return store


ItemStoreDep = Annotated[ItemStore, Depends(get_item_store)]


@router.get("", summary="List items")
async def list_items(store: ItemStoreDep) -> list[Item]:
    return store.list()


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create an item")
async def create_item(item: ItemIn, store: ItemStoreDep) -> Item:
    return store.add(item)
