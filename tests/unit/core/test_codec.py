"""The codec: records survive the wire exactly; bad data is refused naming the field."""

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal as D
from enum import IntEnum
from typing import Any

import pytest

from builders import NOW, make_intent, make_signal
from signal_copier.core import codec
from signal_copier.core.errors import InvalidInput
from signal_copier.core.model import Change, ChangeKind, Fill, Intent, Side, Status, TradeResult
from signal_copier.core.records import TradeRecord


def test_nested_records_round_trip_exactly() -> None:
    signal = make_signal(
        entry=None, entry_range=(D("2648.5"), D("2652")), tps=(D("2655.10"),), flags=("x",)
    )
    record = TradeRecord(
        intent=make_intent(signal=signal, reply_to=7, part=1),
        result=TradeResult(
            intent_id="i",
            user_id="u",
            status=Status.PLACED,
            fills=(
                Fill(
                    client_id="c.0",
                    order_id="1",
                    position_id=None,
                    volume=D("0.10"),
                    price=None,
                    pending=True,
                ),
            ),
            changes=(Change(kind=ChangeKind.SL, target="1", price=D("2650.30")),),
        ),
        current=make_signal(sl=D("2645")),
        recorded_at=NOW,
    )
    data = codec.to_dict(record)
    assert data["intent"]["signal"]["entry_range"] == ["2648.5", "2652"]  # Decimal as text
    assert codec.from_dict(TradeRecord, data) == record


def test_naive_datetime_is_refused_on_the_way_out() -> None:
    with pytest.raises(ValueError, match="naive"):
        codec.to_dict(make_intent(received=datetime(2026, 1, 5, 9)))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "bogus"}, "Intent.kind"),
        ({"received": "yesterday"}, "Intent.received"),
        ({"message_id": "7"}, "Intent.message_id"),
        ({"signal": {"symbol": "XAUUSD", "side": "buy", "sl": [1]}}, "Intent.signal.sl"),
    ],
)
def test_bad_data_names_the_field(change: dict[str, object], field: str) -> None:
    data = {**codec.to_dict(make_intent()), **change}
    with pytest.raises(InvalidInput, match=field.replace(".", r"\.")):
        codec.from_dict(Intent, data)


@pytest.mark.parametrize(
    ("field", "value", "complaint"),
    [
        ("message_id", 2**63, "does not fit in 64 bits"),
        ("message_id", -(2**63) - 1, "does not fit in 64 bits"),
        pytest.param("message_id", 10**4000, "an integer of about 4001 digits", id="4001-digits"),
        ("reply_to", 2**64, "does not fit in 64 bits"),
    ],
)
def test_an_id_a_store_cannot_hold_is_refused_naming_the_field(
    field: str, value: int, complaint: str
) -> None:
    data = codec.to_dict(make_intent())
    data[field] = value

    with pytest.raises(InvalidInput, match=f"Intent.{field}: .*{complaint}"):
        codec.from_dict(Intent, data)


@pytest.mark.parametrize(
    "value", ["1e101", "NaN", "-Infinity", "sNaN", "1e-99999", 1e300, "9" * 70]
)
def test_a_number_arithmetic_cannot_hold_is_refused_naming_the_field(value: object) -> None:
    data = codec.to_dict(make_intent(signal=make_signal()))
    data["signal"]["sl"] = value

    with pytest.raises(InvalidInput, match=r"Intent.signal.sl: "):
        codec.from_dict(Intent, data)


def test_an_infinite_float_is_refused() -> None:
    data = codec.to_dict(TradeResult(intent_id="i", user_id="u", status=Status.PLACED))
    data["latency_ms"] = float("inf")

    with pytest.raises(InvalidInput, match="latency_ms"):
        codec.from_dict(TradeResult, data)


def test_an_absurd_but_finite_level_decodes_so_the_guards_can_refuse_and_record_it() -> None:
    intent = make_intent(signal=make_signal(sl=D("1e30")))

    assert codec.from_dict(Intent, codec.to_dict(intent)) == intent


