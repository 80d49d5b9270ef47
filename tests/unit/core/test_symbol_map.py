import pytest

from signal_copier.core.errors import UnknownSymbol
from signal_copier.core.symbol_map import broker_symbol, same_instrument


@pytest.mark.parametrize(
    ("canonical", "available", "expected"),
    [
        ("XAUUSD", ["EURUSD", "XAUUSD"], "XAUUSD"),
        ("XAUUSD", ["EURUSD.m", "XAUUSD.m"], "XAUUSD.m"),
        ("XAUUSD", ["XAUUSDm", "EURUSDm"], "XAUUSDm"),
        ("XAUUSD", ["m.XAUUSD"], "m.XAUUSD"),
        ("XAUUSD", ["GOLD", "SILVER"], "GOLD"),
        ("NAS100", ["USTEC", "US30"], "USTEC"),
        ("GER40", ["DE40.cash"], "DE40.cash"),
        ("US30", ["US30.pro", "US300"], "US30.pro"),
    ],
)
def test_canonical_symbol_maps_to_broker_name(
    canonical: str, available: list[str], expected: str
) -> None:
    assert broker_symbol(canonical, available, {}) == expected


def test_user_override_wins() -> None:
    assert broker_symbol("XAUUSD", ["XAUUSD", "GOLD.x"], {"XAUUSD": "GOLD.x"}) == "GOLD.x"


def test_override_to_a_symbol_the_broker_lacks_is_an_error() -> None:
    with pytest.raises(UnknownSymbol, match=r"GOLD\.y"):
        broker_symbol("XAUUSD", ["XAUUSD"], {"XAUUSD": "GOLD.y"})


def test_unmatched_symbol_names_the_closest_candidates() -> None:
    with pytest.raises(UnknownSymbol, match="EURUSD_i") as caught:
        broker_symbol("EURUSF", ["EURUSD_i", "GBPUSD"], {})
    assert caught.value.reason == "unknown_symbol"


def test_two_equally_good_matches_are_ambiguous() -> None:
    with pytest.raises(UnknownSymbol) as caught:
        broker_symbol("EURUSD", ["EURUSD.a", "EURUSD.b"], {})
    assert caught.value.reason == "ambiguous_symbol"


@pytest.mark.parametrize(
    ("written", "named", "same"),
    [
        ("SPX500", "US500", True),
        ("DE40", "GER30", True),
        ("JPN225", "JP225", True),
        ("US500", "US30", False),
        ("EURUSD", "EURUSD", True),
        ("ETH", "ETHUSD", True),
        ("ETHUSDT", "ETHUSD", True),
        ("BTCUSD", "ETHUSD", False),
        ("EURUSD", "EURJPY", False),
        ("XAUUSD", "XAUEUR", False),
    ],
)
def test_index_tickers_and_coin_pairs_written_differently_are_one_instrument(
    written: str, named: str, same: bool
) -> None:
    assert same_instrument(written, named) is same


def test_a_mapping_for_the_instrument_maps_each_way_it_is_written() -> None:
    mapping = {"US500": "SP500.cash"}

    assert broker_symbol("SPX500", ["SP500.cash", "US500"], mapping) == "SP500.cash"
    assert broker_symbol("SPX500", ["X", "SPX"], {"SPX500": "SPX"}) == "SPX"  # its own wins


@pytest.mark.parametrize(
    ("canonical", "available", "expected"),
    [
        ("SOLUSDT", ["SOLUSD", "SUIUSD"], "SOLUSD"),
        ("ETHUSDT", ["ETHUSD.m", "EURUSD.m"], "ETHUSD.m"),
        ("BTCUSDC", ["BTCUSD"], "BTCUSD"),
        ("BTCUSDT", ["BTCUSDT", "BTCUSD"], "BTCUSDT"),  # the broker's own USDT market first
    ],
)
def test_a_coin_quoted_in_a_dollar_stablecoin_trades_as_the_brokers_usd_market(
    canonical: str, available: list[str], expected: str
) -> None:
    assert broker_symbol(canonical, available, {}) == expected


def test_a_coin_quoted_in_another_coin_is_never_its_usd_market() -> None:
    with pytest.raises(UnknownSymbol):
        broker_symbol("LINKBTC", ["LINKUSD"], {})
