"""What a team adds to a generated project, for the tests that update one."""

from __future__ import annotations

ORDERS_ROUTER = '''\
"""Orders: the team's own router, added after generation."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/orders", tags=["orders"])


@router.get("", summary="List orders")
async def list_orders() -> list[dict[str, str]]:
    return []
'''

ORDERS_TEST = '''\
"""The team's test for its own router."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_orders_start_empty(client: TestClient) -> None:
    response = client.get("/api/orders")
    assert response.status_code == 200
    assert response.json() == []
'''
