"""Paper broker: the server and its accounts, as the copier sees them through the Broker port."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from signal_copier.broker.paper.ledger import Ledger
from signal_copier.broker.paper.specs import Instrument, SymbolNames, load_instruments
from signal_copier.broker.paper.venue import Venue
from signal_copier.core.errors import BrokerRejected, InvalidInput
from signal_copier.core.market import (
    AccountInfo,
    BrokerEvent,
    Credentials,
    Deal,
    DealReason,
    MarginMode,
    PendingOrder,
    Position,
    Quote,
    SymbolSpec,
)
from signal_copier.core.model import Fill, OrderRequest, OrderType, Side
from signal_copier.core.ports import BrokerAccount
from signal_copier.core.reasons import Reason

DEFAULT_START = datetime(2026, 1, 5, tzinfo=UTC)
TICK_VALUE_EXPONENT = Decimal("1e-8")


class PaperBroker:
    """Simulate an MT5 server: accounts, a deterministic price feed and a paper clock."""

    def __init__(
        self, *, now: datetime = DEFAULT_START, instruments: Mapping[str, Instrument] | None = None
    ) -> None:
        self._venue = Venue(instruments or load_instruments(), now)
        self._accounts: dict[str, PaperAccount] = {}

    @property
    def now(self) -> datetime:
        """Return the paper clock."""
        return self._venue.now

    @property
    def clock_offset(self) -> timedelta:
        """Return how far the server's clock runs ahead of ours (negative: behind)."""
        return self._venue.clock_offset

    @clock_offset.setter
    def clock_offset(self, offset: timedelta) -> None:
        # Real servers' clocks drift: a negative offset stamps deals before our own clock.
        self._venue.clock_offset = offset

    @property
    def venue(self) -> Venue:
        """Return the market every account shares (quotes, clock, ticket numbers)."""
        return self._venue

    def accounts(self) -> list[PaperAccount]:
        """Return every opened account, in the order they were opened."""
        return list(self._accounts.values())

    def has_account(self, account_id: str) -> bool:
        """Return whether an account with this id was opened."""
        return account_id in self._accounts

    def open_account(
        self,
        account_id: str,
        *,
        balance: Decimal,
        currency: str = "USD",
        symbol_suffix: str = "",
        symbol_prefix: str = "",
        aliases: dict[str, str] | None = None,
        leverage: int = 100,
        margin_mode: MarginMode = MarginMode.HEDGING,
    ) -> PaperAccount:
        """Create an account; `aliases` maps broker names to canonical ones ({"GOLD": "XAUUSD"}).

        A netting account (`margin_mode`) books one position per symbol, as MT5 does.
        """
        if account_id in self._accounts:
            raise InvalidInput(f"paper account {account_id!r} already exists")
        names = SymbolNames(
            self._venue.instruments, prefix=symbol_prefix, suffix=symbol_suffix, aliases=aliases
        )
        ledger = Ledger(
            self._venue,
            account_id,
            balance=balance,
            currency=currency,
            names=names,
            leverage=leverage,
            margin_mode=margin_mode,
        )
        account = self._accounts[account_id] = PaperAccount(ledger)
        return account

    def account(self, account_id: str) -> PaperAccount:
        """Return an opened account (for test helpers such as open_manual)."""
        try:
            return self._accounts[account_id]
        except KeyError:
            raise BrokerRejected(
                f"no paper account {account_id!r}", reason=Reason.UNKNOWN_ACCOUNT
            ) from None

    async def connect(self, user_id: str, credentials: Credentials) -> BrokerAccount:
        """Return the account named by the credentials (the token is not checked)."""
        return self.account(credentials.account_id)

    async def disconnect(self, user_id: str, *, keep: Credentials | None = None) -> None:
        """Do nothing: paper accounts keep no connection."""

    def advance(self, now: datetime) -> None:
        """Move the paper clock forward without changing prices."""
        self._venue.advance(now)

    def set_quotes(
        self, quotes: Mapping[str, tuple[Decimal, Decimal]], now: datetime
    ) -> list[BrokerEvent]:
        """Set canonical (bid, ask) prices at `now`; return the fills and SL/TP closes made."""
        self._venue.update(quotes, now)
        return [event for account in self._accounts.values() for event in account.settle()]


