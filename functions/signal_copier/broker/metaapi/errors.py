"""The one table from MetaAPI errors to what the copier must do: record a refusal, or retry.

Every SDK exception and every MT5 trade return code the adapter can see is a row here. A row
says whether the broker certainly did nothing and never will (REJECTED: `BrokerRejected`), did
nothing this time (RETRY: `BrokerUnavailable`), or may have acted (UNKNOWN: `BrokerUnavailable`
too — services reconcile by clientId before sending anything again; the adapter never resends).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from metaapi_cloud_sdk.clients.error_handler import (
    ApiException,
    ConflictException,
    ForbiddenException,
    InternalException,
    NotFoundException,
    TooManyRequestsException,
    UnauthorizedException,
    ValidationException,
)
from metaapi_cloud_sdk.clients.metaapi.not_connected_exception import NotConnectedException
from metaapi_cloud_sdk.clients.metaapi.not_synchronized_exception import (
    NotSynchronizedException,
)
from metaapi_cloud_sdk.clients.metaapi.trade_exception import TradeException
from metaapi_cloud_sdk.clients.timeout_exception import TimeoutException

from signal_copier.core.errors import (
    BrokerRejected,
    BrokerThrottled,
    BrokerUnavailable,
    CopierError,
    UnknownSymbol,
)
from signal_copier.core.reasons import Reason


class Outcome(StrEnum):
    REJECTED = "rejected"  # nothing happened and retrying cannot help
    RETRY = "retry"  # nothing happened; the same request may work later
    UNKNOWN = "unknown"  # the request may have reached the broker: reconcile, never resend


class Drop(StrEnum):
    """What cached SDK state an error spoils."""

    NOTHING = "nothing"
    CONNECTION = "connection"  # the RPC connection instance is closed: open a new one
    TOKEN = "token"  # the token is refused: close its MetaApi object and every connection


class Subject(StrEnum):
    """What a call was about, which decides what a 404 means."""

    ACCOUNT = "account"
    SYMBOL = "symbol"
    TICKET = "ticket"  # a position or order id
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Row:
    outcome: Outcome
    reason: Reason
    say: str


RETRY_ROW = Row(Outcome.RETRY, Reason.BROKER_UNAVAILABLE, "the broker could not take it now")
UNKNOWN_ROW = Row(
    Outcome.UNKNOWN,
    Reason.BROKER_UNAVAILABLE,
    "no clear answer from the broker; the outcome is unknown",
)


def _rejected(reason: Reason, say: str) -> Row:
    return Row(Outcome.REJECTED, reason, say)


def _retry(say: str, reason: Reason = Reason.BROKER_UNAVAILABLE) -> Row:
    return Row(Outcome.RETRY, reason, say)


def _unknown(say: str) -> Row:
    return Row(Outcome.UNKNOWN, Reason.BROKER_UNAVAILABLE, f"{say}; the outcome is unknown")


_R = Reason
# MT5 trade return codes as MetaAPI reports them (numericCode → stringCode, row). Success codes
# (0, 10008, 10009, 10010, 10025) never raise. A code missing here is treated as UNKNOWN.
TRADE_CODES: Mapping[int, tuple[str, Row]] = {
    -11: ("TRADE_RETCODE_DISCONNECTED_DURING_TRADE", _unknown("disconnected during the trade")),
    -10: ("TRADE_RETCODE_DISCONNECTED_BEFORE_TRADE", _retry("disconnected before the trade")),
    -9: ("ERR_PIP_SIZE_NOT_DEFINED", _rejected(_R.BROKER_REJECTED, "no pip size for the symbol")),
    -8: ("ERR_INVESTOR", _rejected(_R.INVESTOR_PASSWORD, "connected with the investor password")),
    -7: ("ERR_TRADE_TIMED_OUT", _unknown("the trade timed out")),
    -6: ("ERR_NO_QUOTES", _retry("no quotes to trade on", _R.NO_QUOTES)),
    -5: ("ERR_NOT_SYNCHRONIZED", _retry("the terminal is not synchronized yet")),
    -4: (
        "TRADE_RETCODE_ORDER_TYPE_NOT_SUPPORTED",
        _rejected(_R.BROKER_REJECTED, "order type not supported"),
    ),
    -1: ("TRADE_RETCODE_UNKNOWN", _unknown("unknown trade result")),
    4753: ("ERR_TRADE_POSITION_NOT_FOUND", _rejected(_R.NOT_FOUND, "no such open position")),
    4754: ("ERR_TRADE_ORDER_NOT_FOUND", _rejected(_R.NOT_FOUND, "no such pending order")),
    10004: ("TRADE_RETCODE_REQUOTE", _retry("requote")),
    10006: ("TRADE_RETCODE_REJECT", _rejected(_R.BROKER_REJECTED, "the broker rejected it")),
    10007: ("TRADE_RETCODE_CANCEL", _rejected(_R.BROKER_REJECTED, "cancelled by the trader")),
    10011: ("TRADE_RETCODE_ERROR", _unknown("request processing error")),
    10012: ("TRADE_RETCODE_TIMEOUT", _unknown("the broker timed out")),
    10013: ("TRADE_RETCODE_INVALID", _rejected(_R.BROKER_REJECTED, "invalid request")),
    10014: ("TRADE_RETCODE_INVALID_VOLUME", _rejected(_R.INVALID_VOLUME, "invalid volume")),
    10015: ("TRADE_RETCODE_INVALID_PRICE", _rejected(_R.INVALID_PRICE, "invalid price")),
    10016: ("TRADE_RETCODE_INVALID_STOPS", _rejected(_R.INVALID_STOPS, "invalid SL or TP")),
    10017: ("TRADE_RETCODE_TRADE_DISABLED", _rejected(_R.TRADE_DISABLED, "trading disabled")),
    10018: ("TRADE_RETCODE_MARKET_CLOSED", _rejected(_R.MARKET_CLOSED, "the market is closed")),
    10019: ("TRADE_RETCODE_NO_MONEY", _rejected(_R.NO_MONEY, "not enough free margin")),
    10020: ("TRADE_RETCODE_PRICE_CHANGED", _retry("the price changed")),
    10021: ("TRADE_RETCODE_PRICE_OFF", _retry("no prices to process it", _R.NO_QUOTES)),
    10022: (
        "TRADE_RETCODE_INVALID_EXPIRATION",
        _rejected(_R.BROKER_REJECTED, "invalid expiration"),
    ),
    10023: ("TRADE_RETCODE_ORDER_CHANGED", _retry("the order changed meanwhile")),
    10024: ("TRADE_RETCODE_TOO_MANY_REQUESTS", _retry("too many requests", _R.BROKER_THROTTLED)),
    10026: (
        "TRADE_RETCODE_SERVER_DISABLES_AT",
        _rejected(_R.AUTOTRADING_DISABLED, "autotrading disabled by the server"),
    ),
    10027: (
        "TRADE_RETCODE_CLIENT_DISABLES_AT",
        _rejected(_R.AUTOTRADING_DISABLED, "autotrading disabled by the terminal"),
    ),
    10028: ("TRADE_RETCODE_LOCKED", _retry("the request is locked for processing")),
    10029: ("TRADE_RETCODE_FROZEN", _rejected(_R.FROZEN, "too close to the market to change")),
    10030: ("TRADE_RETCODE_INVALID_FILL", _rejected(_R.BROKER_REJECTED, "invalid filling mode")),
    10031: ("TRADE_RETCODE_CONNECTION", _retry("no connection to the trade server")),
    10032: ("TRADE_RETCODE_ONLY_REAL", _rejected(_R.TRADE_DISABLED, "only for real accounts")),
    10033: ("TRADE_RETCODE_LIMIT_ORDERS", _rejected(_R.BROKER_LIMIT, "pending order limit")),
    10034: ("TRADE_RETCODE_LIMIT_VOLUME", _rejected(_R.BROKER_LIMIT, "volume limit reached")),
    10035: ("TRADE_RETCODE_INVALID_ORDER", _rejected(_R.BROKER_REJECTED, "order type refused")),
    10036: ("TRADE_RETCODE_POSITION_CLOSED", _rejected(_R.NOT_FOUND, "position already closed")),
    10038: (
        "TRADE_RETCODE_INVALID_CLOSE_VOLUME",
        _rejected(_R.INVALID_VOLUME, "close volume exceeds the position"),
    ),
    10039: (
        "TRADE_RETCODE_CLOSE_ORDER_EXIST",
        _rejected(_R.BROKER_REJECTED, "a close order already exists"),
    ),
    10040: ("TRADE_RETCODE_LIMIT_POSITIONS", _rejected(_R.BROKER_LIMIT, "position limit")),
    10041: (
        "TRADE_RETCODE_REJECT_CANCEL",
        _rejected(_R.BROKER_REJECTED, "activation rejected, order cancelled"),
    ),
    10042: ("TRADE_RETCODE_LONG_ONLY", _rejected(_R.TRADE_DISABLED, "only buys allowed")),
    10043: ("TRADE_RETCODE_SHORT_ONLY", _rejected(_R.TRADE_DISABLED, "only sells allowed")),
    10044: ("TRADE_RETCODE_CLOSE_ONLY", _rejected(_R.TRADE_DISABLED, "only closing allowed")),
    10045: ("TRADE_RETCODE_FIFO_CLOSE", _rejected(_R.BROKER_REJECTED, "FIFO rule: close older")),
    10046: (
        "TRADE_RETCODE_HEDGE_PROHIBITED",
        _rejected(_R.HEDGING_PROHIBITED, "opposite positions are prohibited"),
    ),
}
_BY_NAME = {name: code for code, (name, _) in TRADE_CODES.items()}

TOKEN_REFUSED = _rejected(
    _R.BROKER_TOKEN_REJECTED, "MetaAPI refused the token: connect your MetaAPI account again"
)
# SDK exceptions other than TradeException, most specific first (matched along the MRO).
EXCEPTIONS: Mapping[type[BaseException], tuple[Row, Drop]] = {
    UnauthorizedException: (TOKEN_REFUSED, Drop.TOKEN),
    ForbiddenException: (TOKEN_REFUSED, Drop.TOKEN),
    TooManyRequestsException: (_retry("MetaAPI rate limit", _R.BROKER_THROTTLED), Drop.NOTHING),
    NotFoundException: (_rejected(_R.NOT_FOUND, "not found"), Drop.NOTHING),
    ValidationException: (_rejected(_R.BROKER_REJECTED, "invalid request"), Drop.NOTHING),
    NotConnectedException: (_retry("the terminal is not connected"), Drop.NOTHING),
    NotSynchronizedException: (_retry("the terminal is not synchronized"), Drop.NOTHING),
    ConflictException: (_retry("conflict"), Drop.NOTHING),
    TimeoutException: (_unknown("MetaAPI timed out"), Drop.NOTHING),
    InternalException: (_unknown("MetaAPI internal error"), Drop.NOTHING),
    ApiException: (_unknown("MetaAPI error"), Drop.NOTHING),
    TimeoutError: (_unknown("no answer in time"), Drop.NOTHING),  # our asyncio.wait_for
    OSError: (_unknown("network error"), Drop.NOTHING),  # ConnectionError and socket errors
}
# The SDK raises a plain Exception, at call time, on a connection that was closed under us.
CLOSED_MESSAGES = ("This connection has been closed", "This connection has not been initialized")
CLOSED = (_retry("the MetaAPI connection was closed"), Drop.CONNECTION)
NOT_FOUND_BY_SUBJECT = {
    Subject.ACCOUNT: _rejected(_R.UNKNOWN_ACCOUNT, "MetaAPI has no such account"),
    Subject.SYMBOL: _rejected(_R.UNKNOWN_SYMBOL, "the broker has no such symbol"),
}


@dataclass(frozen=True, slots=True)
class Translated:
    """A vendor error as the copier's error, and the cached state it spoils."""

    error: CopierError
    drop: Drop


