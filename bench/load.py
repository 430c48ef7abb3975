"""A bounded HTTP/1.1 load client over loopback: a fixed number of requests, keep-alive.

Used when ``wrk`` is not installed (it is not on a stock Debian image). It runs
in the benchmark's own process on asyncio protocols, with ``concurrency``
connections, and stops after exactly ``requests`` responses.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from .common import HOST


@dataclass
class LoadResult:
    requests: int
    seconds: float
    statuses: dict[int, int]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else float("nan")


class _Connection(asyncio.Protocol):
    """Sends one request, reads one response (Content-Length framed), repeats."""

    def __init__(self, request: bytes, budget: list[int], statuses: dict[int, int], done: asyncio.Future[None]) -> None:
        self.request = request
        self.budget = budget  # shared countdown of requests still to send
        self.statuses = statuses
        self.done = done
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment] - a TCP transport
        self._next()

    def _next(self) -> None:
        if self.transport is None:
            return
        if self.budget[0] <= 0:
            self.transport.close()
            if not self.done.done():
                self.done.set_result(None)
            return
        self.budget[0] -= 1
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end].decode("latin-1").split("\r\n")
            length = None
            for line in head[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if length is None:
                raise RuntimeError(f"response without Content-Length: {head[0]}")
            end = head_end + 4 + length
            if len(self.buffer) < end:
                return
            status = int(head[0].split(" ", 2)[1])
            self.statuses[status] = self.statuses.get(status, 0) + 1
            self.buffer = self.buffer[end:]
            self._next()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            if self.budget[0] > 0:
                self.done.set_exception(exc or ConnectionError("server closed the connection"))
            else:
                self.done.set_result(None)


def build_request(port: int, method: str, path: str, body: bytes = b"", content_type: str = "") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: keep-alive"]
    if body or method in {"POST", "PUT", "PATCH"}:
        lines += [f"Content-Length: {len(body)}", f"Content-Type: {content_type or 'application/json'}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _run(port: int, request: bytes, requests: int, concurrency: int, timeout: float) -> LoadResult:
    loop = asyncio.get_running_loop()
    budget = [requests]
    statuses: dict[int, int] = {}
    done = [loop.create_future() for _ in range(concurrency)]
    start = time.perf_counter()
    transports = []
    for future in done:
        transport, _ = await loop.create_connection(
            lambda f=future: _Connection(request, budget, statuses, f), HOST, port
        )
        transports.append(transport)
    try:
        await asyncio.wait_for(asyncio.gather(*done), timeout)
    finally:
        for transport in transports:
            transport.close()
    return LoadResult(sum(statuses.values()), time.perf_counter() - start, statuses)


def run_load(
    port: int,
    *,
    requests: int,
    concurrency: int = 8,
    method: str = "GET",
    path: str = "/health",
    body: bytes = b"",
    timeout: float = 120.0,
) -> LoadResult:
    """Send exactly ``requests`` requests over ``concurrency`` keep-alive connections."""
    request = build_request(port, method, path, body)
    return asyncio.run(_run(port, request, requests, min(concurrency, requests), timeout))
