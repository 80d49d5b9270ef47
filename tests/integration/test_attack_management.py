"""Attack: position management racing the opening it manages (hostile review).

Events pushed by the broker (the paper broker today, any streaming source later): the cloud's
deal polling re-reads deals within its margin and holds. Each test was a way to lose money that the
review reproduced; each now proves its fix.
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from builders import GOLD_BUY
from hooks import Hooked
from signal_copier.core import codec
from signal_copier.services.deps import BROKER_EVENTS_TOPIC
from signal_copier.services.management import handle_broker_event
from world import World


async def test_a_tp1_hit_before_the_opening_is_recorded_still_moves_the_runner_to_breakeven(
    tmp_path: Path,
) -> None:
    # Arrange: both legs are placed; TP1 hits, and its event is handled (by another worker)
    # before the opening has stored its record
    world = World(tmp_path, wrap_store=Hooked)
    account = await world.add_user("alice", lot="0.20", breakeven_on_tp1=True)

    async def tp1_hits() -> None:
        quotes = {"XAUUSD": (D("2655.50"), D("2655.80"))}
        for event in world.paper.set_quotes(quotes, world.later(1)):
            try:
                await handle_broker_event(event, "alice", world.deps, world.now)
            except Exception:  # not acknowledged: Pub/Sub delivers it again
                await world.queue.publish(BROKER_EVENTS_TOPIC, codec.to_dict(event))

    world.store.before("finish", tp1_hits, nth=world.store.calls("finish") + 1)

    # Act
    await world.say(GOLD_BUY, id=1)

    # Assert: the runner is at breakeven, as when the event comes a moment later
    assert [p.sl for p in await account.positions()] == [D("2650.30")]
