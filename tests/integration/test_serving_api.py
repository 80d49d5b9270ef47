"""The `api` function's app (serving_api): built once on the process's runtime, on its clock,
tried again after a failed build, closed with the process."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import httpx
from starlette.requests import Request

from signal_copier import bootstrap, bootstrap_api, serving
from signal_copier.bootstrap_api import ApiRuntime
from signal_copier.core.errors import InvalidSettings
from signal_copier.serving_api import ApiServing

REPLAY_TIME = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def _local(tmp_path: Path) -> dict[str, str]:
    return {"COPIER_DATA_DIR": str(tmp_path), "COPIER_PUSH_AUTH": "off"}


async def test_the_api_trades_on_the_serving_clock(tmp_path: Path) -> None:
    process = serving.Serving(_local(tmp_path), clock=lambda: REPLAY_TIME)
    api = ApiServing(process, _local(tmp_path))

    built = await api.api()

    assert built.ports.trading_clock is not None and built.ports.trading_clock() == REPLAY_TIME
    await api.aclose()
    await process.aclose()


async def test_concurrent_first_requests_build_the_api_once(tmp_path: Path) -> None:
    builds: list[bootstrap.Runtime] = []

    async def counted(
        runtime: bootstrap.Runtime,
        environ: Mapping[str, str],
        *,
        trading_clock: Callable[[], datetime] | None = None,
    ) -> ApiRuntime:
        builds.append(runtime)
        await asyncio.sleep(0.01)  # a secret being read: others arrive meanwhile
        return await bootstrap_api.build_api(runtime, environ, trading_clock=trading_clock)

    process = serving.Serving(_local(tmp_path))
    api = ApiServing(process, _local(tmp_path), build=counted)

    first, *others = await asyncio.gather(*(api.api() for _ in range(5)))

    assert len(builds) == 1 and all(other is first for other in others)
    await api.aclose()
    await process.aclose()


async def test_a_failed_build_answers_500_and_the_next_request_builds_again(
    tmp_path: Path,
) -> None:
    attempts: list[int] = []

    async def flaky(
        runtime: bootstrap.Runtime,
        environ: Mapping[str, str],
        *,
        trading_clock: Callable[[], datetime] | None = None,
    ) -> ApiRuntime:
        attempts.append(1)
        if len(attempts) == 1:
            raise InvalidSettings("a secret's name: not a Secret Manager secret name")
        return await bootstrap_api.build_api(runtime, environ, trading_clock=trading_clock)

    process = serving.Serving(_local(tmp_path))
    api = ApiServing(process, _local(tmp_path), build=flaky)
    request = Request({"type": "http", "method": "GET", "path": "/api/config", "headers": []})

    failed = await api.answer(request)
    answered = await api.answer(request)

    assert failed.status_code == 500 and b"unavailable" in failed.body
    transport = httpx.ASGITransport(app=answered)  # the app the request was handed to
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        config = await client.get("/api/config")
    assert config.json() == {"mode": "local", "telegram_login": False}
    assert len(attempts) == 2
    await api.aclose()
    await process.aclose()
