"""Every function of functions/main.py on one local runtime, with a queue that records publishes.

The queue notes each publish with the workload being driven and the call stack that led to it
(tests/publish_scenarios.py drives the workloads; tests/integration/test_publishers.py checks).
"""

from __future__ import annotations

import traceback
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from function_apps import app
from hooks import Hooked
from signal_copier import bootstrap, serving, serving_api
from signal_copier.config import Settings
from signal_copier.core.ports import Publication
from signal_copier.queue.inprocess import InProcessQueue
from signal_copier.services.deps import Deps
from signal_copier.serving_api import ApiServing

ENTRY_POINTS = ("on_message", "on_intent", "on_broker_event", "on_dead_letter", "sweep", "api")


@dataclass(slots=True)
class RecordingQueue:
    """The in-process queue, noting who published to which topic and through which calls."""

    inner: InProcessQueue = field(default_factory=InProcessQueue)
    workload: str = ""
    topics: dict[str, set[str]] = field(default_factory=dict)
    stacks: list[list[tuple[str, int]]] = field(default_factory=list)

    async def publish(
        self, topic: str, payload: dict[str, Any], *, attributes: Mapping[str, str] | None = None
    ) -> None:
        await self.publish_many(topic, [Publication(payload=payload, attributes=attributes or {})])

    async def publish_many(self, topic: str, batch: Sequence[Publication]) -> None:
        if batch:  # an empty batch sends nothing (PubSubQueue returns before its client)
            assert self.workload, "a publish outside any scenario"
            self.topics.setdefault(self.workload, set()).add(topic)
            self.stacks.append([(f.filename, f.lineno or 0) for f in traceback.extract_stack()])
        await self.inner.publish_many(topic, batch)

    def reached(self, root: Path) -> set[tuple[str, int]]:
        """Return every (file under `root`, line) that some publish passed through."""
        return {
            (str(Path(path).resolve().relative_to(root)), line)
            for stack in self.stacks
            for path, line in stack
            if Path(path).resolve().is_relative_to(root)
        }


@dataclass(slots=True)
class Deployment:
    """Every function of main.py on one local runtime, its recording queue and hooked store."""

    queue: RecordingQueue
    api: ApiServing
    apps: dict[str, Starlette]
    deps: Deps

    @property
    def store(self) -> Any:
        """Return the runtime's store (Hooked: a scenario may act or fail at a call)."""
        return self.deps.store

    async def post(self, entry: str, body: object, path: str = "/") -> httpx.Response:
        """Deliver `body` to one function as that workload."""
        self.queue.workload = entry
        transport = httpx.ASGITransport(app=self.apps[entry])
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{entry}") as client:
            return await client.post(path, json=body)

    async def arrange(self, what: str, work: Any) -> Any:
        """Run setup through a service as the workload that would do it in production."""
        self.queue.workload = what
        return await work


@asynccontextmanager
async def deploy(folder: Path) -> AsyncIterator[Deployment]:
    """Serve every function of main.py on one local runtime in `folder`, recording publishes."""
    queue = RecordingQueue()

    def build(settings: Settings) -> bootstrap.Runtime:
        runtime = bootstrap.build(settings)
        deps = replace(runtime.deps, queue=queue, store=Hooked(runtime.deps.store))
        return replace(runtime, deps=deps)

    environ = {"COPIER_MODE": "local", "COPIER_DATA_DIR": str(folder), "COPIER_PUSH_AUTH": "off"}
    process = serving.Serving(environ, build=build)
    with serving.hosting(process):
        apps = {entry: app(entry) for entry in ENTRY_POINTS}
        api = serving_api.process()  # the api function's, on this runtime
    deps = await process.deps()
    try:
        yield Deployment(queue=queue, api=api, apps=apps, deps=deps)
    finally:
        await api.aclose()
        await process.aclose()
