"""The audit log: one event per mutating request, stored after the response, never lost.

``AuditMiddleware`` records the event, ``AuditLogger`` (one per process, from
``get_audit_logger()``) stores it in SQLite or PostgreSQL; when the database is
unavailable the event goes to the log stream as a JSON line with key ``audit_event``.
Nothing here does I/O on import or when the app is built.
"""

from __future__ import annotations

from .backend import AuditUnavailableError
from .events import AuditEvent
from .logger import AuditLogger, get_audit_logger, reset_audit_logger
from .settings import AuditSettings

__all__ = [
    "AuditEvent",
    "AuditLogger",
    "AuditSettings",
    "AuditUnavailableError",
    "ensure_schema",
    "get_audit_logger",
    "reset_audit_logger",
]


def ensure_schema() -> None:
    """Create the ``audit_log`` table now (the init function calls this); raise if unavailable.

    The failure is also logged (``AUDIT_DB_UNAVAILABLE``) and the request path keeps
    working: its events go to the log stream until the database is back.
    """
    if not get_audit_logger().ensure_schema():
        raise AuditUnavailableError("the audit database is unavailable; see AUDIT_DB_UNAVAILABLE")
