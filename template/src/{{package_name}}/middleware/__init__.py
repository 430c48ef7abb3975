"""The service's middleware: each module is one pure-ASGI middleware; the registry wires them."""

from .registry import REGISTRY, BuildContext, MiddlewareEntry, install_middleware

__all__ = ["REGISTRY", "BuildContext", "MiddlewareEntry", "install_middleware"]
