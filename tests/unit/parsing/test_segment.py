"""Runs of unspaced scripts (Chinese, Japanese, Thai) split at the lexicon's words."""

from __future__ import annotations

from signal_copier.core.parsing.segment import Segmenter

SPLIT = Segmenter({"黄金", "买入", "ปิด", "ครึ่ง", "ขาย", "sell"})


def test_known_words_of_an_unspaced_run_are_set_apart() -> None:
    assert SPLIT("黄金买入2650").split() == ["黄金", "买入", "2650"]


def test_letters_that_begin_no_known_word_stay_one_word() -> None:
    assert SPLIT("แรงขายมาก").split() == ["แรง", "ขาย", "มาก"]


def test_the_longest_known_word_wins() -> None:
    split = Segmenter({"ปิด", "ครึ่ง", "ปิดครึ่ง"})

    assert split("ปิดครึ่ง").split() == ["ปิดครึ่ง"]


def test_text_of_other_scripts_is_left_as_it_is() -> None:
    assert SPLIT("XAUUSD SELL 2650 ⏎ золото") == "XAUUSD SELL 2650 ⏎ золото"
