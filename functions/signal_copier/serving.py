"""The HTTP functions' process: one runtime, built lazily inside the serving loop, closed with it.

functions-framework loads `functions/main.py` afresh for every app it creates; this module is
imported once per process, so every entry point shares the same runtime, clients and caches.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import datetime
from functools import cache

from starlette.requests import Request
from starlette.responses import JSONResponse

from signal_copier import bootstrap, logs, push
from signal_copier.auth.push_token import PushRefused, PushTokenVerifier
from signal_copier.config import Settings
from signal_copier.core.errors import CopierError
from signal_copier.services.deps import Deps
from signal_copier.services.sweep import SweepReport

_log = logging.getLogger(__name__)
SweepRun = Callable[[Deps, datetime], Awaitable[SweepReport]]
_hosted: list[Serving] = []


class Serving:
    """Settings, runtime, clock and push-token verifier of one serving process.

    `clock` is the time every entry point hands its service as `now`: the real clock in
    production; a replay's clock when a demo hosts the functions in its own process.
    """

    def __init__(
        self,
        environ: Mapping[str, str] = os.environ,
        build: Callable[[Settings], bootstrap.Runtime] = bootstrap.build,
        clock: push.Clock = push.utc_now,
    ) -> None:
        self._environ, self._build, self.clock = environ, build, clock
        self._settings: Settings | None = None
        self._runtime: bootstrap.Runtime | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._keeper: asyncio.Task[None] | None = None
        self._verifier: PushTokenVerifier | None = None

    def settings(self) -> Settings:
        """Return the settings (read once; InvalidSettings names what is wrong)."""
        if self._settings is None:
            self._settings = Settings.from_env(self._environ)
            logs.configure(self._settings.log_level, project=self._settings.project)
        return self._settings

    async def runtime(self) -> bootstrap.Runtime:
        """Return the runtime, built on first use inside the running loop."""
        loop = asyncio.get_running_loop()
        if self._runtime is not None and self._loop is loop:
            return self._runtime
        if self._runtime is not None:  # clients are bound to their loop: never reuse them
            _log.warning("the serving loop changed: building the runtime afresh")
        runtime = self._build(self.settings())
        self._runtime, self._loop = runtime, loop
        # Closed when the loop stops: asyncio cancels leftover tasks at shutdown (SIGTERM).
        self._keeper = loop.create_task(_close_on_shutdown(runtime))
        return runtime

    async def deps(self) -> Deps:
        """Return the runtime's deps."""
        return (await self.runtime()).deps

    async def check_push(self, authorization: str | None, entry: str) -> None:
        """Refuse a request without Pub/Sub's token for `entry` (unless the check is off)."""
        settings = self.settings()
        if not settings.push_auth:
            return
        if self._verifier is None:
            try:
                self._verifier = PushTokenVerifier(
                    jwks_url=settings.push_jwks_url,
                    audience=settings.push_audience,
                    service_account=settings.push_service_account,
                )
            except ValueError as e:
                raise PushRefused(401, str(e)) from e
        await self._verifier.verify(authorization, entry)

    async def push(self, request: Request, entry: str, work: push.Work) -> JSONResponse:
        """Answer one Pub/Sub push to `entry` (see push.answer)."""
        return await push.answer(request, entry, work, self.deps, self.check_push, self.clock)

    async def sweep(self, request: Request, run: SweepRun) -> JSONResponse:
        """Answer Cloud Scheduler's call: check its token, run the sweep, report each step."""
        now = self.clock()
        try:
            await self.check_push(request.headers.get("authorization"), "sweep")
            deps = await self.deps()
        except PushRefused as e:
            return JSONResponse({"status": "refused"}, status_code=e.status)
        except CopierError as e:
            _log.error("sweep: cannot serve: %s", e)
            return JSONResponse({"status": "unavailable"}, status_code=500)
        with logs.trace(f"sweep-{now:%Y%m%dT%H%M%S}"):
            report = await run(deps, now)
        status = "done" if report.ok else "failed"
        body = {"status": status, "steps": report.counts, "failed": report.failed}
        return JSONResponse(body, status_code=200 if report.ok else 500)

    async def aclose(self) -> None:
        """Close the runtime now (tests; the loop's shutdown does it in production)."""
        runtime, self._runtime, self._loop = self._runtime, None, None
        keeper, self._keeper = self._keeper, None
        if keeper is not None and not keeper.done():
            keeper.cancel()  # the keeper closes the runtime as it ends
            with suppress(asyncio.CancelledError):
                await keeper
        elif runtime is not None:
            await runtime.aclose()


async def _close_on_shutdown(runtime: bootstrap.Runtime) -> None:
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        await runtime.aclose()
        raise


@cache
def process() -> Serving:
    """Return this process's one Serving (shared by every loaded copy of main.py)."""
    return _hosted[-1] if _hosted else Serving()


@contextmanager
def hosting(serving: Serving) -> Iterator[Serving]:
    """Make `serving` this process's Serving while the block runs (functions hosted in-process).

    Apps created inside the block (functions_framework.create_app loads main.py afresh) serve
    with it; afterwards the process builds its own again.
    """
    _hosted.append(serving)
    process.cache_clear()
    try:
        yield serving
    finally:
        _hosted.remove(serving)
        process.cache_clear()
