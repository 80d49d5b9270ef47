"""A broker double for failure paths: the paper broker, with chosen calls timing out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from typing import Any

from signal_copier.broker.paper import PaperBroker
from signal_copier.core.errors import BrokerUnavailable
from signal_copier.core.market import Credentials


class FlakyBroker:
    """Fail the n-th calls (counted across `methods`) with BrokerUnavailable.

    With `after=True` the call reaches the paper server first: the outcome is unknown to the
    caller, exactly like a timeout after the server acted.
    """

    def __init__(
        self,
        paper: PaperBroker,
        *,
        fail_on: Collection[int] = (),
        methods: Collection[str] = ("place",),
        after: bool = False,
        on_fail: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.paper, self.fail_on, self.methods, self.after = (
            paper,
            set(fail_on),
            set(methods),
            after,
        )
        self.on_fail = on_fail  # runs just before the failure is raised (e.g. the user acts)
        self.calls = 0

    async def connect(self, user_id: str, credentials: Credentials) -> Any:
        """Return the paper account behind a connection that fails as configured."""
        return _FlakyAccount(self, await self.paper.connect(user_id, credentials))

    async def disconnect(self, user_id: str, *, keep: Credentials | None = None) -> None:
        """Forget the user's connections (the paper broker keeps none)."""
        await self.paper.disconnect(user_id, keep=keep)


class _FlakyAccount:
    def __init__(self, broker: FlakyBroker, account: Any) -> None:
        self._broker, self._account = broker, account

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._account, name)
        if name not in self._broker.methods:
            return real

        async def call(*args: Any, **kwargs: Any) -> Any:
            broker = self._broker
            broker.calls += 1
            if broker.calls in broker.fail_on:
                if broker.after:
                    await real(*args, **kwargs)
                if broker.on_fail is not None:
                    await broker.on_fail()
                raise BrokerUnavailable(f"timed out (call {broker.calls})")
            return await real(*args, **kwargs)

        return call
