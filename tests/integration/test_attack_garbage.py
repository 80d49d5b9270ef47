"""Attack: odd input that crashes a run or lets a forged intent block a real one (review).

Each test was a way to lose money that the review reproduced; each now proves its fix.
"""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal as D

import pytest

from builders import GOLD_BUY
from signal_copier.core import codec, ids
from signal_copier.core.errors import InvalidInput
from signal_copier.core.model import Intent, IntentKind
from signal_copier.services.deps import INTENTS_TOPIC
from signal_copier.services.pipeline import handle_message
from signal_copier.telegram.replay import read_events
from world import World


def test_a_replay_line_with_a_message_id_past_2_63_is_refused_naming_its_line() -> None:
    # Arrange
    line = {"date": "2026-01-05T09:30:00Z", "chat": -100, "id": 2**63, "text": "hello"}

    # Act / Assert
    with pytest.raises(InvalidInput, match=r"replay:1: .*id"):
        read_events([json.dumps(line)])


async def test_a_message_id_past_2_63_is_bad_input_and_changes_nothing(world: World) -> None:
    # Arrange
    await world.add_user("alice")
    message = replace(world.post(GOLD_BUY, id=1), message_id=2**63)

    # Act / Assert: a clear error the caller acknowledges, not a crash redelivered forever
    with pytest.raises(InvalidInput, match="message"):
        await handle_message(message, world.deps, world.now)


async def test_an_absurd_quote_is_refused_and_the_other_symbols_still_move(world: World) -> None:
    # Arrange
    account = await world.add_user("alice")
    at = world.later(1)

    # Act: one bad symbol among good ones (a replay file accepts 1e30: finite and positive)
    await world.pipeline.quotes(
        {"XAUUSD": (D("1e30"), D("1e30")), "EURUSD": (D("1.08600"), D("1.08608"))}, at
    )

    # Assert
    quote = await account.quote("EURUSD")
    assert (quote.bid, quote.ask) == (D("1.08600"), D("1.08608"))


async def test_a_manage_intent_from_the_topic_never_blocks_the_opening_whose_id_it_bears(
    world: World,
) -> None:
    # Arrange: a MANAGE intent published to the intents topic with the id alice's opening of
    # message 1 will have (ids are public: a hash of chat, message, version, user, part)
    account = await world.add_user("alice", lot="0.20")
    forged = Intent(
        id=ids.intent_id("c1", 1, 0, "alice", 0),
        user_id="alice",
        kind=IntentKind.MANAGE,
        chat_id="c1",
        message_id=1,
        version=0,
        message_date=world.now,
        received=world.now,
    )
    await world.queue.publish(INTENTS_TOPIC, codec.to_dict(forged))
    await world.queue.drain()

    # Act
    await world.say(GOLD_BUY, id=1)

    # Assert: the signal opens as if nothing had been published
    assert len(await account.positions()) == 2
