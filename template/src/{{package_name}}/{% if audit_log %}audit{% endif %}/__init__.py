"""The audit log: one event per mutating request, stored after the response, never lost.

``AuditMiddleware`` records the event; ``AuditLogger`` (``queue.py``, one per app)
queues it for a worker thread; ``AuditStore`` (``store.py``) writes it to SQLite or
PostgreSQL, and when the database is unavailable the event goes to the log stream
as a JSON line with key ``audit_event``. Nothing here does I/O on import or when
the app is built.
"""

from __future__ import annotations

from ..settings import Settings
from .backend import AuditUnavailableError
from .events import AuditEvent
from .queue import AuditLogger
from .store import AuditStore

__all__ = ["AuditEvent", "AuditLogger", "AuditStore", "AuditUnavailableError", "ensure_schema"]


def ensure_schema(settings: Settings) -> None:
    """Apply the migrations (they create ``audit_log``) and open it; raise if unavailable.

    The failure is also logged (``AUDIT_DB_UNAVAILABLE``) and the request path keeps
    working: its events go to the log stream until the database is back.
    """
    store = AuditStore(settings)
    try:
        if not store.ensure_schema():
            raise AuditUnavailableError(
                "the audit database is unavailable; see AUDIT_DB_UNAVAILABLE"
            )
    finally:
        store.close()
