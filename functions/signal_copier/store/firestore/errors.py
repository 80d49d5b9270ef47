"""Firestore errors → what the caller must do: ONE table, looked up along the exception's classes.

Retryable (`StoreUnavailable`): the request may succeed later — contention (a transaction out of
attempts), timeouts, overload, server faults, and `FailedPrecondition` (an index still building,
or a transaction that outlived its 270 s: both pass with time). Rejected: retrying the same
request cannot help — a bad request (`InvalidInput`), or one Firestore refuses (`StoreRejected`:
permission, authentication, a missing database).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from google.api_core import exceptions as gax

from signal_copier.core.errors import CopierError, InvalidInput, Rejected, StoreUnavailable


class StoreRejected(Rejected):
    """Firestore refused the request (permission, authentication, no such database)."""


ERRORS: dict[type[BaseException], type[CopierError]] = {
    gax.Aborted: StoreUnavailable,  # contention that outlasted our attempts
    gax.DeadlineExceeded: StoreUnavailable,
    gax.ServiceUnavailable: StoreUnavailable,
    gax.ResourceExhausted: StoreUnavailable,  # quota or rate: Pub/Sub backs off
    gax.InternalServerError: StoreUnavailable,
    gax.Unknown: StoreUnavailable,
    gax.Cancelled: StoreUnavailable,  # the call was cut (connection reset, shutdown)
    gax.FailedPrecondition: StoreUnavailable,  # index building; transaction expired
    gax.ServerError: StoreUnavailable,  # any other 5xx
    gax.RetryError: StoreUnavailable,  # the client's own retries ran out
    TimeoutError: StoreUnavailable,  # our per-call bound
    gax.InvalidArgument: InvalidInput,  # too large, reserved name, bad value
    gax.OutOfRange: InvalidInput,
    gax.PermissionDenied: StoreRejected,
    gax.Unauthenticated: StoreRejected,
    gax.NotFound: StoreRejected,  # the database (expected NotFounds are handled at the call)
    gax.AlreadyExists: StoreRejected,  # likewise: create() handles its own
    gax.ClientError: StoreRejected,  # any other 4xx
}


def translate(error: BaseException, where: str) -> CopierError | None:
    """Return the copier error for a Firestore error (None: not in the table, let it propagate)."""
    for cls in type(error).__mro__:
        mapped = ERRORS.get(cls)
        if mapped is not None:
            return mapped(f"firestore {where}: {type(error).__name__}: {error}")
    return None


@asynccontextmanager
async def translated(where: str) -> AsyncIterator[None]:
    """Raise every error in the table as its copier error, from the original."""
    try:
        yield
    except CopierError:
        raise
    except (gax.GoogleAPIError, TimeoutError) as e:
        mapped = translate(e, where)
        if mapped is None:
            raise
        raise mapped from e
