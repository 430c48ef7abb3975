"""The log stream: where audit events go when the database cannot take them.

One JSON object per line on stderr (Vercel collects it), with the key ``audit_event``,
so a log drain can find every event that never reached the database.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Sequence

from .events import AuditEvent

EVENT_LOGGER = f"{__name__.rpartition('.')[0]}.events"
_handler_lock = threading.Lock()


class _StderrLines(logging.Handler):
    """The bare message to the current ``sys.stderr``: one JSON object per line."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


def event_log() -> logging.Logger:
    """The logger of fallback events. Events are data: no level setting hides them.

    It writes bare JSON lines to stderr (Vercel collects it) unless you attached
    your own handler to ``<package>.audit.events`` before the first event.
    """
    log = logging.getLogger(EVENT_LOGGER)
    with _handler_lock:
        if not log.handlers:
            handler = _StderrLines()
            handler.setFormatter(logging.Formatter("%(message)s"))
            log.addHandler(handler)
            log.propagate = False
            log.setLevel(logging.INFO)
    return log


def to_log_stream(events: Sequence[AuditEvent], reason: str) -> None:
    """Each event as one JSON line with the key ``audit_event``; ``reason`` says why."""
    log = event_log()
    for event in events:
        line = {"audit_event": event.as_dict(), "audit_fallback": reason}
        log.warning(json.dumps(line, separators=(",", ":")))
