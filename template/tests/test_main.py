"""The factory and the routes every generated service starts with."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_health_is_ok_when_everything_works(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_items_can_be_created_and_listed(client: TestClient) -> None:
    assert client.get("/api/items").json() == []
    created = client.post("/api/items", json={"name": "  Widget ", "price": 9.5})
    assert created.status_code == 201
    body = created.json()
    assert body["name"] == "Widget"
    assert body["price"] == 9.5
    assert body in client.get("/api/items").json()


def test_invalid_item_is_a_422_json_error(client: TestClient) -> None:
    response = client.post("/api/items", json={"name": "", "price": -1, "extra": True})
    assert response.status_code == 422
    fields = {tuple(error["loc"]) for error in response.json()["detail"]}
    assert {("body", "name"), ("body", "price"), ("body", "extra")} <= fields


def test_unknown_path_is_a_404_json_error(client: TestClient) -> None:
    response = client.get("/no/such/path")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
