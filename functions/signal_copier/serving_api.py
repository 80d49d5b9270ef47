"""The `api` function's app: the dashboard API built on the process's runtime, on first use.

It is built inside the serving loop (it reads secrets and shares the runtime's clients), again
when the loop changes, and closed when the loop stops, as the runtime is (serving.py). Each
request is handed to the API app as it arrived: the function only chooses where it goes.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from datetime import datetime
from functools import cache
from typing import Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from signal_copier import bootstrap, bootstrap_api, serving
from signal_copier.bootstrap_api import ApiRuntime
from signal_copier.core.errors import CopierError

_log = logging.getLogger(__name__)
# What the functions-framework router added to the scope; the API app routes on its own.
_ROUTING_KEYS = ("app", "router", "endpoint", "path_params", "route")


class Build(Protocol):
    """How the API is built (bootstrap_api.build_api)."""

    def __call__(
        self,
        runtime: bootstrap.Runtime,
        environ: Mapping[str, str],
        *,
        trading_clock: Callable[[], datetime] | None = None,
    ) -> Awaitable[ApiRuntime]: ...


class Forward(Response):
    """Answer by handing the untouched request (its body unread) to another ASGI app."""

    def __init__(self, app: ASGIApp) -> None:
        super().__init__()
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        inner = {key: value for key, value in scope.items() if key not in _ROUTING_KEYS}
        await self.app(inner, receive, send)


class ApiServing:
    """The dashboard API of one serving process."""

    def __init__(
        self,
        process: serving.Serving,
        environ: Mapping[str, str] = os.environ,
        build: Build = bootstrap_api.build_api,
    ) -> None:
        self._serving, self._environ, self._build = process, environ, build
        self._api: ApiRuntime | None = None
        self._built_on: bootstrap.Runtime | None = None
        self._lock: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        self._keeper: asyncio.Task[None] | None = None

    async def api(self) -> ApiRuntime:
        """Return the API, built on first use on the current runtime."""
        runtime = await self._serving.runtime()
        async with self._building():  # concurrent first requests build it once
            if self._api is None or self._built_on is not runtime:
                clock = self._serving.clock  # a hosted replay's clock, else wall time
                api = await self._build(runtime, self._environ, trading_clock=clock)
                self._api, self._built_on = api, runtime
                # A runtime on a new loop means the old loop (and its keeper) is gone.
                self._keeper = asyncio.get_running_loop().create_task(_close_on_shutdown(api))
            return self._api

    async def answer(self, request: Request) -> Response:
        """Hand the request to the API app; 500 if it cannot be built (settings, secrets)."""
        try:
            api = await self.api()
        except CopierError as e:
            _log.error("api: cannot serve: %s", e)
            return JSONResponse({"status": "unavailable"}, status_code=500)
        return Forward(api.app)

    async def aclose(self) -> None:
        """Close the API now (tests; the loop's shutdown does it in production)."""
        api, self._api, self._built_on = self._api, None, None
        keeper, self._keeper = self._keeper, None
        if keeper is not None and not keeper.done():
            keeper.cancel()  # the keeper closes the API as it ends
            with suppress(asyncio.CancelledError):
                await keeper
        elif api is not None:
            await api.aclose()

    def _building(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock[0] is not loop:
            self._lock = (loop, asyncio.Lock())
        return self._lock[1]


async def _close_on_shutdown(api: ApiRuntime) -> None:
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        await api.aclose()
        raise


@cache
def _for(process: serving.Serving) -> ApiServing:
    return ApiServing(process)


def process() -> ApiServing:
    """Return this process's API, on this process's one Serving."""
    return _for(serving.process())
