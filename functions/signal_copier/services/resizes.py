"""Pending entries sent again smaller: an edit moved a risk-sized order's stop further away.

A pending order's volume cannot be changed, so the order is cancelled and placed again under
its own clientId (follow-ups, expiry and fills find it as before). Cancelled first: if it
filled meanwhile the cancel is refused and nothing is placed, so the trade never holds the
leg twice. A marker on the opening's record (`Resizing`), written before the cancel and
removed once the leg is settled, survives a worker dying in between: the next attempt at the
signal's edits places the leg unless it is found on the account (waiting, filled, or in its
history). A kill switch pressed meanwhile wins: the order is not placed again, or is
cancelled again at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from signal_copier.core import ids, reconcile
from signal_copier.core.errors import BrokerRejected
from signal_copier.core.followups import leg_of
from signal_copier.core.model import Change, ChangeKind, OrderRequest
from signal_copier.core.ports import BrokerAccount, TradeStore
from signal_copier.core.records import Resizing, TradeRecord
from signal_copier.core.trims import Resize
from signal_copier.services.fencing import fence
from signal_copier.services.placing import undo_fills

Allowed = Callable[[], Awaitable[bool]]
Resent = tuple[list[Change], list[str], list[str]]  # changes, notes, refusals


@dataclass(frozen=True, slots=True, kw_only=True)
class Marks:
    """Where each leg's resize marker lives: the record of the opening that placed the leg."""

    store: TradeStore
    user_id: str
    owners: Mapping[str, str]  # leg clientId → the opening intent's id
    account_id: str  # the broker account being worked on
    since: datetime  # the edit's arrival: the leg is looked for in the history from then

    async def put(self, resizing: Resizing) -> None:
        """Record, before its cancel, that a leg is being placed again."""
        cid = resizing.again.client_id
        await self.store.update_trade(
            self.user_id,
            self.owners[cid],
            lambda r: replace(r, resizing=(*_without(r.resizing, cid), resizing)),
        )

    async def drop(self, client_id: str) -> None:
        """Forget a leg's marker: it was placed again, or is settled otherwise."""
        await self.store.update_trade(
            self.user_id,
            self.owners[client_id],
            lambda r: replace(r, resizing=_without(r.resizing, client_id)),
        )


def owners_of(opened: Sequence[TradeRecord]) -> dict[str, str]:
    """Return each leg's clientId → the intent id of the opening record that holds it."""
    return {fill.client_id: r.intent.id for r in opened for fill in r.result.fills}


async def resend(
    account: BrokerAccount, resizes: Sequence[Resize], allowed: Allowed, marks: Marks
) -> Resent:
    """Cancel each order and place it again smaller; return (changes, notes, refusals).

    `allowed` says whether the user may still hold the order (no kill switch since the signal).
    """
    changes: list[Change] = []
    notes: list[str] = []
    refusals: list[str] = []
    for resize in resizes:
        order, again = resize.order, _again(resize)
        await fence()
        mark = Resizing(
            account_id=marks.account_id, order_id=order.id, again=again, since=marks.since
        )
        await marks.put(mark)
        try:
            await account.cancel_order(order.id)
        except BrokerRejected as e:
            refusals.append(f"{ChangeKind.CANCEL} #{order.id}: {e}")
            await marks.drop(again.client_id)
            continue
        changes.append(Change(kind=ChangeKind.CANCEL, target=order.id))
        done = await _place_again(account, again, order.id, allowed, f"was {order.volume}")
        await marks.drop(again.client_id)
        _extend((changes, notes, refusals), done)
    return changes, notes, refusals


