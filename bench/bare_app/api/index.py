"""The bare side of the benchmark: FastAPI's hello-world with a /health route.

Like ``tests/fixtures/bare_fastapi`` but the route is ``async def``, as the
generated service's /health is: a sync route runs in a worker thread, and that
thread hop (not middleware) would then dominate the throughput comparison.
"""

from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
