"""Guarded middleware registration: optional features degrade, security fails closed.

Each middleware is declared once in ``REGISTRY`` (outermost first) with a name and
whether it is critical. Importing its module and constructing it are guarded:

* an optional middleware that fails is skipped, logged, and shown degraded on /health;
* a critical one that fails installs ``FailClosedMiddleware``: every path but
  /health answers 503, so no request is served without a guard that should be there.
"""

from __future__ import annotations

import importlib
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .types import Receive, Scope, Send

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ..settings import Settings
    from ..state import ServiceState

logger = logging.getLogger(__name__)
_SERVICE_PACKAGE = __name__.rpartition(".")[0]

# Builds the keyword arguments for the middleware's __init__ (besides ``app``).
OptionsFactory = Callable[["Settings", "ServiceState"], dict[str, Any]]


@dataclass(frozen=True)
class MiddlewareSpec:
    """One middleware, named by strings so that importing it happens inside the guard.

    ``target`` is "module:Class" and ``options`` (optional) "module:function",
    both relative to the service package; the function takes ``(settings, state)``
    and returns the keyword arguments of the class (besides ``app``).
    """

    name: str
    target: str
    critical: bool
    options: str | None = None


async def _probe_app(scope: Scope, receive: Receive, send: Send) -> None:  # pragma: no cover
    """Stand-in inner app used to construct a middleware once, to catch errors early."""


def _resolve(target: str) -> Any:
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(f".{module_name}", package=_SERVICE_PACKAGE)
    return getattr(module, attribute)


def _load(
    spec: MiddlewareSpec, settings: Settings, state: ServiceState
) -> tuple[type[Any], dict[str, Any]]:
    middleware_class: type[Any] = _resolve(spec.target)
    options_factory: OptionsFactory | None = _resolve(spec.options) if spec.options else None
    options = options_factory(settings, state) if options_factory else {}
    # Starlette builds middleware lazily, on the first request, where a failure
    # could not be attributed or guarded: build it once now to find out.
    middleware_class(_probe_app, **options)
    return middleware_class, options


def install_middleware(
    app: FastAPI,
    settings: Settings,
    state: ServiceState,
    registry: tuple[MiddlewareSpec, ...] | None = None,
) -> None:
    """Add every enabled middleware of ``registry`` (default: REGISTRY), guarded."""
    from .registry import REGISTRY

    specs = REGISTRY if registry is None else registry
    loaded: list[tuple[type[Any], dict[str, Any]]] = []
    for spec in specs:
        try:
            loaded.append(_load(spec, settings, state))
        except Exception as exc:
            logger.error("middleware %s failed to build:\n%s", spec.name, traceback.format_exc())
            reason = f"{type(exc).__name__} while building middleware"
            if spec.critical:
                state.fail(spec.name, reason)
            else:
                state.degrade(spec.name, reason)
    if state.failed:
        from .fail_closed import FailClosedMiddleware

        # Innermost, so the working outer middleware (headers, CORS) still wrap its 503.
        loaded.append((FailClosedMiddleware, {"state": state}))
    # add_middleware prepends: add innermost first so REGISTRY order is outermost-first.
    for middleware_class, options in reversed(loaded):
        app.add_middleware(middleware_class, **options)
