"""The broker ports: one user's account (positions, orders, deals, quotes) and the broker."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from signal_copier.core.market import (
    AccountInfo,
    Credentials,
    Deal,
    PendingOrder,
    Position,
    Quote,
    SymbolSpec,
)
from signal_copier.core.model import Fill, OrderRequest


class BrokerAccount(Protocol):
    """One connected trading account. Errors: BrokerRejected, BrokerUnavailable, UnknownSymbol."""

    async def account_info(self) -> AccountInfo:
        """Return balance, equity and currency."""
        ...

    async def symbols(self) -> list[str]:
        """Return the broker's symbol names."""
        ...

    async def symbol_spec(self, symbol: str) -> SymbolSpec:
        """Return a symbol's specification."""
        ...

    async def quote(self, symbol: str) -> Quote:
        """Return the current bid and ask."""
        ...

    async def place(self, order: OrderRequest) -> Fill:
        """Send one order; a market order fills at once, a pending one waits."""
        ...

    async def positions(self) -> list[Position]:
        """Return the open positions."""
        ...

    async def orders(self) -> list[PendingOrder]:
        """Return the pending orders."""
        ...

    async def legs_of(
        self, client_ids: Collection[str]
    ) -> tuple[list[Position], list[PendingOrder]]:
        """Return the open positions and pending orders of these trades, each oldest first.

        A trade is named by its intent clientId; its legs carry `<clientId>.<leg>`.
        """
        ...

    async def history(self, since: datetime) -> list[Deal]:
        """Return deals since a time (to reconcile an order whose outcome is unknown)."""
        ...

    async def modify_position(
        self, position_id: str, *, sl: Decimal | None, tp: Decimal | None
    ) -> None:
        """Set a position's SL and TP (None removes the level)."""
        ...

    async def close_position(
        self, position_id: str, volume: Decimal | None = None, *, client_id: str = ""
    ) -> None:
        """Close a position in full, or `volume` lots of it; `client_id` tags the closing deal."""
        ...

    async def modify_order(
        self, order_id: str, *, price: Decimal, sl: Decimal | None, tp: Decimal | None
    ) -> None:
        """Change a pending order's price, SL and TP."""
        ...

    async def cancel_order(self, order_id: str) -> None:
        """Cancel a pending order."""
        ...


class Broker(Protocol):
    """Connects users to their trading accounts.

    A connection belongs to one user: adapters that cache connections key them on the user,
    the account and the token, so one user's change never closes or reuses another's.
    """

    async def connect(self, user_id: str, credentials: Credentials) -> BrokerAccount:
        """Return the user's connected account (cached by the adapter)."""
        ...

    async def disconnect(self, user_id: str, *, keep: Credentials | None = None) -> None:
        """Close and forget the user's cached connections, except one made with `keep`.

        Called when the user's credentials changed (`keep` = the new ones) or were removed.
        """
        ...
