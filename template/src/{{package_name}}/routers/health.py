"""GET /health: is the service whole, degraded, or refusing requests (and why, by name)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..state import ServiceState

router = APIRouter(tags=["health"])


@router.get("/health", summary="Service health")
async def health(request: Request) -> JSONResponse:
    state: ServiceState = request.app.state.service
    status_code, body = state.health()
    return JSONResponse(body, status_code=status_code, headers={"Cache-Control": "no-store"})
