"""`signal-copier demo --stack emulators`: the demo through the cloud path, on Google's emulators.

The functions of functions/main.py are served by uvicorn inside this process, on its event loop
(one instance: they share the runtime and the paper broker), behind Pub/Sub push subscriptions
on the emulator; the store is Firestore's emulator, the vault the envelope vault with a local
data key. The hosted functions read the replay's clock. The summary is the local demo's
(services/demo.py), built from the same records: the same JSON contract, `latency_ms` aside.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp

from signal_copier import bootstrap, serving
from signal_copier.broker.paper import PaperBroker
from signal_copier.broker.paper.server import DEFAULT_START
from signal_copier.config import Settings
from signal_copier.core import ids
from signal_copier.core.errors import InvalidInput
from signal_copier.core.ports import Broker
from signal_copier.core.quotas import period_key
from signal_copier.core.timeline import ReplayEvent, chats
from signal_copier.services import demo, summary
from signal_copier.services.deps import Deps
from signal_copier.stack import emulators
from signal_copier.stack.clock import ReplayClock
from signal_copier.stack.replay import StackReplay
from signal_copier.stack.servers import FunctionServers, function_app
from signal_copier.stack.topology import PubSubTopology
from signal_copier.stack.tracking import DeliveryTracker

TARGETS = ("on_message", "on_intent", "on_broker_event", "on_dead_letter")
Wrapper = Callable[[str, ASGIApp], ASGIApp]
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class StackOptions:
    """How to run the stack (the defaults are the demo's)."""

    copies: int = 1  # each message and broker event published this many times
    wrap: Wrapper | None = None  # wraps each function's app (tests make one fail once)
    settle_timeout_s: float = 300.0  # a step still in flight after this is an error
    users: Sequence[demo.DemoUser] = demo.DEMO_USERS
    environ: Mapping[str, str] = field(default_factory=dict)  # extra COPIER_* settings


@dataclass(frozen=True, slots=True, kw_only=True)
class StackRun:
    """The summary, the paper broker the accounts live on, and the pushes refused."""

    summary: dict[str, Any]
    paper: PaperBroker
    refused: int  # pushes answered with an error, each redelivered by Pub/Sub


def replay_on_emulators(
    events: Sequence[ReplayEvent],
    progress: demo.Progress | None = None,
    options: StackOptions | None = None,
) -> StackRun:
    """Replay events through the cloud path on running emulators, or on a pair started here.

    Emulators started here are stopped by PID afterwards; running ones are left running, with
    nothing of this run left in them. InvalidInput (before anything starts) for a chat the
    cloud path refuses.
    """
    check_chats(events)
    with (
        tempfile.TemporaryDirectory(prefix="signal-copier-stack-") as folder,
        emulators.session(Path(folder) / "emulators") as found,
    ):
        return asyncio.run(run(events, found, Path(folder), progress, options))


async def run(
    events: Sequence[ReplayEvent],
    found: emulators.Emulators,
    folder: Path,
    progress: demo.Progress | None = None,
    options: StackOptions | None = None,
) -> StackRun:
    """Host the functions, wire Pub/Sub to them, replay the events; return the summary."""
    check_chats(events)
    options = options or StackOptions()
    project = f"demo-stack-{uuid.uuid4().hex[:12]}"  # nothing shared with other users
    start = events[0].at if events else DEFAULT_START
    clock, paper = ReplayClock(start), PaperBroker(now=start)
    environ = {**_environ(project, folder), **options.environ}
    hosted = serving.Serving(environ, with_broker(paper), clock)
    async with contextlib.AsyncExitStack() as cleanup:  # undone last to first, each in turn
        cleanup.push_async_callback(asyncio.to_thread, _forget, found.for_project(project))
        topology = PubSubTopology(found.pubsub, project)
        cleanup.push_async_callback(topology.aclose)
        cleanup.push_async_callback(hosted.aclose)
        cleanup.enter_context(serving.hosting(hosted))
        tracker = DeliveryTracker(topology)
        apps = {target: tracker.track(_app(target, options)) for target in TARGETS}
        servers = await cleanup.enter_async_context(FunctionServers(apps))
        await topology.create(servers.urls)
        replay = StackReplay(
            await hosted.deps(),
            paper,
            clock,
            tracker,
            owners={f"paper-{u.user_id}": u.user_id for u in options.users},
            copies=options.copies,
            settle_timeout=options.settle_timeout_s,
        )
        result = await _replay(events, replay, paper, progress, options.users)
    return StackRun(summary=result, paper=paper, refused=tracker.refused)


def check_chats(events: Sequence[ReplayEvent]) -> None:
    """Refuse a replay naming a chat that on_message refuses (chat ids become document ids).

    The local stack takes any chat name; the cloud path only Telegram's ids and usernames.
    """
    for event in events:
        if event.message is not None:
            try:
                ids.check_chat_id(event.message.chat_id)
            except InvalidInput as e:
                raise InvalidInput(
                    f"replay line {event.line}: {e} (the cloud path takes Telegram chat ids "
                    "and @usernames of 5-32 characters)"
                ) from e


async def _replay(
    events: Sequence[ReplayEvent],
    replay: StackReplay,
    paper: PaperBroker,
    progress: demo.Progress | None,
    users: Sequence[demo.DemoUser],
) -> dict[str, Any]:
    deps = replay.deps
    notes = await demo.onboard(deps, paper, users, chats(events))
    for number, event in enumerate(events, start=1):
        if event.quotes:
            await replay.quotes(event.quotes, event.at)
        if event.message is not None:
            await replay.message(event.message, event.at)
            if progress:
                kind = demo.kind_of(await deps.store.message(event.message.id))
                where = f"{event.message.chat_id}#{event.message.message_id}"
                progress(number, len(events), f"{where} {kind}")
        await replay.sweep()
    return await _summary(deps, users, events, replay.latencies_ms, notes)


async def _summary(
    deps: Deps,
    users: Sequence[demo.DemoUser],
    events: Sequence[ReplayEvent],
    latencies_ms: list[float],
    notes: list[str],
) -> dict[str, Any]:
    # Each distinct message version is counted by what it was read as, as the local demo does.
    kinds: Counter[str] = Counter()
    for key in dict.fromkeys(e.message.id for e in events if e.message is not None):
        kinds[demo.kind_of(await deps.store.message(key))] += 1
    periods = sorted({period_key(e.at) for e in events})
    rows, details = await demo.summarise(deps, users, periods)
    return {
        "users": rows,
        "messages": sum(e.message is not None for e in events),
        "signals": kinds["open"],
        "commands": kinds["command"],
        "ignored": kinds["none"],
        "latency_ms": summary.latency(latencies_ms),
        "details": details,  # for the table only; not part of the JSON contract
        "notes": notes,
        "progress": {"last_line": events[-1].line if events else 0, "stopped": False},  # likewise
    }


def _environ(project: str, folder: Path) -> dict[str, str]:
    return {
        "COPIER_MODE": "emulators",
        "COPIER_PROJECT": project,
        "COPIER_DATA_DIR": str(folder),  # the envelope vault's local data key lives here
        "COPIER_PUSH_AUTH": "off",  # the emulator sends no token (production refuses this)
        "COPIER_WORKER": "stack",
        "COPIER_LOG_LEVEL": "WARNING",  # the hosted functions log their retries and refusals
    }


def with_broker(broker: Broker) -> Callable[[Settings], bootstrap.Runtime]:
    """Return a `build` for Serving: the settings' adapters, with `broker` behind the port.

    The demo passes its paper broker (on the replay's clock), the benchmarks a MetaAPI broker
    over the fake SDK.
    """

    def build(settings: Settings) -> bootstrap.Runtime:
        runtime = bootstrap.build(settings)
        return replace(runtime, deps=replace(runtime.deps, broker=broker))

    return build


def _app(target: str, options: StackOptions) -> ASGIApp:
    app = function_app(target)
    return options.wrap(target, app) if options.wrap else app


def _forget(found: emulators.Emulators) -> None:
    try:
        found.wipe_firestore()
    except OSError as e:  # the run is over; say what is left behind
        log.warning("could not delete the demo's documents in project %s: %s", found.project, e)