def test_the_largest_id_and_ordinary_levels_still_round_trip() -> None:
    intent = make_intent(signal=make_signal(sl=D("0.00001"), entry=D("98765.4321")))
    data = codec.to_dict(intent)
    data["message_id"] = 2**63 - 1

    assert codec.from_dict(Intent, data).message_id == 2**63 - 1
    assert codec.from_dict(Intent, codec.to_dict(intent)) == intent


def test_a_bad_item_deep_in_a_list_is_named_by_its_whole_path() -> None:
    record = codec.to_dict(
        TradeResult(
            intent_id="i",
            user_id="u",
            status=Status.PLACED,
            fills=(Fill(client_id="c.0", order_id="1", position_id="2", volume=D(1), price=D(2)),),
        )
    )
    record["fills"][0]["volume"] = "ten"

    with pytest.raises(InvalidInput) as caught:
        codec.from_dict(TradeResult, record)

    assert str(caught.value) == "TradeResult.fills[].volume: invalid value 'ten'"


@dataclass(frozen=True, slots=True, kw_only=True)
class _Every:
    """One field of every kind the codec converts."""

    text: str
    count: int
    ratio: float
    flag: bool
    price: D
    at: datetime
    side: Side
    maybe_side: Side | None = None
    maybe_at: datetime | None = None
    levels: tuple[D, ...] = ()
    pair: tuple[D, D] | None = None
    fill: Fill | None = None
    fills: tuple[Fill, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    anything: Any = None


def test_every_kind_of_field_is_encoded_as_json_safe_data_and_read_back() -> None:
    fill = Fill(client_id="c.0", order_id="1", position_id=None, volume=D("0.10"), price=None)
    value = _Every(
        text="t", count=7, ratio=0.5, flag=True, price=D("2650.30"), at=NOW, side=Side.BUY,
        maybe_side=Side.SELL, levels=(D("1"), D("2.50")), pair=(D("1.1"), D("1.2")), fill=fill,
        fills=(fill,), extra={"lot": "0.10", "map": {"XAUUSD": "GOLD"}}, anything=[D("3")],
    )  # fmt: skip

    data = codec.to_dict(value)

    fill_data = {
        "client_id": "c.0", "order_id": "1", "position_id": None, "volume": "0.10",
        "price": None, "leg": 0, "pending": False, "sl": None,
    }  # fmt: skip
    assert data == {
        "text": "t", "count": 7, "ratio": 0.5, "flag": True, "price": "2650.30",
        "at": "2026-01-05T09:00:00Z", "side": "buy", "maybe_side": "sell", "maybe_at": None,
        "levels": ["1", "2.50"], "pair": ["1.1", "1.2"], "fill": fill_data,
        "fills": [fill_data], "extra": {"lot": "0.10", "map": {"XAUUSD": "GOLD"}},
        "anything": ["3"],
    }  # fmt: skip
    assert json.loads(json.dumps(data)) == data
    assert codec.from_dict(_Every, data) == replace(value, anything=["3"])


def test_a_stored_record_without_a_later_field_takes_its_default_and_extra_keys_are_ignored() -> (
    None
):
    data = codec.to_dict(TradeResult(intent_id="i", user_id="u", status=Status.PLACED))
    del data["notes"], data["due_at"]
    data["written_by"] = "a newer release"

    result = codec.from_dict(TradeResult, data)

    assert result == TradeResult(intent_id="i", user_id="u", status=Status.PLACED)


class _Level(IntEnum):
    TWO = 2


def test_an_enum_member_in_a_plain_field_is_written_as_its_value() -> None:
    # Plain fields are written as they are: a str or int enum member held by one still
    # travels and is stored as its value, and reads back as that plain value.
    value = _Every(
        text=Status.PLACED, count=_Level.TWO, ratio=0.5, flag=False, price=D("1"), at=NOW,
        side=Side.BUY, maybe_side=None, levels=(), pair=(D("1"), D("2")),
        fill=Fill(client_id="c", order_id="1", position_id=None, volume=D("1"), price=None),
    )  # fmt: skip

    text = json.dumps(codec.to_dict(value))
    back = codec.from_dict(_Every, json.loads(text))

    assert '"text": "placed"' in text and '"count": 2' in text
    assert type(back.text) is str and back.text == "placed"
    assert type(back.count) is int and back.count == 2
