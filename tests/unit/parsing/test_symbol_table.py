"""One symbol table: every symbol the parser can name resolves on the paper broker's catalogue."""

from __future__ import annotations

import pytest

from signal_copier.broker.paper.specs import SymbolNames, load_instruments
from signal_copier.core.parsing import parse
from signal_copier.core.parsing.symbols import broker_aliases, known_symbols
from signal_copier.core.parsing.tokens import LEXICON
from signal_copier.core.symbol_map import ALIASES, broker_symbol

KNOWN = sorted(known_symbols(LEXICON.symbols))


@pytest.mark.parametrize("canonical", KNOWN)
def test_every_known_symbol_resolves_on_the_paper_broker(canonical: str) -> None:
    names = SymbolNames(load_instruments()).all()

    assert broker_symbol(canonical, names, {}) == canonical


@pytest.mark.parametrize("canonical", KNOWN)
def test_every_known_symbol_resolves_behind_a_broker_suffix(canonical: str) -> None:
    names = SymbolNames(load_instruments(), suffix=".m").all()

    assert broker_symbol(canonical, names, {}) == f"{canonical}.m"


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
