"""Round 5 of the hostile review: money math, settings changed between signals, the clock.

Each test is a scenario that lost a trader money (or would have) before its fix.
"""

from __future__ import annotations

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
