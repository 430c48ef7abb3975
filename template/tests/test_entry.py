"""The Vercel entry: imports with nothing, builds once, and fails safe."""

from __future__ import annotations

import asyncio
import importlib
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.index import LazyApp

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# Counters for the factories below, which LazyApp loads by "module:name".
calls = {"slow": 0}
LEAKY_MESSAGE = "db password is hunter2 at /srv/secret/path"


def broken_factory() -> Any:
    raise RuntimeError(LEAKY_MESSAGE)


def slow_factory() -> Any:
    calls["slow"] += 1
    time.sleep(0.2)  # wide window for a second builder to slip in

    async def hello(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return  # no lifespan support: the ASGI way to say so
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"built"})

    return hello


def _client(app: LazyApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.mark.subprocess
def test_entry_imports_with_an_empty_environment_and_without_fastapi() -> None:
    code = "import sys, api.index; assert 'fastapi' not in sys.modules, 'fastapi imported'; print(type(api.index.app).__name__)"
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, '.'); {code}"],
        cwd=PROJECT_ROOT,
        env={},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "LazyApp"


def test_app_is_built_on_first_request_not_at_import() -> None:
    app = LazyApp(f"{__name__}:slow_factory", env_prefix="TEST_")
    assert not app.built

    async def scenario() -> httpx.Response:
        async with _client(app) as client:
            return await client.get("/")

    response = asyncio.run(scenario())
    assert response.status_code == 200
    assert app.built


def test_concurrent_first_requests_build_the_app_once() -> None:
    calls["slow"] = 0
    app = LazyApp(f"{__name__}:slow_factory", env_prefix="TEST_")
    results: list[int] = []

    def one_request() -> None:
        async def go() -> int:
            async with _client(app) as client:
                return (await client.get("/")).status_code

        results.append(asyncio.run(go()))

    threads = [threading.Thread(target=one_request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 8
    assert calls["slow"] == 1


def test_build_failure_serves_503_without_the_exception_text(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("TEST_DEBUG", raising=False)
    app = LazyApp(f"{__name__}:broken_factory", env_prefix="TEST_")

    async def scenario() -> tuple[httpx.Response, httpx.Response]:
        async with _client(app) as client:
            return await client.get("/health"), await client.post("/api/items", json={})

    health, other = asyncio.run(scenario())
    assert health.status_code == 503
    assert health.json()["status"] == "error"
    error_id = health.json()["error_id"]
    assert error_id
    assert other.status_code == 503
    assert other.json() == {"detail": "Service Unavailable", "error_id": error_id}
    for response in (health, other):
        assert "hunter2" not in response.text
        assert "RuntimeError" not in response.text
    # The operator gets everything: the id and the traceback, in the log.
    assert error_id in caplog.text
    assert LEAKY_MESSAGE in caplog.text


def test_build_failure_shows_the_error_only_in_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_DEBUG", "true")
    app = LazyApp(f"{__name__}:broken_factory", env_prefix="TEST_")

    async def scenario() -> httpx.Response:
        async with _client(app) as client:
            return await client.get("/anything")

    assert LEAKY_MESSAGE in asyncio.run(scenario()).json()["error"]


def test_failed_build_is_retried_only_after_the_cooldown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_BUILD_RETRY_SECONDS", "60")
    attempts = {"n": 0}

    def flaky() -> Any:
        attempts["n"] += 1
        raise RuntimeError("not yet")

    monkeypatch.setattr(sys.modules[__name__], "flaky_factory", flaky, raising=False)
    app = LazyApp(f"{__name__}:flaky_factory", env_prefix="TEST_")

    async def scenario() -> None:
        async with _client(app) as client:
            for _ in range(5):
                assert (await client.get("/")).status_code == 503

    asyncio.run(scenario())
    assert attempts["n"] == 1
    app._retry_at = 0.0  # the cooldown has passed
    asyncio.run(scenario())
    assert attempts["n"] == 2


def test_lifespan_startup_never_fails_even_when_the_app_cannot_be_built() -> None:
    app = LazyApp(f"{__name__}:broken_factory", env_prefix="TEST_")
    sent: list[dict[str, Any]] = []
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert not app.built


def test_the_real_entry_serves_health() -> None:
    from api.index import app

    async def scenario() -> httpx.Response:
        async with _client(app) as client:
            return await client.get("/health")

    response = asyncio.run(scenario())
    assert response.status_code == 200
    assert json.loads(response.text) == {"status": "ok"}


def _refusal(app: LazyApp) -> httpx.Response:
    async def scenario() -> httpx.Response:
        async with _client(app) as client:
            return await client.get("/api/items")

    return asyncio.run(scenario())


def test_the_503_is_sent_by_the_services_json_sender_once_the_package_is_loaded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from api.index import app as real_entry

    package = real_entry.factory.partition(".")[0]
    asgi = importlib.import_module(f"{package}.asgi")
    sent: list[int] = []
    real_send_json = asgi.send_json

    async def recording_send_json(*args: Any) -> None:
        sent.append(args[1])
        await real_send_json(*args)

    monkeypatch.setattr(asgi, "send_json", recording_send_json)
    response = _refusal(LazyApp(f"{package}.main:no_such_factory", env_prefix="TEST_"))

    assert response.status_code == 503
    assert sent == [503]


def test_a_package_that_cannot_be_imported_still_gets_the_json_503(tmp_path: Path) -> None:
    package = tmp_path / "unimportable_service"
    package.mkdir()
    (package / "__init__.py").write_text("raise RuntimeError('a variable is missing')\n")
    (package / "asgi.py").write_text("raise AssertionError('never imported by the entry')\n")
    sys.path.insert(0, str(tmp_path))
    try:
        response = _refusal(LazyApp("unimportable_service.main:create_app", env_prefix="TEST_"))
    finally:
        sys.path.remove(str(tmp_path))

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/json"
    assert response.json()["detail"] == "Service Unavailable"
    assert len(response.json()["error_id"]) == 32
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert int(response.headers["retry-after"]) >= 1
