"""The middleware of this service, outermost first. Declare each one here, once."""

from __future__ import annotations

from . import MiddlewareSpec

REGISTRY: tuple[MiddlewareSpec, ...] = ()
