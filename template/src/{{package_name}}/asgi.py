"""The ASGI vocabulary of the service: types, and a JSON response sent straight over ASGI.

Standard library only, and the lowest layer: middleware, the audit log, the init
app and the entry's error app all use it, and it imports nothing of the package.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def send_json(
    send: Send,
    status: int,
    body: Mapping[str, object],
    headers: Iterable[tuple[bytes, bytes]] = (),
) -> None:
    """A complete JSON response (never cached), for code that answers without a framework."""
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"cache-control", b"no-store"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
