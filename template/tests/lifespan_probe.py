"""A user's app for the entry's lifespan tests (not a test module).

Its lifespan opens a resource that a route reads through ``request.state``, can be
told to fail its first startups, and leaves one line per startup and per shutdown
in ``$PROBE_DIR`` so a test can count them across processes: under uvicorn here,
and under Vercel's runtime in the template's own tests.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response

# The text of the planted startup failure: it must never reach a client.
SECRET_TEXT = "lifespan secret 5e1f at /srv/private"  # noqa: S105 - not a credential


def mark(name: str) -> int:
    """Add a line to ``$PROBE_DIR/<name>``; return how many it has now."""
    path = Path(os.environ["PROBE_DIR"], name)
    with path.open("a", encoding="utf-8") as marks:
        marks.write(f"{os.getpid()}\n")
    return count_marks(path.parent, name)


def count_marks(directory: Path, name: str) -> int:
    path = directory / name
    return len(path.read_text(encoding="utf-8").splitlines()) if path.exists() else 0


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    attempt = mark("startup")
    if attempt <= int(os.environ.get("PROBE_FAILURES", "0")):
        raise RuntimeError(SECRET_TEXT)
    resource = {"opened_on_attempt": attempt}
    try:
        yield {"resource": resource}
    finally:
        mark("shutdown")


def create_app() -> FastAPI:
    app = FastAPI(lifespan=lifespan)

    @app.get("/resource")
    async def read_resource(request: Request) -> dict[str, Any]:
        resource: dict[str, Any] = request.state.resource
        return resource

    @app.post("/echo")
    async def echo(request: Request) -> Response:
        return Response(await request.body(), media_type="application/octet-stream")

    return app
