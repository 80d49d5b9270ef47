"""Clean message text: Unicode look-alikes, digits, invisible marks and chat markup."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from signal_copier.core.parsing.segment import has_unspaced

SLASH = "|"  # "EUR/USD" → "EUR|USD": no token, but the gap still says the two were one pair
MAX_CHARS = 4096  # Telegram's own limit for one message: anything longer is not a channel post

_INVISIBLE = "\u00ad\u0640\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
_INVISIBLE += "\u2060\u2066\u2067\u2068\u2069\ufe0e\ufe0f\ufeff"
_TABLE: dict[int, str | None] = dict.fromkeys(map(ord, _INVISIBLE), None)
_TABLE.update({0x06F0 + i: str(i) for i in range(10)})  # Persian digits
_TABLE.update({0x0660 + i: str(i) for i in range(10)})  # Arabic-Indic digits
# Circled digits that NFKC keeps ("➊", "❶", "➀", "⓵"): target numbers, read as digits.
for _first in (0x2776, 0x2780, 0x278A, 0x24F5):
    _TABLE.update({_first + i: str(i + 1) for i in range(10)})
_TABLE.update(
    {
        ord("٬"): ",",
        ord("٫"): ".",
        ord("،"): ",",
        ord("؛"): ";",
        ord("ي"): "ی",
        ord("ى"): "ی",
        ord("ك"): "ک",
        ord("–"): "-",
        ord("—"): "-",
        ord("−"): "-",
        ord("‒"): "-",
        ord("’"): "'",
        ord("‘"): "'",
        ord("*"): " ",
        ord("`"): " ",
        ord("\t"): " ",
        ord("\u20e3"): ")",  # keycap "1️⃣": a list number, like "1)"
        ord("\r"): "\n",
        ord("\u00a0"): " ",
        # Turkish capitals lower-case to other letters ("SATIŞ" → "satiş", "GİRİŞ" → "gi̇ri̇ş"):
        # the dotless and the dotted I are read as plain i/I, in the text and in the lexicon.
        ord("ı"): "i",
        ord("İ"): "I",
        ord("½"): " ",
        ord("¼"): " ",
        ord("¾"): " ",
    }
)
_ASCII_TABLE = {key: value for key, value in _TABLE.items() if key < 128}
# Translating with a dict is slow on non-ASCII text (a failed lookup per character kept), so only
# the few characters to change are found and replaced.
_IN_TABLE = re.compile("[" + re.escape("".join(map(chr, _TABLE))) + "]")
_REPLACEMENTS = {chr(key): value or "" for key, value in _TABLE.items()}
# Replaced before NFKC turns "81.139½" into "81.1391⁄2" and "TP №2" into "TP No2".
_BEFORE_NFKC = str.maketrans("½¼¾№", "    ")
# Cyrillic and Greek letters that render like Latin ones (mapped only inside mixed words).
_CONFUSABLE = str.maketrans(
    "АВЕКМНОРСТХУаеорсухіјѕԁΑΒΕΖΗΙΚΜΝΟΡΤΥΧαοντ",
    "ABEKMHOPCTXYaeopcyxijsdABEZHIKMNOPTYXaovt",
)
_LOOKALIKES = "АВЕКМНОРСТХУаеорсухіјѕԁΑΒΕΖΗΙΚΜΝΟΡΤΥΧαοντ"
_HAS_CONFUSABLE = re.compile(f"[{_LOOKALIKES}]")
# Words made only of Latin letters and look-alikes, with at least one look-alike: the only words
# that can turn Latin ("SЕLL", "ВUY"); "покупка" is left alone without a call per word.
_LETTERS = re.compile(
    f"(?<![^\\W\\d_])[A-Za-z{_LOOKALIKES}]*[{_LOOKALIKES}][A-Za-z{_LOOKALIKES}]*(?![^\\W\\d_])"
)
# "Cross (50x)" written with a Cyrillic letter x: glued after digits it is the leverage "x" (a
# one-letter word of its own is left alone: it is a Russian word too).
_TIMES = re.compile("(?<=\\d)[\u0445\u0425](?![^\\W\\d_])")
# A dash that begins a line before a level is a bullet ("- $0.031"), not the "-" of a range.
_DASH_BULLET = re.compile(r"(?m)^[ ]*-(?=[ ]*[$\d])")
_SHORTCODE = re.compile(r":([a-z][a-z0-9_+\-]{0,40}):")
# Bold markup that opens or closes inside a price ("Sl :4**009", "SL 438**0") is no gap: the digits
# are one number. Asterisks only: "2650__2644" and "2650~2655" are ranges.
_BOLD_IN_NUMBER = re.compile(r"(?<=\d)\*\*+(?=\d)")
# A link ("t.me/…?startapp=dy1Y", "tradingview.com/chart/x/FTLH5hmC-…") holds no levels and no
# words of the message.
_LINK = re.compile(r"(?i)\b(?:https?://|www\.)?(?:[a-z0-9-]+\.)+[a-z]{2,}/[^\s)\]]*")
_KEEP_SHORTCODE = frozenset({"sl", "tp", "e", "en", "at", "entry"})
# Each pattern starts with a character class so the engine can skip ahead (linear, fast).
_SL_TP_DOTTED = re.compile(r"([stST])(?<![^\W\d_][stST])\s?[.\-/]\s?([lpLP])(?![^\W\d_])")
_LETTER_DASH = re.compile(r"-(?<=[^\W\d_]-)(?=[^\W\d_])")
_LETTER_SLASH = re.compile(r"/(?<=[^\W\d_]/)(?=[^\W\d_])")
_MARKED_SLASH = re.compile(r"/[#$](?<=[^\W\d_]/[#$])(?=[^\W\d_])")  # "#ABT/#BTC": one pair
_E_LABEL = re.compile(r"(?im)^[ ]*e[ ]*(?=[:@])")
_DATE = re.compile(
    r"\d(?<![\d.]\d)\d?[/-]\d\d?[/-](?:19|20)\d\d(?!\d)|(?:19|20)\d\d[/-]\d\d?[/-]\d\d?(?!\d)"
)
# Cheap searches that decide whether a costlier rewrite is needed at all. A character-class search
# calls a function per character (5x a substring search), so substring searches go first, and
# patterns start with one literal character where they can.
_E_HINT = re.compile(r"[eE] *[:@]")
# Turkish case endings on a price: "2640'tan 2650'ye" is "from 2640 to 2650".
_TR_FROM = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)?)['’](?:dan|den|tan|ten)(?![^\W\d_])")
_TR_TO = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)?)['’](?:ye|ya|e|a)(?![^\W\d_])")
_DOTTED_HINTS = tuple(re.compile(mark + r"\s?[lpLP]") for mark in (r"\.", "-", "/"))


def normalize(
    text: str,
    known: Callable[[str], bool],
    split_unspaced: Callable[[str], str] | None = None,
) -> str:
    """Return `text` capped, NFKC-folded, de-confused and with markup reduced to spaces.

    `split_unspaced` sets apart the words of Chinese, Japanese and Thai runs (see `segment`).
    """
    text = text[:MAX_CHARS]
    if "**" in text:
        text = _BOLD_IN_NUMBER.sub("", text)
    if text.isascii():
        # Four substring searches: a class search calls a function per character, at 5x the cost.
        if "*" in text or "`" in text or "\t" in text or "\r" in text:
            text = text.translate(_ASCII_TABLE)
    else:
        text = _folded(text, known, split_unspaced)
    text = _rewrite(_unmarked(text))
    if "\n-" in text or text[:1] == "-":
        text = _DASH_BULLET.sub(" ", text)  # "Targets :⏎- $0.7610⏎- $0.7800": bullets, no range
    # "S-L", "Take-Profit": one word apart; "APR/USDT": a pair, so the slash stays as a gap mark.
    if "-" in text:
        text = _LETTER_DASH.sub(" ", text)
        if "->" in text:
            text = text.replace("->", " → ")
    if "/" in text:
        if "/#" in text or "/$" in text:
            text = _MARKED_SLASH.sub(SLASH, text)
        text = _LETTER_SLASH.sub(SLASH, text)
    if "<-" in text:
        text = text.replace("<-", " ← ")
    return text


def _folded(
    text: str, known: Callable[[str], bool], split_unspaced: Callable[[str], str] | None
) -> str:
    # Non-ASCII text: NFKC, the table's replacements, and Latin words spelt with look-alikes.
    if "½" in text or "¼" in text or "¾" in text or "№" in text:  # as above: searches
        text = text.translate(_BEFORE_NFKC)
    text = unicodedata.normalize("NFKC", text)
    text = _IN_TABLE.sub(_replace, text)
    if _HAS_CONFUSABLE.search(text):
        text = _LETTERS.sub(lambda m: _unconfuse(m.group(), known), text)
        if "\u0445" in text or "\u0425" in text:
            text = _TIMES.sub("x", text)
    if split_unspaced is not None and has_unspaced(text):
        text = split_unspaced(text)  # "黄金买入2650" → " 黄金  买入 2650"
    return text


def _unmarked(text: str) -> str:
    # Links go; ":fire:" shortcodes become what they stand for.
    if "://" in text or "t.me/" in text or "www." in text:
        text = _LINK.sub(" ", text)
    if ":" in text:
        text = _SHORTCODE.sub(_shortcode, text)
    return text


def _rewrite(text: str) -> str:
    if "'" in text or "’" in text:
        text = _TR_TO.sub(r"to \1", _TR_FROM.sub(r"from \1", text))
    if _e_label_start(text) and _E_HINT.search(text):
        text = _E_LABEL.sub("entry", text)
    if "/19" in text or "/20" in text or "-19" in text or "-20" in text:  # "[/-](?:19|20)"
        text = _DATE.sub(" ", text)
    dot, dash, slash = _DOTTED_HINTS
    if (
        ("." in text and dot.search(text))
        or ("-" in text and dash.search(text))
        or ("/" in text and slash.search(text))
    ):  # "[.\-/]\s?[lpLP]"
        text = _SL_TP_DOTTED.sub(_undot, text)
    return text


def _e_label_start(text: str) -> bool:
    # What "E: 2650" needs before its pattern is worth a search: a ":" or "@", and a line that
    # starts with "e" or a space ("⏎  e @ 2650").
    return ("@" in text or ":" in text) and (
        text[:1] in ("e", "E", " ") or "\ne" in text or "\nE" in text or "\n " in text
    )


def _unconfuse(word: str, known: Callable[[str], bool]) -> str:
    if word.isascii():
        return word
    mapped = word.translate(_CONFUSABLE)
    if mapped == word:
        return word
    # A mixed word ("SЕLL" with a Cyrillic Е) or a known Latin word spelt with look-alikes.
    mixed = any("a" <= c.lower() <= "z" for c in word)
    if mixed and mapped.isascii():
        return mapped
    # A one-letter word is a word of its own script ("б/у", "в", "с"), never a look-alike.
    return mapped if len(word) > 1 and mapped.isascii() and known(mapped.lower()) else word


def _replace(match: re.Match[str]) -> str:
    return _REPLACEMENTS[match.group()]


def _undot(match: re.Match[str]) -> str:
    # "S.L" → "SL". A function, not the template r"\1\2": re expands a template in Python for
    # every match, at twice the cost.
    return match[1] + match[2]


def _shortcode(match: re.Match[str]) -> str:
    return match.group() if match.group(1) in _KEEP_SHORTCODE else " "
