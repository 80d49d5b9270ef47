"""The MetaAPI error table, one case per row: what each code and exception makes the copier do.

The expectations are written out here on their own (not read from the table), so a changed row
is a failing case that a reviewer sees.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
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

from signal_copier.broker.metaapi.errors import TRADE_CODES, Drop, Subject, translate
from signal_copier.core.errors import (
    BrokerRejected,
    BrokerThrottled,
    BrokerUnavailable,
    UnknownSymbol,
)

REJECTED, UNAVAILABLE, UNKNOWN, THROTTLED = "rejected", "unavailable", "unknown", "throttled"
# numericCode: (stringCode, what the copier does, reason)
EXPECTED_CODES = {
    -11: ("TRADE_RETCODE_DISCONNECTED_DURING_TRADE", UNKNOWN, "broker_unavailable"),
    -10: ("TRADE_RETCODE_DISCONNECTED_BEFORE_TRADE", UNAVAILABLE, "broker_unavailable"),
    -9: ("ERR_PIP_SIZE_NOT_DEFINED", REJECTED, "broker_rejected"),
    -8: ("ERR_INVESTOR", REJECTED, "investor_password"),
    -7: ("ERR_TRADE_TIMED_OUT", UNKNOWN, "broker_unavailable"),
    -6: ("ERR_NO_QUOTES", UNAVAILABLE, "no_quotes"),
    -5: ("ERR_NOT_SYNCHRONIZED", UNAVAILABLE, "broker_unavailable"),
    -4: ("TRADE_RETCODE_ORDER_TYPE_NOT_SUPPORTED", REJECTED, "broker_rejected"),
    -1: ("TRADE_RETCODE_UNKNOWN", UNKNOWN, "broker_unavailable"),
    4753: ("ERR_TRADE_POSITION_NOT_FOUND", REJECTED, "not_found"),
    4754: ("ERR_TRADE_ORDER_NOT_FOUND", REJECTED, "not_found"),
    10004: ("TRADE_RETCODE_REQUOTE", UNAVAILABLE, "broker_unavailable"),
    10006: ("TRADE_RETCODE_REJECT", REJECTED, "broker_rejected"),
    10007: ("TRADE_RETCODE_CANCEL", REJECTED, "broker_rejected"),
    10011: ("TRADE_RETCODE_ERROR", UNKNOWN, "broker_unavailable"),
    10012: ("TRADE_RETCODE_TIMEOUT", UNKNOWN, "broker_unavailable"),
    10013: ("TRADE_RETCODE_INVALID", REJECTED, "broker_rejected"),
    10014: ("TRADE_RETCODE_INVALID_VOLUME", REJECTED, "invalid_volume"),
    10015: ("TRADE_RETCODE_INVALID_PRICE", REJECTED, "invalid_price"),
    10016: ("TRADE_RETCODE_INVALID_STOPS", REJECTED, "invalid_stops"),
    10017: ("TRADE_RETCODE_TRADE_DISABLED", REJECTED, "trade_disabled"),
    10018: ("TRADE_RETCODE_MARKET_CLOSED", REJECTED, "market_closed"),
    10019: ("TRADE_RETCODE_NO_MONEY", REJECTED, "no_money"),
    10020: ("TRADE_RETCODE_PRICE_CHANGED", UNAVAILABLE, "broker_unavailable"),
    10021: ("TRADE_RETCODE_PRICE_OFF", UNAVAILABLE, "no_quotes"),
    10022: ("TRADE_RETCODE_INVALID_EXPIRATION", REJECTED, "broker_rejected"),
    10023: ("TRADE_RETCODE_ORDER_CHANGED", UNAVAILABLE, "broker_unavailable"),
    10024: ("TRADE_RETCODE_TOO_MANY_REQUESTS", THROTTLED, "broker_throttled"),
    10026: ("TRADE_RETCODE_SERVER_DISABLES_AT", REJECTED, "autotrading_disabled"),
    10027: ("TRADE_RETCODE_CLIENT_DISABLES_AT", REJECTED, "autotrading_disabled"),
    10028: ("TRADE_RETCODE_LOCKED", UNAVAILABLE, "broker_unavailable"),
    10029: ("TRADE_RETCODE_FROZEN", REJECTED, "frozen"),
    10030: ("TRADE_RETCODE_INVALID_FILL", REJECTED, "broker_rejected"),
    10031: ("TRADE_RETCODE_CONNECTION", UNAVAILABLE, "broker_unavailable"),
    10032: ("TRADE_RETCODE_ONLY_REAL", REJECTED, "trade_disabled"),
    10033: ("TRADE_RETCODE_LIMIT_ORDERS", REJECTED, "broker_limit"),
    10034: ("TRADE_RETCODE_LIMIT_VOLUME", REJECTED, "broker_limit"),
    10035: ("TRADE_RETCODE_INVALID_ORDER", REJECTED, "broker_rejected"),
    10036: ("TRADE_RETCODE_POSITION_CLOSED", REJECTED, "not_found"),
    10038: ("TRADE_RETCODE_INVALID_CLOSE_VOLUME", REJECTED, "invalid_volume"),
    10039: ("TRADE_RETCODE_CLOSE_ORDER_EXIST", REJECTED, "broker_rejected"),
    10040: ("TRADE_RETCODE_LIMIT_POSITIONS", REJECTED, "broker_limit"),
    10041: ("TRADE_RETCODE_REJECT_CANCEL", REJECTED, "broker_rejected"),
    10042: ("TRADE_RETCODE_LONG_ONLY", REJECTED, "trade_disabled"),
    10043: ("TRADE_RETCODE_SHORT_ONLY", REJECTED, "trade_disabled"),
    10044: ("TRADE_RETCODE_CLOSE_ONLY", REJECTED, "trade_disabled"),
    10045: ("TRADE_RETCODE_FIFO_CLOSE", REJECTED, "broker_rejected"),
    10046: ("TRADE_RETCODE_HEDGE_PROHIBITED", REJECTED, "hedging_prohibited"),
}
KINDS = {
    REJECTED: BrokerRejected,
    UNAVAILABLE: BrokerUnavailable,
    UNKNOWN: BrokerUnavailable,
    THROTTLED: BrokerThrottled,
}


def _check(error: BaseException, kind: str, reason: str) -> None:
    translated = translate(error)
    assert translated is not None
    assert type(translated.error) is KINDS[kind], translated.error
    assert translated.error.reason == reason
    said = str(translated.error)
    assert ("reconciled by clientId" in said) == (kind == UNKNOWN)


def test_the_table_has_exactly_the_expected_rows() -> None:
    assert {code: name for code, (name, _) in TRADE_CODES.items()} == {
        code: name for code, (name, _, _) in EXPECTED_CODES.items()
    }


@pytest.mark.parametrize(
    ("code", "name", "kind", "reason"),
    [(code, *row) for code, row in EXPECTED_CODES.items()],
    ids=[f"{code}-{row[0]}" for code, row in EXPECTED_CODES.items()],
)
def test_trade_return_code_maps_to_what_the_copier_must_do(
    code: int, name: str, kind: str, reason: str
) -> None:
    _check(TradeException("broker said no", code, name), kind, reason)


def test_a_code_known_only_by_its_string_is_found_by_name() -> None:
    _check(
        TradeException("Invalid stops", None, "TRADE_RETCODE_INVALID_STOPS"),
        REJECTED,
        "invalid_stops",
    )  # type: ignore[arg-type]


def test_an_unknown_trade_code_is_an_unknown_outcome_never_a_refusal() -> None:
    _check(TradeException("?", 99999, "TRADE_RETCODE_NEW_THING"), UNKNOWN, "broker_unavailable")


EXPECTED_EXCEPTIONS = [
    (UnauthorizedException("bad token"), REJECTED, "broker_token_rejected", Drop.TOKEN),
    (ForbiddenException("not yours"), REJECTED, "broker_token_rejected", Drop.TOKEN),
    (NotFoundException("no such thing"), REJECTED, "not_found", Drop.NOTHING),
    (
        ValidationException("bad volume", [{"parameter": "volume"}]),
        REJECTED,
        "broker_rejected",
        Drop.NOTHING,
    ),
    (NotConnectedException("terminal offline"), UNAVAILABLE, "broker_unavailable", Drop.NOTHING),
    (NotSynchronizedException("syncing"), UNAVAILABLE, "broker_unavailable", Drop.NOTHING),
    (ConflictException("conflict"), UNAVAILABLE, "broker_unavailable", Drop.NOTHING),
    (TimeoutException("no response"), UNKNOWN, "broker_unavailable", Drop.NOTHING),
    (InternalException("oops"), UNKNOWN, "broker_unavailable", Drop.NOTHING),
    (ApiException("teapot", 418), UNKNOWN, "broker_unavailable", Drop.NOTHING),
    (TimeoutError(), UNKNOWN, "broker_unavailable", Drop.NOTHING),
    (ConnectionResetError("reset"), UNKNOWN, "broker_unavailable", Drop.NOTHING),
    (
        TooManyRequestsException("slow down", {"recommendedRetryTime": "2026-01-05T09:01:00.000Z"}),
        THROTTLED,
        "broker_throttled",
        Drop.NOTHING,
    ),
    (
        Exception("This connection has been closed, please create a new connection"),
        UNAVAILABLE,
        "broker_unavailable",
        Drop.CONNECTION,
    ),
]


@pytest.mark.parametrize(
    ("error", "kind", "reason", "drop"),
    EXPECTED_EXCEPTIONS,
    ids=[type(e).__name__ for e, *_ in EXPECTED_EXCEPTIONS],
)
def test_sdk_exception_maps_to_what_the_copier_must_do(
    error: BaseException, kind: str, reason: str, drop: Drop
) -> None:
    _check(error, kind, reason)
    translated = translate(error)
    assert translated is not None and translated.drop is drop


def test_a_429_carries_the_recommended_retry_time() -> None:
    error = TooManyRequestsException(
        "slow down",
        {
            "periodInMinutes": 60,
            "requestsPerPeriodAllowed": 10000,
            "recommendedRetryTime": "2026-01-05T09:01:00.000Z",
            "type": "LIMIT_REQUEST_RATE_PER_USER",
        },
    )
    translated = translate(error)
    assert translated is not None and isinstance(translated.error, BrokerThrottled)
    assert translated.error.retry_at == datetime(2026, 1, 5, 9, 1, tzinfo=UTC)


@pytest.mark.parametrize("metadata", [None, {}, {"recommendedRetryTime": "soon"}])
def test_a_429_without_a_usable_retry_time_still_retries(metadata: object) -> None:
    translated = translate(TooManyRequestsException("slow down", metadata))  # type: ignore[arg-type]
    assert translated is not None and isinstance(translated.error, BrokerThrottled)
    assert translated.error.retry_at is None


@pytest.mark.parametrize(
    ("subject", "expected", "reason"),
    [
        (Subject.SYMBOL, UnknownSymbol, "unknown_symbol"),
        (Subject.ACCOUNT, BrokerRejected, "unknown_account"),
        (Subject.TICKET, BrokerRejected, "not_found"),
    ],
)
def test_a_404_says_what_was_not_found(subject: Subject, expected: type, reason: str) -> None:
    translated = translate(NotFoundException("not found"), subject)
    assert translated is not None
    assert type(translated.error) is expected and translated.error.reason == reason


@pytest.mark.parametrize("error", [ValueError("a bug"), KeyError("x"), Exception("other")])
def test_errors_that_are_not_the_brokers_are_not_translated(error: Exception) -> None:
    assert translate(error) is None
