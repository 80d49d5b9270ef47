"""functions-framework apps served over HTTP on 127.0.0.1, for pushes from the Pub/Sub emulator.

`InProcessServers` runs several apps on one event loop in a thread (as one Cloud Functions
instance would: one runtime shared by its functions); `cli_server` starts the real
`functions-framework` command as a process and stops it by PID.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Coroutine, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import uvicorn

from function_apps import MAIN, app
from signal_copier.stack.emulators import free_port

T = TypeVar("T")


class InProcessServers:
    """Serve functions of functions/main.py on free loopback ports, on one loop in a thread."""

    def __init__(self, targets: list[str]) -> None:
        self.urls: dict[str, str] = {}
        self._servers: list[uvicorn.Server] = []
        for target in targets:
            port = free_port()
            config = uvicorn.Config(
                app(target),
                host="127.0.0.1",
                port=port,
                log_level="warning",
                log_config=None,  # uvicorn's loggers pass records up like every other
                lifespan="off",
            )
            self._servers.append(uvicorn.Server(config))
            self.urls[target] = f"http://127.0.0.1:{port}/"
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> InProcessServers:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not all(s.started for s in self._servers):
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the function servers did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        for server in self._servers:
            server.should_exit = True
        self._thread.join(timeout=30)

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run a coroutine on the servers' loop (where their runtime lives); return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(asyncio.gather(*(s.serve() for s in self._servers)))
        finally:  # as asyncio.run does: cancel what is left (closing the runtime), then close
            leftover = asyncio.all_tasks(self.loop)
            for task in leftover:
                task.cancel()
            self.loop.run_until_complete(asyncio.gather(*leftover, return_exceptions=True))
            self.loop.run_until_complete(self.loop.shutdown_default_executor())
            self.loop.close()


@contextmanager
def cli_server(target: str, environ: Mapping[str, str], log: Path) -> Iterator[str]:
    """Run `functions-framework --target TARGET` on a free port; yield its URL; stop it by PID."""
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "functions-framework"),
        f"--target={target}",
        f"--source={MAIN}",
        "--host=127.0.0.1",
        f"--port={port}",
    ]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            env={**os.environ, **environ},
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_listening(url, process, log)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def _wait_listening(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"functions-framework exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url.rstrip("/") + "/robots.txt", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers (404 for robots.txt): it is listening
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"functions-framework did not listen in 60 s: {log.read_text()[-2000:]}")