class PaperAccount:
    """One paper MT5 account, as the copier sees it through the BrokerAccount port."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    @property
    def account_id(self) -> str:
        """Return the account id."""
        return self.ledger.account_id

    async def account_info(self) -> AccountInfo:
        """Return balance, equity (with floating profit), currency and how positions are booked."""
        return AccountInfo(
            account_id=self.ledger.account_id,
            balance=self.ledger.balance,
            equity=self.ledger.equity(),
            currency=self.ledger.currency,
            margin_mode=self.ledger.margin_mode,
        )

    async def symbols(self) -> list[str]:
        """Return the broker's symbol names."""
        return self.ledger.names.all()

    async def symbol_spec(self, symbol: str) -> SymbolSpec:
        """Return a symbol's specification with the tick value at current prices."""
        inst = self.ledger.instrument(symbol)
        tick_value = self.ledger.to_account(inst.point * inst.contract_size, inst)
        return inst.spec(symbol, tick_value.quantize(TICK_VALUE_EXPONENT))

    async def quote(self, symbol: str) -> Quote:
        """Return the current bid and ask at the paper clock, with the tick value at them."""
        bid, ask = self.ledger.prices(symbol)
        spec = await self.symbol_spec(symbol)
        time = self.ledger.venue.server_time
        return Quote(symbol=symbol, bid=bid, ask=ask, time=time, tick_value=spec.tick_value)

    async def place(self, order: OrderRequest) -> Fill:
        """Send one order; a market order fills at once, a pending one waits."""
        if order.order_type is OrderType.MARKET:
            position = self.ledger.open_market(order)
            return Fill(
                client_id=order.client_id,
                order_id=position.id,
                position_id=position.id,
                volume=position.volume,
                price=position.open_price,
                leg=order.leg,
            )
        pending = self.ledger.add_pending(order)
        return Fill(
            client_id=order.client_id,
            order_id=pending.id,
            position_id=None,
            volume=pending.volume,
            price=pending.price,
            leg=order.leg,
            pending=True,
        )

    async def positions(self) -> list[Position]:
        """Return the open positions, oldest first."""
        return list(self.ledger.positions.values())

    async def orders(self) -> list[PendingOrder]:
        """Return the pending orders, oldest first."""
        return list(self.ledger.orders.values())

    async def legs_of(
        self, client_ids: Collection[str]
    ) -> tuple[list[Position], list[PendingOrder]]:
        """Return the open positions and pending orders of these trades, each oldest first."""
        ledger = self.ledger
        return ledger.positions.of_trades(client_ids), ledger.orders.of_trades(client_ids)

    async def history(self, since: datetime) -> list[Deal]:
        """Return deals at or after `since`, oldest first."""
        return self.ledger.deals.since(since)

    async def modify_position(
        self, position_id: str, *, sl: Decimal | None, tp: Decimal | None
    ) -> None:
        """Set a position's SL and TP (None removes the level)."""
        self.ledger.modify_position(position_id, sl, tp)

    async def close_position(
        self, position_id: str, volume: Decimal | None = None, *, client_id: str = ""
    ) -> None:
        """Close a position in full, or `volume` lots of it; `client_id` tags the closing deal."""
        self.ledger.close(position_id, volume, DealReason.CLOSE, client_id=client_id)

    async def modify_order(
        self, order_id: str, *, price: Decimal, sl: Decimal | None, tp: Decimal | None
    ) -> None:
        """Change a pending order's price, SL and TP."""
        self.ledger.modify_order(order_id, price, sl, tp)

    async def cancel_order(self, order_id: str) -> None:
        """Cancel a pending order."""
        del self.ledger.orders[self.ledger.order(order_id).id]

    async def open_manual(
        self,
        symbol: str,
        side: Side,
        volume: Decimal,
        *,
        sl: Decimal | None = None,
        tp: Decimal | None = None,
    ) -> Position:
        """Open a market position as the user would by hand (it has no client id)."""
        order = OrderRequest(
            client_id="",
            symbol=symbol,
            side=side,
            order_type=OrderType.MARKET,
            volume=volume,
            sl=sl,
            tp=tp,
        )
        return self.ledger.open_market(order)

    def settle(self) -> list[BrokerEvent]:
        """Fill crossed pending orders and close SL/TP hits; return what happened."""
        return self.ledger.settle()
