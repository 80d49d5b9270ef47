"""A broker double for failure paths: the paper broker, with a script choosing which calls fail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from signal_copier.broker.paper import PaperBroker
from signal_copier.core.market import Credentials

# (method name, positional args) → the error that call raises, or None to let it through.
Script = Callable[[str, tuple[Any, ...]], BaseException | None]


class FaultyBroker:
    """Ask `script` before every account call; raise what it returns, else call the paper account.

    `calls` lists every (method, args) asked, so a test can see what was tried.
    """

    def __init__(self, paper: PaperBroker, script: Script) -> None:
        self.paper, self.script = paper, script
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    async def connect(self, user_id: str, credentials: Credentials) -> Any:
        """Return the paper account behind a connection that fails as scripted."""
        return _FaultyAccount(self, await self.paper.connect(user_id, credentials))

    async def disconnect(self, user_id: str, *, keep: Credentials | None = None) -> None:
        """Forget the user's connections (the paper broker keeps none)."""
        await self.paper.disconnect(user_id, keep=keep)


class _FaultyAccount:
    def __init__(self, broker: FaultyBroker, account: Any) -> None:
        self._broker, self._account = broker, account

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._account, name)
        if not callable(real):
            return real

        async def call(*args: Any, **kwargs: Any) -> Any:
            self._broker.calls.append((name, args))
            error = self._broker.script(name, args)
            if error is not None:
                raise error
            return await real(*args, **kwargs)

        return call
