"""Errors say what the caller must do: record and acknowledge, or retry."""

from __future__ import annotations


class CopierError(Exception):
    """Base of every error the copier raises on purpose."""

    reason = "error"

    def __init__(self, detail: str = "", *, reason: str | None = None) -> None:
        super().__init__(detail or self.__class__.__doc__ or self.__class__.__name__)
        self.detail = detail
        if reason is not None:
            self.reason = reason


class Rejected(CopierError):
    """Retrying cannot help: record the result and acknowledge the message."""

    reason = "rejected"


class Retryable(CopierError):
    """A dependency is briefly unavailable: let the queue redeliver the message."""

    reason = "retry"


class InvalidInput(Rejected):
    """The input (message, settings, payload, event) is malformed; nothing was changed."""

    reason = "invalid_input"


class InvalidSettings(InvalidInput):
    """Settings failed validation; the message names the field."""

    reason = "invalid_settings"


class QuotaExceeded(Rejected):
    """The user's plan allows no more trades today."""

    reason = "quota"


class CredentialsMissing(Rejected):
    """The user has not connected a broker account."""

    reason = "no_credentials"


class UnknownSymbol(Rejected):
    """The broker has no symbol matching the signal's."""

    reason = "unknown_symbol"


class BrokerRejected(Rejected):
    """The broker refused the order (invalid volume, stops, market closed, ...)."""

    reason = "broker_rejected"


class BrokerUnavailable(Retryable):
    """The broker could not be reached or timed out; the outcome is unknown or nothing happened."""

    reason = "broker_unavailable"


class StoreUnavailable(Retryable):
    """The store could not be reached or a transaction kept conflicting."""

    reason = "store_unavailable"


class InFlight(Retryable):
    """Another worker holds the claim on this intent; try again after its lease."""

    reason = "in_flight"
