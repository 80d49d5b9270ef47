"""One symbol table: every symbol the parser can name resolves on the paper broker's catalogue."""

from __future__ import annotations

import pytest

from signal_copier.broker.paper.specs import SymbolNames, load_instruments
from signal_copier.core.parsing import parse
from signal_copier.core.parsing.symbols import as_written, broker_aliases, known_symbols
from signal_copier.core.parsing.tokens import LEXICON
from signal_copier.core.symbol_map import ALIASES, broker_symbol

KNOWN = sorted(known_symbols(LEXICON.symbols))
# "SPX500", "DE40", "JPN225": index tickers the parser names as written → the instrument they are.
WRITTEN = as_written()


@pytest.mark.parametrize("canonical", KNOWN)
def test_every_known_symbol_resolves_on_the_paper_broker(canonical: str) -> None:
    names = SymbolNames(load_instruments()).all()

    assert broker_symbol(canonical, names, {}) == WRITTEN.get(canonical, canonical)


@pytest.mark.parametrize("canonical", KNOWN)
def test_every_known_symbol_resolves_behind_a_broker_suffix(canonical: str) -> None:
    names = SymbolNames(load_instruments(), suffix=".m").all()

    assert broker_symbol(canonical, names, {}) == f"{WRITTEN.get(canonical, canonical)}.m"


@pytest.mark.parametrize(
    ("text", "named", "listed"),
    [
        ("SPX500 BUY 6000 SL 5980 TP 6050", "SPX500", "US500"),
        ("US500 BUY 6000 SL 5980 TP 6050", "US500", "US500"),
        ("GER30 SELL 18000 SL 18100 TP 17900", "GER30", "GER40"),
        ("DE40 SELL 18000 SL 18100 TP 17900", "DE40", "GER40"),
        ("GER40 SELL 18000 SL 18100 TP 17900", "GER40", "GER40"),
        ("UK100 BUY 8000 SL 7950 TP 8100", "UK100", "UK100"),
        ("JPN225 BUY 38000 SL 37800 TP 38500", "JPN225", "JP225"),
        ("JP225 BUY 38000 SL 37800 TP 38500", "JP225", "JP225"),
        ("DAX SELL 18000 SL 18100 TP 17900", "GER40", "GER40"),
        ("FTSE BUY 8000 SL 7950 TP 8100", "UK100", "UK100"),
        ("Nikkei BUY 38000 SL 37800 TP 38500", "JP225", "JP225"),
        ("Dow BUY 42000 SL 41900 TP 42200", "US30", "US30"),
        ("US100 BUY 20000 SL 19900 TP 20200", "NAS100", "NAS100"),
    ],
)
def test_an_index_ticker_is_named_as_written_and_still_resolves_on_the_paper_broker(
    text: str, named: str, listed: str
) -> None:
    names = SymbolNames(load_instruments()).all()

    symbol = parse(text).signals[0].symbol

    assert (symbol, broker_symbol(symbol, names, {})) == (named, listed)


def test_every_index_ticker_named_as_written_is_one_the_mapper_knows() -> None:
    assert {"SPX500", "GER30", "DE40", "JPN225", "FTSE100"} <= set(WRITTEN)
    assert all(ALIASES[name][0] == name and WRITTEN[name] in ALIASES[name] for name in WRITTEN)


def test_the_parser_and_the_mapper_read_one_table() -> None:
    assert broker_aliases() == ALIASES
    assert {"US500", "JP225"} <= set(ALIASES)


@pytest.mark.parametrize(
    ("text", "broker_names", "expected"),
    [
        ("SPX500 SELL 5800 SL 5820 TP 5760", ["EURUSD", "SPX500"], "SPX500"),
        ("US500 BUY 5800 SL 5780 TP 5840", ["US500.cash"], "US500.cash"),
        ("NIKKEI BUY 38500 SL 38300 TP 38900", ["JPN225", "EURUSD"], "JPN225"),
        ("JP225 SELL 38500 SL 38700 TP 38100", ["JP225Cash"], "JP225Cash"),
        ("Boom 1000 SELL 12450 SL 12480 TP 12400", ["Boom 1000 Index"], "Boom 1000 Index"),
    ],
)
def test_a_parsed_symbol_maps_to_the_broker_name_it_is_listed_under(
    text: str, broker_names: list[str], expected: str
) -> None:
    symbol = parse(text).signals[0].symbol

    assert broker_symbol(symbol, broker_names, {}) == expected
