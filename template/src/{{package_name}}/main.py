"""The app factory: everything that can fail happens here, when the app is built.

``api/index.py`` calls ``create_app()`` on the first request (never at import
time). Tests call it directly with their own ``Settings``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .db import Database
from .db.errors import install_database_errors
from .logging_setup import configure_logging
from .middleware import REGISTRY, MiddlewareEntry, install_middleware
from .middleware.errors import install_exception_handler
from .project import DESCRIPTION, PROJECT_NAME
from .routers import health, items
from .settings import Settings, env_name, get_settings
from .state import ServiceState
from .validation_errors import install_validation_handler


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open per-process resources before ``yield`` (or lazily), close them after it.

    ``api/index.py`` runs this when it builds the app, and the part after ``yield``
    when the server stops. Features register what they opened in ``closers`` (the
    audit log flushes its queue there); add your own with ``closers.add(...)``, or
    open and close it right here. To hand a resource to requests, ``yield {"name":
    resource}`` and read ``request.state.name``.
    """
    service: ServiceState = app.state.service
    settings: Settings = app.state.settings
    try:
        yield
    finally:
        # In a thread: closing may wait on a database, and requests still finishing
        # on this event loop must not wait with it.
        await asyncio.to_thread(service.closers.close_all, settings.shutdown_timeout_seconds)


def create_app(
    settings: Settings | None = None, *, registry: Sequence[MiddlewareEntry] = REGISTRY
) -> FastAPI:
    """Build the service. Optional features degrade; critical ones fail closed.

    ``registry`` is the middleware to install (tests pass their own entries).
    """
    settings = settings if settings is not None else get_settings()
    configure_logging(settings.log_level)
    state = ServiceState()
    for field in settings.invalid_fields:
        state.degrade(f"settings.{field}", f"invalid value in {env_name(field)}; default used")

    docs = settings.docs_enabled
    app = FastAPI(
        title=PROJECT_NAME,
        description=DESCRIPTION,
        debug=False,  # Starlette's debug pages leak tracebacks; our errors never do.
        docs_url="/docs" if docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.service = state
    # Built, not opened: the first request that needs it connects (never /health).
    database = Database(settings)
    app.state.database = database
    state.watch("database", database.status)
    # Registered first, so closed last: the audit log (its closer is added with the
    # middleware) flushes before the connections go.
    state.closers.add("database", lambda _timeout: database.close())

    app.include_router(health.router)
    app.include_router(items.router, prefix="/api")
    install_middleware(app, settings, state, registry)
    install_database_errors(app)
    install_exception_handler(app, settings.debug)
    install_validation_handler(app)
    return app
