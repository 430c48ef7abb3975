"""The entry runs the app's lifespan: startup inside the build's guard, shutdown once.

In-process tests drive the ASGI lifespan protocol the way uvicorn does; the last
ones run a real uvicorn process and stop it with real signals.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator, MutableMapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from api.index import LazyApp
from tests.lifespan_probe import SECRET_TEXT, count_marks

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PREFIX = "LIFESPAN_TEST_"
PROBE_FACTORY = "tests.lifespan_probe:create_app"

# What the factories below did, for the tests to check.
events: list[str] = []
release = threading.Event()


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    events.clear()
    release.clear()
    for name in list(os.environ):
        if name.startswith(PREFIX):
            monkeypatch.delenv(name)
    yield
    release.set()  # let a factory that still hangs finish


@asynccontextmanager
async def resource_lifespan(_app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    events.append("open")
    try:
        yield {"resource": {"name": "pool"}, "counter": [0]}
    finally:
        events.append("close")


def resource_factory() -> FastAPI:
    app = FastAPI(lifespan=resource_lifespan)

    @app.get("/resource")
    async def read(request: Request) -> dict[str, Any]:
        request.state.visited = True  # per request: the next one must not see it
        counter: list[int] = request.state.counter
        counter[0] += 1  # shared objects stay shared (a shallow copy, as in uvicorn)
        return {**request.state.resource, "count": counter[0]}

    @app.get("/visited")
    async def visited(request: Request) -> dict[str, bool]:
        return {"visited": hasattr(request.state, "visited")}

    return app


@asynccontextmanager
async def hanging_lifespan(_app: FastAPI) -> AsyncIterator[None]:
    events.append("open")
    try:
        await asyncio.sleep(3600)
        yield
    finally:
        events.append("close")


def hanging_lifespan_factory() -> FastAPI:
    return FastAPI(lifespan=hanging_lifespan)


def hanging_factory() -> FastAPI:
    events.append("factory")
    release.wait(30)  # stuck, as on a DNS lookup with no timeout
    return FastAPI()


@asynccontextmanager
async def slow_shutdown_lifespan(_app: FastAPI) -> AsyncIterator[None]:
    yield
    events.append("shutdown started")
    await asyncio.sleep(3600)


def slow_shutdown_factory() -> FastAPI:
    return FastAPI(lifespan=slow_shutdown_lifespan)


# Set by a request (a server's request context, a request id a middleware keeps).
request_tag: contextvars.ContextVar[str] = contextvars.ContextVar("request_tag", default="none")


@asynccontextmanager
async def context_lifespan(_app: FastAPI) -> AsyncIterator[None]:
    events.append(f"startup sees {request_tag.get()}")
    yield
    events.append(f"shutdown sees {request_tag.get()}")


def context_factory() -> FastAPI:
    return FastAPI(lifespan=context_lifespan)


def failing_startup_factory() -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "lifespan"
        await receive()
        await send({"type": "lifespan.startup.failed", "message": SECRET_TEXT})

    return app


@asynccontextmanager
async def served(app: LazyApp) -> AsyncIterator[httpx.AsyncClient]:
    """Lifespan startup, requests, lifespan shutdown: what a server does, in one loop."""
    inbox: asyncio.Queue[MutableMapping[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[MutableMapping[str, Any]] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(app(scope, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    assert (await outbox.get())["type"] == "lifespan.startup.complete"
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
    await inbox.put({"type": "lifespan.shutdown"})
    assert (await asyncio.wait_for(outbox.get(), 10))["type"] == "lifespan.shutdown.complete"
    await task


def lazy(factory: str) -> LazyApp:
    return LazyApp(f"{__name__}:{factory}", env_prefix=PREFIX)


def test_lifespan_state_reaches_requests_and_shutdown_closes_it_once() -> None:
    app = lazy("resource_factory")

    async def scenario() -> list[httpx.Response]:
        async with served(app) as client:
            return [await client.get(path) for path in ("/resource", "/resource", "/visited")]

    first, second, visited = asyncio.run(scenario())
    assert first.json() == {"name": "pool", "count": 1}
    assert second.json() == {"name": "pool", "count": 2}
    assert visited.json() == {"visited": False}
    assert events == ["open", "close"]


def test_a_request_body_reaches_the_built_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROBE_DIR", str(tmp_path))
    app = LazyApp(PROBE_FACTORY, env_prefix=PREFIX)
    body = os.urandom(70_000)  # more than one chunk of a real server's receive()

    async def scenario() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            return await client.post("/echo", content=body)

    response = asyncio.run(scenario())
    assert (response.status_code, response.content) == (200, body)


def test_a_startup_that_reports_failure_is_a_503_without_its_text() -> None:
    app = lazy("failing_startup_factory")

    async def scenario() -> httpx.Response:
        async with served(app) as client:
            return await client.get("/health")

    response = asyncio.run(scenario())
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["error_id"]
    assert SECRET_TEXT not in response.text


def test_a_hanging_lifespan_startup_times_out_and_what_it_opened_is_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(f"{PREFIX}BUILD_TIMEOUT_SECONDS", "0.3")
    app = lazy("hanging_lifespan_factory")

    async def scenario() -> tuple[httpx.Response, float, list[str]]:
        async with served(app) as client:
            started = time.monotonic()
            response = await client.get("/health")
            return response, time.monotonic() - started, list(events)

    response, waited, seen = asyncio.run(scenario())
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert int(response.headers["retry-after"]) >= 1
    assert waited < 3
    assert seen == ["open", "close"]  # closed before the 503 went out


def test_a_hanging_factory_gets_503s_and_the_log_shows_where_it_hangs(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(f"{PREFIX}BUILD_TIMEOUT_SECONDS", "0.3")
    monkeypatch.setenv(f"{PREFIX}BUILD_RETRY_SECONDS", "0.1")
    app = lazy("hanging_factory")

    async def scenario() -> list[httpx.Response]:
        async with served(app) as client:
            first = await client.get("/api/items")
            await asyncio.sleep(0.2)  # the cooldown is over, but the factory still hangs
            return [first, await client.get("/health")]

    items, health = asyncio.run(scenario())
    assert items.status_code == 503
    assert items.json()["detail"] == "Service Unavailable"
    assert int(items.headers["retry-after"]) >= 1
    assert health.status_code == 503
    assert health.json()["status"] in {"starting", "error"}
    assert events == ["factory"]  # never a second factory behind the stuck one
    assert "APP_BUILD_HUNG" in caplog.text
    assert "in hanging_factory" in caplog.text


def test_shutdown_is_bounded_when_the_apps_shutdown_hangs(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(f"{PREFIX}SHUTDOWN_TIMEOUT_SECONDS", "0.2")
    app = lazy("slow_shutdown_factory")
    started = 0.0

    async def scenario() -> None:
        nonlocal started
        async with served(app) as client:
            assert (await client.get("/openapi.json")).status_code == 200
            started = time.monotonic()

    asyncio.run(scenario())
    assert time.monotonic() - started < 3
    assert events == ["shutdown started"]
    assert "APP_SHUTDOWN_TIMEOUT" in caplog.text


def test_a_second_shutdown_does_not_run_the_apps_shutdown_again() -> None:
    app = lazy("resource_factory")

    async def scenario() -> None:
        async with served(app) as client:
            assert (await client.get("/resource")).status_code == 200
        async with served(app):
            pass

    asyncio.run(scenario())
    assert events == ["open", "close"]


def test_the_apps_lifespan_does_not_run_in_the_first_requests_context() -> None:
    """The lifespan outlives the request that built the app: what that request set in
    its context (a request id for the logs) must not follow the app's startup and
    shutdown."""
    app = lazy("context_factory")

    async def first_request(client: httpx.AsyncClient) -> httpx.Response:
        request_tag.set("request-1")
        return await client.get("/openapi.json")

    async def scenario() -> None:
        async with served(app) as client:
            # Its own task, as a server runs each request: the tag stays in its context.
            response = await asyncio.create_task(first_request(client))
            assert response.status_code == 200

    asyncio.run(scenario())
    assert events == ["startup sees none", "shutdown sees none"]


# --- a real uvicorn process -------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def uvicorn_serving(tmp_path: Path, failures: int) -> Iterator[tuple[subprocess.Popen[str], str]]:
    (tmp_path / "probe_entry.py").write_text(
        "from api.index import LazyApp\n\n"
        f'app = LazyApp("{PROBE_FACTORY}", env_prefix="{PREFIX}")\n'
    )
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(PROJECT_ROOT)]),
        "PROBE_DIR": str(tmp_path),
        "PROBE_FAILURES": str(failures),
        f"{PREFIX}BUILD_RETRY_SECONDS": "0.5",
    }
    command = [sys.executable, "-m", "uvicorn", "probe_entry:app", "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _request(url: str, body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method="POST" if body else "GET")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.mark.subprocess
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_under_uvicorn_a_failed_startup_is_retried_and_shutdown_runs_once(
    tmp_path: Path, stop: signal.Signals
) -> None:
    with uvicorn_serving(tmp_path, failures=1) as (process, base):
        status, _, failed = _request(f"{base}/resource")
        time.sleep(0.6)  # the cooldown (BUILD_RETRY_SECONDS=0.5)
        retried = _request(f"{base}/resource")
        echoed = _request(f"{base}/echo", body=b"hello through the lazy entry")
        process.send_signal(stop)
        _, logs = process.communicate(timeout=30)

    assert status == 503
    assert SECRET_TEXT not in failed.decode()
    error_id = httpx.Response(503, content=failed).json()["error_id"]
    assert f"APP_BUILD_FAILED error_id={error_id}" in logs
    assert (retried[0], retried[2]) == (200, b'{"opened_on_attempt":2}')
    assert (echoed[0], echoed[2]) == (200, b"hello through the lazy entry")
    assert count_marks(tmp_path, "startup") == 2
    assert count_marks(tmp_path, "shutdown") == 1, logs
