"""The sample resource: list (paginated), create, read, replace and delete items.

A template for your own routes: validated models in and out, the data access
injected with ``Depends``, plain ``def`` handlers (FastAPI runs them in its thread
pool, so the blocking database driver never stalls the event loop). A database
that is down answers 503 JSON (see ``db/errors.py``), never 500.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Response, status

from ..models.items import Item, ItemIn
from ..repositories.items import Items

router = APIRouter(prefix="/items", tags=["items"])

# Ids the database can hold (BIGINT): a larger one is a 422, never a driver error.
ItemId = Annotated[int, Path(ge=1, le=2**63 - 1)]
NOT_FOUND = "Item not found"


@router.get("", summary="List items, oldest first")
def list_items(
    items: Items,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> list[Item]:
    return items.list(limit=limit, offset=offset)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create an item")
def create_item(items: Items, item: ItemIn) -> Item:
    return items.add(item)


@router.get("/{item_id}", summary="Read an item")
def read_item(items: Items, item_id: ItemId) -> Item:
    found = items.get(item_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return found


@router.put("/{item_id}", summary="Replace an item")
def replace_item(items: Items, item_id: ItemId, item: ItemIn) -> Item:
    replaced = items.replace(item_id, item)
    if replaced is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return replaced


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete an item")
def delete_item(items: Items, item_id: ItemId) -> Response:
    if not items.delete(item_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
