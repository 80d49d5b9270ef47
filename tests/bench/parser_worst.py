"""The parser's worst case: the slowest of a set of adversarial inputs, each as long as Telegram
allows (4,096 characters), built to hit every loop the parser has: many targets, symbols,
signals, sides, list numbers, joiners, sentence ends, look-alike characters, labels, ids.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from signal_copier.core.parsing import parse
from signal_copier.core.parsing.normalize import MAX_CHARS

_PATTERNS: dict[str, tuple[str, str, str]] = {  # name: (head, repeated unit, tail)
    "targets_as_indexes": ("XAUUSD BUY 2650 SL 2640 ", "TP 1 ", ""),
    "target_prices": ("XAUUSD BUY 2650 SL 2640 ", "TP 2650 ", ""),
    "target_pips": ("XAUUSD BUY 2650 SL 2640 ", "TP 20 pips ", ""),
    "joined_pips": ("XAUUSD BUY 2650 SL 2640 TP ", "20-", " pips"),
    "bare_numbers": ("XAUUSD BUY ", "2650 ", ""),
    "digits": ("", "1 ", ""),
    "symbols": ("", "EURUSD GBPUSD BTC/USDT ", ""),
    "signals": ("", "EURUSD BUY 1.0850 SL 1.0800 TP 1.0900\n", ""),
    "sides": ("XAUUSD ", "BUY SELL ", ""),
    "target_lines": ("XAUUSD BUY 2650\n", "TP 2660\n", ""),
    "numbered_list": ("BTC/USDT LONG\nTargets:\n", "1) 60000\n", ""),
    "joiners": ("XAUUSD BUY ", "2650 - ", " SL 2640"),
    "close_words": ("", "close ", ""),
    "sentences": ("", "BTC. ETH. ", " LONG 60000 SL 59000 TP 61000"),
    "look_alikes": ("ＸＡＵＵＳＤ ＢＵＹ ", "➊ ① ❶ ≈ № 𝟐𝟔 ١٫٠ ", ""),
    "deriv_indices": ("", "Volatility 75 (1s) Index ", ""),
    "coin_pairs": ("", "APR/USDT ", ""),
    "hashtags": ("", "#ABC ", ""),
    "dollar_tickers": ("", "$ABC LONG ", ""),
    "zone_pairs": ("XAUUSD BUY ", "2650 2651 ", ""),
    "emoji": ("", "🟢🔴📈📉 ", ""),
    "follow_ups": ("", "Close half and move SL to entry, ", ""),
    "side_labels": ("XAUUSD\n", "Buy: 2650\nSell: 2660\n", ""),
    "bot_updates": ("Stop moved\n", "SL: 2650 ← 2640 → 2630 ", ""),
    "position_ids": ("", "Position: 9a1f02c4 ", ""),
    "thousands": ("", "2,650,", ""),
    "dates": ("", "2024.05.01 10:30 ", ""),
    "shortcodes": ("", ":white_check_mark: ", ""),
    "one_word": ("", "A", ""),
    "one_number": ("", "9", ""),
    "marks": ("", "-/_~", ""),
    "questions": ("", "Gold buy now? 2650 ", ""),
    "conditions": ("", "possible buy idea if 2650 ", ""),
    "prose_mentions": ("", "BTC is dumping, so ETH ", ""),
    "cornix_lists": ("", "Entry Targets:\n1) 61200.5\n2) 59850.0\n", ""),
    "russian": ("", "Золото покупка 2330 стоп 2322 тейк 2340 ", ""),
    # One long gap after a word a pattern starts at: each gap is searched once, not per space.
    "lock_gap": ("Lock", " ", "x"),
    "stop_gap": ("XAUUSD BUY NOW $ stop", " ", "x"),
    "separator_gap": ("XAUUSD BUY 2650 SL 2640 TP 2660\nhold", " ", "- x"),
    "restated_orders": ("XAUUSD BUY 2650 SL 2640 TP 2660\n", "Close half - move SL to 2655\n", ""),
}


def adversarial_texts() -> dict[str, str]:
    """Return each adversarial input by name, filled to exactly MAX_CHARS characters."""
    texts = {}
    for name, (head, unit, tail) in _PATTERNS.items():
        body = unit * (MAX_CHARS // len(unit) + 1)
        texts[name] = (head + body)[: MAX_CHARS - len(tail)] + tail
    return texts


def parser_worst_case(
    repeats: int = 5, clock: Callable[[], float] = time.perf_counter
) -> dict[str, object]:
    """Return the slowest input's name and its best time over `repeats` parses, in ms."""
    best: dict[str, float] = {}
    for name, text in adversarial_texts().items():
        times = []
        for _ in range(repeats):
            began = clock()
            parse(text)
            times.append(clock() - began)
        best[name] = min(times) * 1000
    worst = max(best, key=best.__getitem__)
    return {"inputs": len(best), "worst": worst, "worst_ms": best[worst], "by_input": best}
