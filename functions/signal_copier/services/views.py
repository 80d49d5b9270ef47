"""What the live pages show, read through the ports (the local dashboard and the API)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from signal_copier.core import codec, ids
from signal_copier.core.errors import CopierError, CredentialsMissing
from signal_copier.core.market import Position, Quote, SymbolSpec
from signal_copier.core.model import Side
from signal_copier.core.quotas import period_key, trade_limit
from signal_copier.core.records import TradeRecord
from signal_copier.services import accounts
from signal_copier.services.webdeps import WebDeps


def floating_pnl(position: Position, quote: Quote, spec: SymbolSpec) -> Decimal:
    """Return a position's profit at the quote in account currency (before swap and fees)."""
    close = quote.bid if position.side is Side.BUY else quote.ask
    move = (close - position.open_price) * (1 if position.side is Side.BUY else -1)
    return (move / spec.tick_size * spec.tick_value * position.volume).quantize(Decimal("0.01"))


@dataclass
class _Cached:
    at: float
    value: dict[str, Any]


class AccountCache:
    """Account snapshots read from the broker, reused for `ttl_s` per user."""

    def __init__(self, ttl_s: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl, self._clock = ttl_s, clock
        self._entries: dict[str, _Cached] = {}

    async def snapshot(self, w: WebDeps, user_id: str) -> dict[str, Any]:
        """Return balance, equity, connection state and the copier's open positions."""
        entry = self._entries.get(user_id)
        if entry is not None and self._clock() - entry.at < self._ttl:
            return entry.value
        value = await _read_account(w, user_id)
        self._entries[user_id] = _Cached(at=self._clock(), value=value)
        return value

    def forget(self, user_id: str) -> None:
        """Drop a user's snapshot (after a change such as the kill switch)."""
        self._entries.pop(user_id, None)


async def _read_account(w: WebDeps, user_id: str) -> dict[str, Any]:
    try:
        account = await accounts.connect_account(w.deps, user_id)
        info = await account.account_info()
        positions = [p for p in await account.positions() if ids.intent_client_of(p.client_id)]
        rows = [await _position_row(account, p) for p in positions]
    except CredentialsMissing as e:  # none connected (or removed): not a broker failure
        return {"connection": "not_connected", "detail": str(e), "positions": []}
    except CopierError as e:
        return {"connection": "error", "detail": str(e), "positions": []}
    return {
        "connection": "connected",
        "account_id": info.account_id,
        "balance": str(info.balance),
        "equity": str(info.equity),
        "currency": info.currency,
        "margin_mode": str(info.margin_mode),
        "positions": rows,
    }


async def _position_row(account: Any, position: Position) -> dict[str, Any]:
    quote = await account.quote(position.symbol)
    spec = await account.symbol_spec(position.symbol)
    return {
        "id": position.id,
        "symbol": position.symbol,
        "side": str(position.side),
        "volume": str(position.volume),
        "open_price": str(position.open_price),
        "sl": None if position.sl is None else str(position.sl),
        "tp": None if position.tp is None else str(position.tp),
        "pnl": str(floating_pnl(position, quote, spec)),
    }


def trade_row(record: TradeRecord, text: str) -> dict[str, Any]:
    """Return one trade record as the trades page shows it, with the message's text."""
    intent, result = record.intent, record.result
    signal = record.signal
    return {
        "intent_id": intent.id,
        "kind": str(intent.kind),
        "chat_id": intent.chat_id,
        "message_id": intent.message_id,
        "version": intent.version,
        "status": str(result.status),
        "reason": str(result.reason),
        "detail": result.detail,
        "symbol": result.symbol or (signal.symbol if signal else ""),
        "side": str(signal.side) if signal else "",
        "volume": str(sum((f.volume for f in result.fills), Decimal(0))),
        "recorded_at": codec.to_dict(record).get("recorded_at"),
        "text": text,
    }


async def trades(w: WebDeps, user_id: str, limit: int = 200) -> list[dict[str, Any]]:
    """Return the user's latest trade records (skips included), newest first."""
    records = (await w.deps.store.trades(user_id))[-limit:]
    rows = []
    for record in reversed(records):
        intent = record.intent
        key = ids.message_key(intent.chat_id, intent.message_id, intent.version)
        message = await w.deps.store.message(key)
        rows.append(trade_row(record, message.text if message else ""))
    return rows


async def signal_log(
    w: WebDeps, user_id: str, chat_id: str, before: int | None, limit: int
) -> list[dict[str, Any]]:
    """Return a followed chat's log, each message beside what was done for this user."""
    entries = await w.web.signal_log(chat_id, before, limit)
    done: dict[str, list[dict[str, Any]]] = {}
    for record in await w.deps.store.trades(user_id):
        if record.intent.chat_id == chat_id:
            key = ids.message_key(chat_id, record.intent.message_id, record.intent.version)
            done.setdefault(key, []).append(trade_row(record, ""))
    return [{**codec.to_dict(e), "outcomes": done.get(e.key, [])} for e in entries]


async def usage(w: WebDeps, user_id: str, now: datetime) -> dict[str, Any]:
    """Return today's quota use and trades missed for quota."""
    user = await w.deps.store.get_user(user_id)
    period = period_key(now)
    today = await w.deps.store.usage(user_id, period)
    limit = trade_limit(user.plan) if user else None
    return {"period": period, "used": today.used, "missed": today.missed, "limit": limit}
