"""functions-framework apps served by uvicorn on 127.0.0.1, inside the caller's event loop.

Serving every function on one loop makes them one instance, as Cloud Functions would run them:
one runtime, one set of clients, and (for the demo) one paper broker shared by all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType

import functions_framework
import uvicorn
from starlette.types import ASGIApp

import signal_copier

MAIN = Path(signal_copier.__file__).resolve().parents[1] / "main.py"
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 15.0


def function_app(target: str) -> ASGIApp:
    """Return functions-framework's app for one entry point of functions/main.py."""
    if not MAIN.is_file():
        raise RuntimeError(f"{MAIN} is missing: the stack runs from a source checkout")
    app: ASGIApp = functions_framework.create_app(  # type: ignore[no-untyped-call]
        target=target, source=str(MAIN)
    )
    return app


class _Server(uvicorn.Server):
    # The demo owns the process's signals: Ctrl-C cancels the demo, whose exit stops every
    # server (uvicorn's own handlers would stop only the last server started).
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class FunctionServers:
    """Serve ASGI apps on loopback ports of the running loop; stop every one on exit."""

    def __init__(self, apps: Mapping[str, ASGIApp]) -> None:
        self._apps = dict(apps)
        self.urls: dict[str, str] = {}
        self._running: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []

    async def __aenter__(self) -> FunctionServers:
        try:
            for name, app in self._apps.items():
                await self._start(name, app)
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.stop()

    async def stop(self) -> None:
        """Stop every server: finish the requests being answered, close, wait for each."""
        running, self._running = self._running, []
        for server, _ in running:
            server.should_exit = True
        for server, task in running:
            try:
                await asyncio.wait_for(asyncio.shield(task), STOP_TIMEOUT_S)
            except TimeoutError:
                server.force_exit = True  # a request still hanging: drop its connection
                await task

    async def _start(self, name: str, app: ASGIApp) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))  # the port is ours from here: no race for a free one
        port = listener.getsockname()[1]
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            log_config=None,  # uvicorn's loggers pass records up like every other
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=int(STOP_TIMEOUT_S),
        )
        server = _Server(config)
        task = asyncio.create_task(server.serve(sockets=[listener]), name=f"serve-{name}")
        self._running.append((server, task))
        deadline = asyncio.get_running_loop().time() + START_TIMEOUT_S
        while not server.started:
            if task.done():
                task.result()  # raises why it stopped
                raise RuntimeError(f"the {name} server stopped before it started")
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"the {name} server did not start in {START_TIMEOUT_S:g} s")
            await asyncio.sleep(0.02)
        self.urls[name] = f"http://127.0.0.1:{port}/"
