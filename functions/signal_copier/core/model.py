"""Domain values: message → signal/command → intent per user → order plan → trade result."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from signal_copier.core import ids
from signal_copier.core.reasons import Reason


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        """Return +1 for buy and -1 for sell (direction of profit)."""
        return 1 if self is Side.BUY else -1


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"


class Action(StrEnum):
    """What a follow-up command does."""

    MODIFY = "modify"
    CLOSE = "close"
    CANCEL = "cancel"
    # A new entry on a known signal ("Buy again, same SL and TP", "Add more at 2645"): the
    # engine completes it from the signal it refers to and opens it as a trade of its own.
    REENTER = "reenter"


class Scope(StrEnum):
    """Which positions a command acts on."""

    REPLY = "reply"  # the signal the message replies to (or the channel's latest signal)
    SYMBOL = "symbol"  # every copied position on the named symbol
    ALL = "all"  # every position this copier opened from the channel
    POSITION = "position"  # a named position: a bot update's "Position: 9a1f02c4"


class SlAnchor(StrEnum):
    """A stop loss named by a level of the signal instead of a price."""

    ENTRY = "breakeven"
    TP1 = "tp1"
    TP2 = "tp2"  # "TP3 done, trail SL to TP2"
    TP3 = "tp3"
    TP4 = "tp4"

    @property
    def target(self) -> int | None:
        """Return the number of the target this anchor names (TP2 → 2), or None for the entry."""
        return None if self is SlAnchor.ENTRY else int(self.value[2:])


class MessageKind(StrEnum):
    """What a listener saw happen to a Telegram message."""

    MESSAGE = "message"  # posted, or edited (then it carries `edit_date`)
    DELETION = "deletion"  # the chat deleted it: only the chat and message ids are known


class IntentKind(StrEnum):
    OPEN = "open"
    COMMAND = "command"
    EDIT = "edit"
    DELETE = "delete"  # the channel deleted a signal: cancel what it left pending
    MANAGE = "manage"  # position management after a broker event (TP1 hit, expiry)


class ChangeKind(StrEnum):
    """What a follow-up, an edit or position management did to one position or order."""

    CLOSE = "close"
    PARTIAL_CLOSE = "partial_close"
    SL = "sl"
    TP = "tp"
    CANCEL = "cancel"
    ORDER = "order"  # a pending order's price/levels changed


class Status(StrEnum):
    PLACED = "placed"
    APPLIED = "applied"  # a follow-up changed positions or orders
    SKIPPED = "skipped"  # a guard, setting or quota said no: nothing was sent to the broker
    REJECTED = "rejected"  # the broker refused
    FAILED = "failed"  # gave up after retries


@dataclass(frozen=True, slots=True, kw_only=True)
class RawMessage:
    """One Telegram event as a listener saw it; edits carry `edit_date` and a new version.

    A deletion (kind DELETION) has no text, and its `date` is when the listener saw it.
    """

    chat_id: str
    message_id: int
    text: str
    date: datetime
    received: datetime
    reply_to: int | None = None
    edit_date: datetime | None = None
    chat_title: str = ""
    epoch: int = 0  # listener lease epoch that published it
    # The id of the message the source saw just before this one in this chat (its watermark),
    # None when it does not know: lets a bare follow-up tell whether anything before it is missing.
    previous_id: int | None = None
    kind: MessageKind = MessageKind.MESSAGE

    @property
    def deleted(self) -> bool:
        """Return whether this event is the chat deleting the message."""
        return self.kind is MessageKind.DELETION

    @property
    def version(self) -> int:
        """Return 0 for the original message, else the edit's time and text hash (see ids).

        A deletion is the message's last version, ids.DELETED_VERSION.
        """
        if self.kind is MessageKind.DELETION:
            return ids.DELETED_VERSION
        edited = None if self.edit_date is None else int(self.edit_date.timestamp())
        return ids.message_version(edited, self.text)

    @property
    def id(self) -> str:
        """Return the dedupe key chat:message:version."""
        return ids.message_key(self.chat_id, self.message_id, self.version)


@dataclass(frozen=True, slots=True, kw_only=True)
class Signal:
    """An opening signal as the channel wrote it (canonical symbol, prices as written)."""

    symbol: str
    side: Side
    order_type: OrderType = OrderType.MARKET
    entry: Decimal | None = None
    entry_range: tuple[Decimal, Decimal] | None = None  # (low, high)
    sl: Decimal | None = None
    tps: tuple[Decimal, ...] = ()
    tp_open: bool = False
    sl_pips: Decimal | None = None
    tp_pips: tuple[Decimal, ...] = ()
    risk_percent: Decimal | None = None  # "risk 1%" written in the signal
    lot: Decimal | None = None  # "lot 0.05" written in the signal
    order_type_implicit: bool = False
    flags: tuple[str, ...] = ()  # e.g. "sl_wrong_side", "tps_out_of_order"
    position_id: str | None = None  # a bot post's own id for the trade ("Position: 9a1f02c4")

    @property
    def reference_price(self) -> Decimal | None:
        """Return the entry, or the middle of the entry zone."""
        if self.entry is not None:
            return self.entry
        if self.entry_range is not None:
            return (self.entry_range[0] + self.entry_range[1]) / 2
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """A follow-up: modify, close or cancel what an earlier signal opened."""

    action: Action
    scope: Scope = Scope.REPLY
    symbol: str | None = None
    side: Side | None = None
    fraction: Decimal | None = None  # close: 1 = all, 0.5 = half
    # close: the channel's own lots it names ("Close 0.3 lots"); `fraction` is then its share
    # when the signal's lot size is unknown
    lots: Decimal | None = None
    sl: Decimal | None = None  # modify: new SL price; close: then the SL of what stays
    sl_anchor: SlAnchor | None = None  # modify: SL to entry/TP1…TP4
    sl_offset_pips: Decimal | None = None  # SL to entry: this many pips beyond it ("BE + 2 pips")
    tps: tuple[Decimal, ...] = ()  # modify: new TP prices (in order)
    # modify: which target each new price replaces (1 = TP1) when the text numbers them;
    # () = the new prices apply to the targets in order from TP1
    tp_numbers: tuple[int, ...] = ()
    then_sl_anchor: SlAnchor | None = None  # close: then move SL (e.g. "close half, SL to BE")
    position_id: str | None = None  # scope POSITION: the id a bot's update names
    # modify: a message of levels alone ("SL 2640 TP1 2660"), completing the signal it follows
    levels_only: bool = False
    # reenter: the entry it writes ("Add more at 2645"); None with no order type = at market
    entry: Decimal | None = None
    entry_range: tuple[Decimal, Decimal] | None = None  # (low, high)
    order_type: OrderType | None = None  # reenter: "limit"/"stop" written; None = not written
    # cancel: the channel's report of a result ("TP1 hit ✅") replying to its signal: the move
    # is over, so entries still waiting go; filled positions stay with the channel's follow-ups.
    # modify: the same message reports a result ("TP1 hit ✅ move SL to entry"): the change is
    # for the filled positions, and the entries still waiting go as a report's would.
    report: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Parse:
    """The parser's reading of one message: signals, a command, or nothing with a reason."""

    signals: tuple[Signal, ...] = ()
    command: Command | None = None
    reason: str = ""  # why nothing (result, news, chatter, ...) or why a command
    explain: tuple[str, ...] = ()  # "BUY → side=buy" lines shown to the user

    @property
    def kind(self) -> str:
        """Return open, modify, close, cancel or none."""
        if self.signals:
            return "open"
        if self.command is not None:
            return self.command.action.value
        return "none"


