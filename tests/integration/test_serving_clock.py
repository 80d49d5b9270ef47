"""One injectable clock in the serving runtime: production reads the real one, a process that
hosts the functions (the cloud-stack demo) hands them its own (the replay's).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from starlette.requests import Request

from function_apps import app, onboard, open_intent, push_body
from signal_copier import push, serving
from signal_copier.services.deps import Deps
from signal_copier.services.sweep import SweepReport


def _environ(folder: Path) -> dict[str, str]:
    return {"COPIER_MODE": "local", "COPIER_DATA_DIR": str(folder), "COPIER_PUSH_AUTH": "off"}


def test_production_serves_on_the_real_clock() -> None:
    assert serving.Serving({}).clock is push.utc_now


async def test_functions_created_while_hosted_serve_with_the_hosts_runtime_and_clock(
    tmp_path: Path,
) -> None:
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=42)
    hosted = serving.Serving(_environ(tmp_path), clock=lambda: at)
    with serving.hosting(hosted):
        on_intent = app("on_intent")
        inside = serving.process()
    deps = await hosted.deps()
    await onboard(deps, "tg1")
    payload = open_intent("tg1")

    transport = httpx.ASGITransport(app=on_intent)
    async with httpx.AsyncClient(transport=transport, base_url="http://on-intent") as client:
        answer = await client.post("/", json=push_body(payload))
    record = await deps.store.trade("tg1", payload["id"])
    await hosted.aclose()

    assert inside is hosted and serving.process() is not hosted
    assert answer.json()["status"] == "placed"
    assert record is not None and record.recorded_at == at


async def test_the_sweep_runs_at_the_hosts_clock(tmp_path: Path) -> None:
    at = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    seen: list[datetime] = []

    async def sweep(deps: Deps, now: datetime) -> SweepReport:
        seen.append(now)
        return SweepReport()

    hosted = serving.Serving(_environ(tmp_path), clock=lambda: at)
    request = Request({"type": "http", "method": "POST", "path": "/", "headers": []})
    answer = await hosted.sweep(request, sweep)
    await hosted.aclose()

    assert seen == [at] and answer.status_code == 200
