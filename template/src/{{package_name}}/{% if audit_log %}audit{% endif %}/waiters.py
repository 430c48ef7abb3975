"""Telling requests that wait for their event whether it reached the database."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from concurrent.futures import Future, InvalidStateError

# Who is told the outcome: a thread (``Future``), an event loop (``asyncio.Future``), nobody.
Waiter = Future[bool] | asyncio.Future[bool] | None


def set_all(futures: Sequence[asyncio.Future[bool]], stored: bool) -> None:
    for future in futures:
        if not future.done():  # done: the request stopped waiting (timeout)
            future.set_result(stored)


def notify(waiters: Sequence[Waiter], stored: bool) -> None:
    """Tell every waiter; one wake-up per event loop, not one per event."""
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[bool]]] = {}
    for waiter in waiters:
        if isinstance(waiter, asyncio.Future):
            by_loop.setdefault(waiter.get_loop(), []).append(waiter)
        elif waiter is not None:
            with contextlib.suppress(InvalidStateError):  # cancelled by its caller
                waiter.set_result(stored)
    for loop, futures in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits
            loop.call_soon_threadsafe(set_all, futures, stored)
