"""A retried follow-up finds its own closes by position, with the broker's clock behind (#13)."""

from datetime import timedelta
from decimal import Decimal as D

from builders import NOW, make_signal, position
from signal_copier.core import ids
from signal_copier.core.followups import Target
from signal_copier.core.market import Deal, DealReason
from signal_copier.core.model import Side
from signal_copier.core.reconcile import before_closes, closes_of, history_start

TARGET = Target(client_id="scA", signal=make_signal(), legs={"10": "scA.0", "11": "scA.1"})


def _deal(position_id: str, volume: str, *, client_id: str = "", reason: str = "close") -> Deal:
    return Deal(
        id=f"d{position_id}{volume}",
        order_id="o",
        position_id=position_id,
        client_id=client_id,
        symbol="XAUUSD",
        side=Side.SELL,  # an OUT deal of a buy
        volume=D(volume),
        price=D("2652.00"),
        time=NOW - timedelta(seconds=2),
        reason=DealReason(reason),
    )


def test_history_is_read_from_a_margin_before_the_intent_was_received() -> None:
    assert history_start(NOW) < NOW - timedelta(seconds=2)


def test_closes_are_matched_by_position_or_clientid_never_by_time_alone() -> None:
    live = [position("10", "scA.0"), position("20", "scB.0")]
    deals = [
        _deal("10", "0.05"),  # a live leg of the target
        _deal("11", "0.10"),  # a leg gone since, known from the record's fills
        _deal("12", "0.01", client_id="scA.2"),  # a leg known by its clientId only
        _deal("20", "0.05", client_id="scB.0"),  # another signal's position
        _deal("30", "0.05"),  # a manual trade
        _deal("10", "0.05", reason="sl"),  # the broker's SL, not a close of ours
    ]
    assert [d.position_id for d in closes_of(deals, [TARGET], live)] == ["10", "11", "12"]


def test_positions_are_restored_to_what_they_were_before_the_closes() -> None:
    live = [position("10", "scA.0", volume=D("0.05")), position("20", "scB.0")]
    closes = [_deal("10", "0.05"), _deal("11", "0.10"), _deal("11", "0.02")]
    restored = {p.id: p for p in before_closes(live, closes, [TARGET])}
    assert restored["10"].volume == D("0.10") and restored["20"].volume == D("0.10")
    gone = restored["11"]
    assert (gone.volume, gone.side, gone.client_id) == (D("0.12"), Side.BUY, "scA.1")


def test_nothing_closed_leaves_the_positions_as_they_are() -> None:
    live = [position("10", "scA.0")]
    assert before_closes(live, [], [TARGET]) == live


def test_the_kill_switchs_closes_are_never_taken_for_a_follow_ups_own() -> None:
    # Arrange: the kill switch closed both legs before a "close half" was retried
    tag = ids.kill_switch_tag("alice", NOW)
    deals = [_deal("10", "0.10", client_id=tag), _deal("11", "0.10", client_id=tag)]

    # Act
    found = closes_of(deals, [TARGET], [], ids.close_tag("scC"))

    # Assert: no close of its own, so its retry says the trade is no longer open
    assert ids.is_close_tag(tag) and found == []
