"""Index tickers are named as the channel writes them (SPX500, DE40) and coins by their own ticker
($ETH), yet each is one instrument:
a follow-up or a setting that names it another way still finds it."""

from __future__ import annotations

from pathlib import Path

from world import World

SPX_BUY = "SPX500 BUY NOW\nSL 5780\nTP 5840"


async def test_close_us500_replying_to_an_spx500_signal_closes_it(tmp_path: Path) -> None:
    # Arrange: a two-signal post on SPX500 and gold; the reply names the index another way
    world = World(tmp_path)
    account = await world.add_user("alice", lot="0.10")
    await world.say(SPX_BUY + "\n\nXAUUSD BUY NOW\nSL 2640\nTP 2660", id=1)
    opened = {p.symbol for p in await account.positions()}

    # Act
    await world.say("Close US500", id=2, reply_to=1)

    # Assert: the index closed, gold stays
    assert opened == {"US500", "XAUUSD"}
    assert {p.symbol for p in await account.positions()} == {"XAUUSD"}


async def test_an_allowed_list_and_a_mapping_for_us500_apply_to_spx500(tmp_path: Path) -> None:
    world = World(tmp_path)
    account = await world.add_user(
        "alice", lot="0.10", allowed_symbols=["US500"], symbol_map={"US500": "US500"}
    )

    await world.say(SPX_BUY, id=1)

    assert [p.symbol for p in await account.positions()] == ["US500"]
    assert (await world.last("alice")).result.status == "placed"


async def test_close_eth_closes_the_trade_a_dollar_eth_signal_opened(tmp_path: Path) -> None:
    # Arrange: "$ETH" names the bare coin; the follow-up names it in lower case
    world = World(tmp_path)
    account = await world.add_user("alice", lot="0.10")
    await world.say("$ETH SHORT\nEntry: 3300\nSL 3360\nTP 3250", id=1)
    opened = [p.symbol for p in await account.positions()]

    # Act
    await world.say("close eth", id=2)

    # Assert
    assert opened == ["ETHUSD"]
    assert await account.positions() == []
