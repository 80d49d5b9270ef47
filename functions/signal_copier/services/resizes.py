"""Pending entries sent again smaller: an edit moved a risk-sized order's stop further away.

A pending order's volume cannot be changed, so the order is cancelled and placed again under
its own clientId (follow-ups, expiry and fills find it as before). Cancelled first: if it
filled meanwhile the cancel is refused and nothing is placed, so the trade never holds the
leg twice; a crash between the two leaves the leg cancelled (less exposure, never more). A kill
switch pressed meanwhile wins: the order is not placed again, or is cancelled again at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from signal_copier.core.errors import BrokerRejected
from signal_copier.core.followups import leg_of
from signal_copier.core.model import Change, ChangeKind, OrderRequest
from signal_copier.core.ports import BrokerAccount
from signal_copier.core.trims import Resize
from signal_copier.services.fencing import fence
from signal_copier.services.placing import undo_fills


async def resend(
    account: BrokerAccount, resizes: Sequence[Resize], allowed: Callable[[], Awaitable[bool]]
) -> tuple[list[Change], list[str], list[str]]:
    """Cancel each order and place it again smaller; return (changes, notes, refusals).

    `allowed` says whether the user may still hold the order (no kill switch since the signal).
    """
    changes: list[Change] = []
    notes: list[str] = []
    refusals: list[str] = []
    for resize in resizes:
        order = resize.order
        await fence()
        try:
            await account.cancel_order(order.id)
        except BrokerRejected as e:
            refusals.append(f"{ChangeKind.CANCEL} #{order.id}: {e}")
            continue
        changes.append(Change(kind=ChangeKind.CANCEL, target=order.id))
        if not resize.volume:
            notes.append(
                f"pending order {order.id} cancelled: its wider stop ({resize.sl}) would risk "
                "more than it was sized for, even at the minimum volume"
            )
            continue
        if not await allowed():
            notes.append(f"pending order {order.id} cancelled: the kill switch was pressed")
            continue
        await fence()
        try:
            fill = await account.place(_again(resize))
        except BrokerRejected as e:
            refusals.append(f"placing pending order {order.id} again smaller: {e}")
            continue
        if not await allowed():  # pressed while it was being placed: what it missed goes too
            changes += await undo_fills(account, [fill])
            notes.append(f"pending order {order.id} cancelled: the kill switch was pressed")
            continue
        changes.append(
            Change(
                kind=ChangeKind.ORDER,
                target=fill.order_id,
                volume=resize.volume,
                price=resize.price,
            )
        )
        notes.append(
            f"pending order {order.id} placed again as {fill.order_id} with {resize.volume} "
            f"lots (was {order.volume}) so its wider stop ({resize.sl}) risks no more than "
            "the trade was sized for"
        )
    return changes, notes, refusals


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
