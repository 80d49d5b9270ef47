"""Round 5 of the hostile review: money math, settings changed between signals, the clock.

Each test is a scenario that lost a trader money (or would have) before its fix.
"""

from __future__ import annotations

from decimal import Decimal as D

from signal_copier.broker.paper import PaperAccount
from signal_copier.core.model import Status
from signal_copier.core.records import Plan
from signal_copier.services import accounts
from world import World

DAX_BUY = "DE40 BUY NOW\nSL 19950\nTP 20050"


async def test_a_corrected_symbol_mapping_applies_to_the_next_signal_under_another_ticker(
    world: World,
) -> None:
    # Before: the process remembered "DE40" → the first mapping's symbol under the key
    # (DE40, no mapping of DE40's own), so after the user corrected their GER40 mapping every
    # DE40 signal kept going to the old broker symbol (refused there, or traded on the wrong
    # index) for as long as the process lived.
    # Arrange: the user's GER40 mapping points at the wrong index: the DE40 signal is judged
    # on UK100's price and refused, and the record names UK100
    alice = await world.add_user("alice", lot="0.10", symbol_map={"GER40": "UK100"})
    await world.say(DAX_BUY, id=1)
    assert (await world.last("alice")).broker_symbol == "UK100"

    # Act: the user corrects the mapping; the channel posts its next DE40 signal
    await accounts.register_user(
        world.deps,
        "alice",
        Plan.PREMIUM,
        {"max_signal_age_s": 120, "lot": "0.10", "symbol_map": {"GER40": "GER40"}},
    )
    await world.say(DAX_BUY, id=2)

    # Assert
    last = await world.last("alice")
    assert (last.result.status, last.broker_symbol) == (Status.PLACED, "GER40")
    assert [p.symbol for p in await alice.positions()] == ["GER40"]


GOLD_TYPO = "XAUUSD BUY NOW\nSL 2660\nTP 2655"  # the SL is above the buy: refused
EURO_SELL = "EURUSD SELL NOW\nSL 1.0900\nTP 1.0800"
GOLD_OK = "XAUUSD BUY NOW\nSL 2640\nTP 2655"


async def _volumes(account: PaperAccount) -> dict[str, D]:
    held: dict[str, D] = {}
    for position in await account.positions():
        held[position.symbol] = held.get(position.symbol, D(0)) + position.volume
    return held


async def test_an_edit_dropping_a_posts_refused_signal_never_opens_its_other_signal_twice(
    world: World,
) -> None:
    # Before: an edit's signals were paired with the post's by their place in it; with the
    # refused gold signal gone, EURUSD (now first) was read as a "fix" of the refused gold
    # and opened again beside the EURUSD trade the post had opened: twice the exposure.
    # Arrange: a post of two signals, gold refused (SL on the wrong side), EURUSD opened
    alice = await world.add_user("alice", lot="0.10")
    await world.say(f"{GOLD_TYPO}\n\n{EURO_SELL}", id=1)
    assert await _volumes(alice) == {"EURUSD": D("0.1")}

    # Act: the channel deletes the gold part of its post
    await world.say(EURO_SELL, id=1, edited=True)

    # Assert
    assert await _volumes(alice) == {"EURUSD": D("0.1")}


async def test_an_edit_adding_a_signal_above_the_posted_one_never_opens_the_posted_one_twice(
    world: World,
) -> None:
    # Before: the added signal took the posted one's place (an edit of it: "signal changed",
    # nothing done) and the posted one, now second, was opened again as if new.
    # Arrange
    alice = await world.add_user("alice", lot="0.10")
    await world.say(EURO_SELL, id=1)

    # Act: the channel adds a gold signal at the top of its post
    await world.say(f"{GOLD_OK}\n\n{EURO_SELL}", id=1, edited=True)

    # Assert: gold opened as an added signal; EURUSD once
    assert await _volumes(alice) == {"EURUSD": D("0.1"), "XAUUSD": D("0.1")}


async def test_an_edit_dropping_one_signal_still_moves_the_stop_of_the_other(
    world: World,
) -> None:
    # Before: EURUSD, now first in the edit, was compared with gold ("signal changed": its
    # open trades left as they are) and its new stop never reached the broker.
    # Arrange: both signals of the post opened
    alice = await world.add_user("alice", lot="0.10")
    await world.say(f"{GOLD_OK}\n\n{EURO_SELL}", id=1)

    # Act: the channel drops gold from the post and tightens the EURUSD stop
    await world.say("EURUSD SELL NOW\nSL 1.0880\nTP 1.0800", id=1, edited=True)

    # Assert
    euro = [p for p in await alice.positions() if p.symbol == "EURUSD"]
    assert [p.sl for p in euro] == [D("1.08800")]


async def test_a_signal_dropped_by_one_edit_and_put_back_by_the_next_is_not_opened_again(
    world: World,
) -> None:
    # Before: the put-back gold was paired only against the version before it (EURUSD alone),
    # so it took a new part and opened again beside the gold trade the post had opened.
    # Arrange: both signals of the post opened; an edit drops gold (its trade stays)
    alice = await world.add_user("alice", lot="0.10")
    await world.say(f"{GOLD_OK}\n\n{EURO_SELL}", id=1)
    world.later(5)
    await world.say(EURO_SELL, id=1, edited=True)

    # Act: the next edit puts gold back
    world.later(5)
    await world.say(f"{GOLD_OK}\n\n{EURO_SELL}", id=1, edited=True)

    # Assert: each instrument held once
    assert await _volumes(alice) == {"EURUSD": D("0.1"), "XAUUSD": D("0.1")}
