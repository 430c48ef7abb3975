"""Drive an ASGI app in-process: no sockets, no server, just the app's own cost.

Runs inside the venv of the app under test (``python asgi_driver.py ...``, cwd =
the project root) and prints one JSON line: requests per second, statuses, and
the app's /health afterwards (to show a feature that silently degraded).
Standard library only, so it runs in any venv.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import sys
import time
from typing import Any


def _scope(method: str, path: str, body: bytes) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"bench")]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


class _Exchange:
    """One request: done when the last body chunk is sent, as a client sees it.

    The app's task may go on after that (the audit middleware waits for its
    event to be stored once the response is out); the client does not wait for
    it, so neither does the clock. Those tasks finish before the process exits.
    """

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.sent = False
        self.status = 0
        self.chunks: list[bytes] = []
        self.complete = asyncio.Event()

    async def receive(self) -> dict[str, Any]:
        if not self.sent:
            self.sent = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        await self.complete.wait()  # the client disconnects only after its response
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                self.complete.set()


async def _request(
    app: Any, method: str, path: str, body: bytes, background: set[asyncio.Task[None]]
) -> tuple[int, bytes]:
    exchange = _Exchange(body)
    task = asyncio.create_task(app(_scope(method, path, body), exchange.receive, exchange.send))
    waiter = asyncio.create_task(exchange.complete.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if not exchange.complete.is_set():
        waiter.cancel()
        task.result()  # the app returned (or raised) without a complete response
        raise RuntimeError(f"{method} {path}: no complete response")
    if not task.done():
        background.add(task)
        task.add_done_callback(background.discard)
    return exchange.status, b"".join(exchange.chunks)


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    sys.path.insert(0, ".")
    module_name, _, attribute = args.app.partition(":")
    app = getattr(importlib.import_module(module_name), attribute)
    body = args.body.encode()
    background: set[asyncio.Task[None]] = set()
    for _ in range(args.warmup):
        await _request(app, args.method, args.path, body, background)
    statuses: dict[int, int] = {}
    start = time.perf_counter()
    for _ in range(args.requests):
        status, _ = await _request(app, args.method, args.path, body, background)
        statuses[status] = statuses.get(status, 0) + 1
    seconds = time.perf_counter() - start
    await asyncio.gather(*background)  # the work left after the responses, outside the clock
    _, health = await _request(app, "GET", "/health", b"", background)
    try:
        health_json = json.loads(health)
    except ValueError:
        health_json = {"raw": health.decode(errors="replace")}
    return {"rps": args.requests / seconds, "statuses": statuses, "health": health_json}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--app", default="api.index:app")
    parser.add_argument("--method", default="GET")
    parser.add_argument("--path", default="/health")
    parser.add_argument("--body", default="")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=100)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(_main(args))))


if __name__ == "__main__":
    main()
