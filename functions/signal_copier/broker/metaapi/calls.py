"""Bounds on SDK calls: every call (making its coroutine included) runs under a timeout, and
its errors go through the one table in errors.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from signal_copier.broker.metaapi.errors import Drop, Subject, translate

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Bounds, in seconds, on SDK calls and on the caches around them."""

    read: float = 8.0  # one RPC read (positions, price, spec, ...)
    trade: float = 15.0  # one trade request
    connect: float = 20.0  # each step of opening a connection (account, connect, sync)
    idle: float = 900.0  # a connection unused this long is closed
    catalog: float = 600.0  # symbol lists and static specs are re-read after this
    price_reuse: float = 1.0  # a price this fresh serves symbol_spec's tick value
    close_grace: float = 0.5  # the SDK closes sockets in tasks: let them run at shutdown
    history_page: int = 1000


async def guarded(
    make: Callable[[], Awaitable[T]],
    seconds: float,
    subject: Subject = Subject.OTHER,
    on_drop: Callable[[Drop], Awaitable[None]] | None = None,
) -> T:
    """Run one SDK call for at most `seconds`; translate its errors through the table."""
    try:
        return await asyncio.wait_for(make(), seconds)
    except Exception as e:
        translated = translate(e, subject)
        if translated is None:
            raise  # not a broker error: a bug, which must surface as itself
        if on_drop is not None and translated.drop is not Drop.NOTHING:
            await on_drop(translated.drop)
        raise translated.error from e


def unbounded(call: Callable[[], T]) -> T:
    """Run a synchronous SDK call (constructor, factory, close): no timeout can apply, but its
    errors still go through the table."""
    try:
        return call()
    except Exception as e:
        translated = translate(e)
        if translated is None:
            raise
        raise translated.error from e


async def both(first: Awaitable[T], second: Awaitable[U]) -> tuple[T, U]:
    """Await two independent calls at once; if either fails, raise the first one's error.

    (As if they had run one after the other, except that the second one was sent anyway.)
    """
    one, two = await asyncio.gather(first, second, return_exceptions=True)
    if isinstance(one, BaseException):
        raise one
    if isinstance(two, BaseException):
        raise two
    return one, two