@dataclass(frozen=True, slots=True, kw_only=True)
class Intent:
    """One user's share of one message: what on_intent executes exactly once."""

    id: str
    user_id: str
    kind: IntentKind
    chat_id: str
    message_id: int
    version: int
    message_date: datetime
    received: datetime
    reply_to: int | None = None
    part: int = 0  # which signal of a message that holds several
    signal: Signal | None = None
    command: Command | None = None
    previous: Signal | None = None  # an edit: the signal as it was before
    trace_id: str = ""

    @property
    def client_id(self) -> str:
        """Return the broker clientId for this intent (short, deterministic)."""
        return ids.client_id(self.id)


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRequest:
    """One order to send: broker symbol, volume rounded to the step, prices as Decimal."""

    client_id: str
    symbol: str
    side: Side
    order_type: OrderType
    volume: Decimal
    price: Decimal | None = None  # None for market
    sl: Decimal | None = None
    tp: Decimal | None = None
    leg: int = 0  # which TP this position is for


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderPlan:
    """What to send for one intent, and the notes that explain the choices."""

    intent_id: str
    orders: tuple[OrderRequest, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Fill:
    """What the broker did with one order."""

    client_id: str
    order_id: str
    position_id: str | None  # set when it opened a position (market, or a pending order filled)
    volume: Decimal
    price: Decimal | None
    leg: int = 0
    pending: bool = False
    sl: Decimal | None = None  # the stop it was placed with: what its volume was sized for


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """One change applied to a position or pending order."""

    kind: ChangeKind
    target: str  # position or order id
    volume: Decimal | None = None
    price: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TradeResult:
    """The outcome of one intent, stored and shown to the user."""

    intent_id: str
    user_id: str
    status: Status
    symbol: str = ""  # the broker symbol traded
    reason: Reason = Reason.NONE  # why it was skipped, refused or failed
    detail: str = ""  # a sentence for the user
    fills: tuple[Fill, ...] = ()
    changes: tuple[Change, ...] = ()
    latency_ms: float = 0.0
    notes: tuple[str, ...] = ()
    due_at: datetime | None = None  # when the sweep must look at this trade again (expiry)
