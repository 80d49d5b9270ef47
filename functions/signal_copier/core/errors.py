"""Errors say what the caller must do: record and acknowledge, or retry."""

from __future__ import annotations

from datetime import datetime

from signal_copier.core.reasons import Reason


class CopierError(Exception):
    """Base of every error the copier raises on purpose."""

    reason: Reason = Reason.ERROR

    def __init__(self, detail: str = "", *, reason: Reason | None = None) -> None:
        super().__init__(detail or self.__class__.__doc__ or self.__class__.__name__)
        self.detail = detail
        if reason is not None:
            self.reason = reason


class Rejected(CopierError):
    """Retrying cannot help: record the result and acknowledge the message."""

    reason = Reason.REJECTED


class Retryable(CopierError):
    """A dependency is briefly unavailable: let the queue redeliver the message."""

    reason = Reason.RETRY


class InvalidInput(Rejected):
    """The input (message, settings, payload, event) is malformed; nothing was changed."""

    reason = Reason.INVALID_INPUT


class InvalidSettings(InvalidInput):
    """Settings failed validation; the message names the field."""

    reason = Reason.INVALID_SETTINGS


class QuotaExceeded(Rejected):
    """The user's plan allows no more trades today."""

    reason = Reason.QUOTA


class CredentialsMissing(Rejected):
    """The user has not connected a broker account."""

    reason = Reason.NO_CREDENTIALS


class UnknownSymbol(Rejected):
    """The broker has no symbol matching the signal's."""

    reason = Reason.UNKNOWN_SYMBOL


class BrokerRejected(Rejected):
    """The broker refused the order (invalid volume, stops, market closed, ...)."""

    reason = Reason.BROKER_REJECTED


class BrokerUnavailable(Retryable):
    """The broker could not be reached or timed out; the outcome is unknown or nothing happened."""

    reason = Reason.BROKER_UNAVAILABLE


class BrokerThrottled(BrokerUnavailable):
    """The broker's rate limit was hit; `retry_at` is when it says to try again (None if unsaid)."""

    reason = Reason.BROKER_THROTTLED

    def __init__(self, detail: str = "", *, retry_at: datetime | None = None) -> None:
        super().__init__(detail)
        self.retry_at = retry_at


class StoreUnavailable(Retryable):
    """The store could not be reached or a transaction kept conflicting."""

    reason = Reason.STORE_UNAVAILABLE


class InFlight(Retryable):
    """Another worker holds the claim on this intent; try again after its lease."""

    reason = Reason.IN_FLIGHT