async def complete(
    account: BrokerAccount,
    opened: Sequence[TradeRecord],
    allowed: Allowed,
    marks: Marks,
    expired: Collection[str] = (),
) -> Resent:
    """Finish the resizes an earlier attempt left between cancel and placement.

    A leg found on the account (the old order, the new one, a position or a deal) is settled;
    one found nowhere was cancelled and never placed again: it is placed now, on the account it
    was cancelled on only (after an account switch it is noted, not placed), and only while
    its entry has not expired (`expired`: the ids of the openings whose entries have).
    """
    changes: list[Change] = []
    notes: list[str] = []
    refusals: list[str] = []
    for record, mark in ((r, m) for r in opened for m in r.resizing):
        gone = _gone(record, mark, marks.account_id, expired)
        if gone:
            notes.append(f"pending order {mark.order_id} was not placed again: {gone}")
        elif await _nowhere(account, mark):
            done = await _place_again(
                account, mark.again, mark.order_id, allowed, "after an interrupted resize"
            )
            _extend((changes, notes, refusals), done)
        await marks.drop(mark.again.client_id)
    return changes, notes, refusals


async def abandon(store: TradeStore, opened: Sequence[TradeRecord]) -> list[str]:
    """Forget the resizes these openings hold (the edit gave up); return a line for each."""
    lines: list[str] = []
    for record in (r for r in opened if r.resizing):
        lines += [
            f"pending order {m.order_id} was being placed again with {m.again.volume} lots "
            "when this edit gave up: check your account for it"
            for m in record.resizing
        ]
        intent = record.intent
        await store.update_trade(intent.user_id, intent.id, lambda r: replace(r, resizing=()))
    return lines


def _extend(into: Resent, more: Resent) -> None:
    into[0].extend(more[0])
    into[1].extend(more[1])
    into[2].extend(more[2])


async def _place_again(
    account: BrokerAccount, again: OrderRequest, was: str, allowed: Allowed, why: str
) -> Resent:
    if not again.volume:
        note = (
            f"pending order {was} cancelled: its wider stop ({again.sl}) would risk more than "
            "it was sized for, even at the minimum volume"
        )
        return [], [note], []
    killed = f"pending order {was} cancelled: the kill switch was pressed"
    if not await allowed():
        return [], [killed], []
    await fence()
    try:
        fill = await account.place(again)
    except BrokerRejected as e:
        return [], [], [f"placing pending order {was} again smaller: {e}"]
    if not await allowed():  # pressed while it was being placed: what it missed goes too
        return await undo_fills(account, [fill]), [killed], []
    placed = Change(
        kind=ChangeKind.ORDER, target=fill.order_id, volume=again.volume, price=again.price
    )
    note = (
        f"pending order {was} placed again as {fill.order_id} with {again.volume} lots "
        f"({why}) so its wider stop ({again.sl}) risks no more than the trade was sized for"
    )
    return [placed], [note], []


def _gone(record: TradeRecord, mark: Resizing, account_id: str, expired: Collection[str]) -> str:
    # Why a leg cut short must stay cancelled whether or not it is on the account ('' if not).
    if mark.account_id != account_id:
        return (
            f"it was cancelled on account {mark.account_id}; the broker account has changed since"
        )
    if record.intent.id in expired:
        return "its entry has expired (pending_expiry_minutes)"
    return ""


async def _nowhere(account: BrokerAccount, mark: Resizing) -> bool:
    # The leg is looked for by its own clientId: waiting (old or new order), filled, or filled
    # and closed since the resize began.
    cid = mark.again.client_id
    positions, orders = await account.legs_of([ids.intent_client_of(cid) or cid])
    if any(p.client_id == cid for p in positions) or any(o.client_id == cid for o in orders):
        return False
    deals = await account.history(reconcile.history_start(mark.since))
    return not any(deal.client_id == cid for deal in deals)


def _without(marks: tuple[Resizing, ...], client_id: str) -> tuple[Resizing, ...]:
    return tuple(m for m in marks if m.again.client_id != client_id)


def _again(resize: Resize) -> OrderRequest:
    order = resize.order
    return OrderRequest(
        client_id=order.client_id,
        symbol=order.symbol,
        side=order.side,
        order_type=order.order_type,
        volume=resize.volume,
        price=resize.price,
        sl=resize.sl,
        tp=resize.tp,
        leg=leg_of(order.client_id),
    )