def trade_row(numeric: object, string: object) -> tuple[int | None, str, Row]:
    """Return (code, name, row) for a trade return code; unknown codes are UNKNOWN."""
    code = numeric if isinstance(numeric, int) else _BY_NAME.get(str(string))
    if code is not None and code in TRADE_CODES:
        name, row = TRADE_CODES[code]
        return code, name, row
    return code, str(string or ""), UNKNOWN_ROW


def translate(error: BaseException, subject: Subject = Subject.OTHER) -> Translated | None:
    """Return the copier's error for an SDK or transport error; None if it is none of those."""
    if isinstance(error, TradeException):
        code, name, row = trade_row(error.numericCode, error.stringCode)
        return Translated(_build(row, f"{code} {name}: {error}", None), Drop.NOTHING)
    found = _row_of(error)
    if found is None:
        return None
    row, drop = found
    if isinstance(error, NotFoundException):
        row = NOT_FOUND_BY_SUBJECT.get(subject, row)
    retry_at = None
    if isinstance(error, TooManyRequestsException):
        retry_at = recommended_retry(getattr(error, "metadata", None))
    return Translated(_build(row, f"{type(error).__name__}: {error}", retry_at), drop)


def recommended_retry(metadata: object) -> datetime | None:
    """Return the 429's recommendedRetryTime as an aware UTC datetime, if it has a valid one."""
    if not isinstance(metadata, Mapping):
        return None
    value = metadata.get("recommendedRetryTime")
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _row_of(error: BaseException) -> tuple[Row, Drop] | None:
    for cls in type(error).__mro__:
        if cls in EXCEPTIONS:
            return EXCEPTIONS[cls]
    if type(error) is Exception and str(error).startswith(CLOSED_MESSAGES):
        return CLOSED
    return None


def _build(row: Row, vendor: str, retry_at: datetime | None) -> CopierError:
    detail = f"{row.say} ({vendor})"
    if row.outcome is Outcome.REJECTED:
        if row.reason is Reason.UNKNOWN_SYMBOL:
            return UnknownSymbol(detail)
        return BrokerRejected(detail, reason=row.reason)
    if row.reason is Reason.BROKER_THROTTLED:
        return BrokerThrottled(detail, retry_at=retry_at)
    if row.outcome is Outcome.UNKNOWN:
        detail += "; it is reconciled by clientId before anything is sent again"
    return BrokerUnavailable(detail, reason=row.reason)
