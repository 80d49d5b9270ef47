"""Polls end to end on the Pub/Sub emulator: the sweep publishes, a push reaches on_broker_event."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from function_apps import onboard, open_intent
from function_servers import InProcessServers
from pubsub_topology import Topology, cloud_env, topology
from signal_copier import serving
from signal_copier.broker.paper import PaperBroker
from signal_copier.core import codec
from signal_copier.core.model import Intent
from signal_copier.core.records import Plan
from signal_copier.services import accounts, pipeline
from signal_copier.services.deps import BROKER_EVENTS_TOPIC, Deps

__all__ = ["cloud_env", "topology"]
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
BREAKEVEN = Decimal("2650.30")


async def _holding_with_tp1_hit(deps: Deps) -> None:
    await onboard(deps, "tg1")
    settings = {"max_signal_age_s": 300, "lot": "0.20", "breakeven_on_tp1": True}
    await accounts.register_user(deps, "tg1", Plan.PREMIUM, settings)
    intent = codec.from_dict(Intent, open_intent("tg1"))
    await pipeline.execute_intent(intent, deps, datetime.now(UTC))
    assert isinstance(deps.broker, PaperBroker)  # nobody is told of the hit: polls find it
    deps.broker.set_quotes({"XAUUSD": (Decimal("2655.5"), Decimal("2655.8"))}, datetime.now(UTC))


async def _stops(deps: Any) -> list[Decimal]:
    positions = await deps.broker.account("acc-tg1").positions()
    return sorted(p.sl for p in positions)


def test_a_sweep_polls_a_watched_account_through_pubsub_and_its_runner_reaches_breakeven(
    cloud_env: dict[str, str], topology: Topology
) -> None:
    with InProcessServers(["sweep", "on_broker_event"]) as servers:
        deps = servers.call(serving.process().deps())
        servers.call(_holding_with_tp1_hit(deps))
        events = topology.named_topic(BROKER_EVENTS_TOPIC)
        topology.push_subscription(events, servers.urls["on_broker_event"])

        answer = httpx.post(servers.urls["sweep"], timeout=30)
        deadline = time.monotonic() + 30
        while servers.call(_stops(deps)) != [BREAKEVEN] and time.monotonic() < deadline:
            time.sleep(0.2)
        stops = servers.call(_stops(deps))
        records = servers.call(deps.store.trades("tg1"))

    assert answer.json()["steps"]["polls_published"] == 1
    assert stops == [BREAKEVEN]
    assert len([r for r in records if r.intent.kind == "manage"]) == 1
