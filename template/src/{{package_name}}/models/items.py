"""The item models: what a client may send, and what the service returns.

Strict JSON types: ``"price": false`` or ``"price": "9.5"`` is a 422, not a silent
conversion. Only finite numbers: ``NaN``, ``Infinity`` and ``1e400`` (which JSON
parsers read as infinity) are refused, so they never reach the database.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

MAX_PRICE = 1_000_000


class ItemIn(BaseModel):
    """What a client sends to create or replace an item."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)

    name: str = Field(min_length=1, max_length=100)
    price: float = Field(ge=0, le=MAX_PRICE, allow_inf_nan=False)
    description: str | None = Field(default=None, max_length=1000)


class Item(ItemIn):
    """An item as stored and returned."""

    id: int
