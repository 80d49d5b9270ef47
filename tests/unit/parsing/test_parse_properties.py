"""Property tests: untrusted text never crashes the parser or opens a trade half-read."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signal_copier.core.model import Parse
from signal_copier.core.parsing import parse, to_label

SAMPLES = [
    json.loads(line)["text"]
    for line in (Path(__file__).resolve().parents[2] / "data" / "parsing" / "cases.jsonl")
    .read_text("utf-8")
    .splitlines()
    if line.strip()
]
ODD_TEXT = st.text(
    alphabet=st.sampled_from(list("0123456789.,-/_~@:+% \nSLTPBUYSELbuysel📈🔴۱٫٬ЕВ𝐁\u200f½¹")),
    max_size=400,
)


def assert_sound(result: Parse) -> None:
    """Check the invariants every parse keeps, whatever the input."""
    for signal in result.signals:
        assert signal.symbol and signal.side is not None
        if signal.entry is not None and signal.sl is not None:
            wrong_side = (signal.entry - signal.sl) * signal.side.sign <= 0
            assert wrong_side == ("sl_wrong_side" in signal.flags)
        # A level flagged as a decimal slip is kept, never dropped silently.
        assert "entry_off_scale" not in signal.flags or signal.reference_price is not None
        assert "sl_off_scale" not in signal.flags or signal.sl is not None
        assert "tp_off_scale" not in signal.flags or signal.tps
    if result.kind == "none":
        assert result.reason
    json.dumps(to_label(result))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=600))
def test_any_text_parses_without_error(text: str) -> None:
    assert_sound(parse(text))


@settings(max_examples=300, deadline=None)
@given(ODD_TEXT)
def test_signal_like_noise_never_opens_half_read(text: str) -> None:
    assert_sound(parse(text))


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """Return a corpus-like message with characters swapped, dropped, inserted or repeated."""
    text = draw(st.sampled_from(SAMPLES))
    for _ in range(draw(st.integers(0, 6))):
        if not text:
            break
        at = draw(st.integers(0, len(text) - 1))
        action = draw(st.sampled_from(["swap", "drop", "insert", "repeat_line"]))
        if action == "swap" and at + 1 < len(text):
            text = text[:at] + text[at + 1] + text[at] + text[at + 2 :]
        elif action == "drop":
            text = text[:at] + text[at + 1 :]
        elif action == "insert":
            text = text[:at] + draw(st.characters()) + text[at:]
        else:
            text = "\n".join([text] * draw(st.integers(2, 4)))
    return text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_messages_parse_soundly(text: str) -> None:
    assert_sound(parse(text))


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(SAMPLES), st.integers(10_000, 20_000))
def test_very_long_messages_parse_soundly(text: str, length: int) -> None:
    long_text = ((text or "x") + "\n") * (length // max(len(text), 1) + 1)

    assert_sound(parse(long_text[:length]))
