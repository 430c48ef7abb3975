"""What the database layer needs from a DB-API driver, so SQLite and PostgreSQL share one code path."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def _nothing(_conn: Any) -> None:
    return None


def _already_dicts(rows: list[Any]) -> list[dict[str, Any]]:
    return rows


class DriverUnavailableError(RuntimeError):
    """The configured database cannot be used here at all (e.g. no URL on Vercel)."""


@dataclass(frozen=True)
class Driver:
    name: str
    description: str  # where the data is, for the log (never a password)
    connect: Callable[[], Any]
    unavailable: tuple[type[Exception], ...]  # errors that mean "not usable now", not "a bug"
    placeholder: str  # the driver's parameter marker; the service writes %s
    wait_seconds: float  # how long a request waits for a free pooled connection
    begin: Callable[[Any], None] = field(default=_nothing)  # per-transaction settings
    to_dicts: Callable[[list[Any]], list[dict[str, Any]]] = field(default=_already_dicts)
