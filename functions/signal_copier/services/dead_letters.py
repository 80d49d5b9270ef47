"""Messages the queue gave up on: record what can be recorded, so nothing fails silently.

Our own attempt limit (counted on the claim) normally records a failed intent first; Pub/Sub's
dead-letter topics are the safety net behind it, and recording twice is a no-op.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from signal_copier.core import codec
from signal_copier.core.errors import Retryable
from signal_copier.core.model import Intent
from signal_copier.services.deps import BROKER_EVENTS_TOPIC, INTENTS_TOPIC, MESSAGES_TOPIC, Deps
from signal_copier.services.pipeline import record_failure
from signal_copier.services.polling import KIND_ATTRIBUTE, POLL_KIND

_log = logging.getLogger(__name__)


class DeliveryExhausted(Retryable):
    """The queue stopped redelivering the message after its last attempt."""


async def record_dead_letter(
    origin: str,
    payload: dict[str, Any],
    deps: Deps,
    now: datetime,
    *,
    attributes: Mapping[str, str] | None = None,
) -> str:
    """Record a dead-lettered payload by the topic it was sent to; return what was done.

    An intent is recorded as failed (with whatever fills the account shows); a channel message
    or a broker event has no user-facing record, so it is logged as an error with its key. A
    poll that gave up is only a warning: the next sweep publishes a new one for the account.
    Raises InvalidInput for a payload that does not decode (the caller acknowledges it).
    """
    if origin == INTENTS_TOPIC:
        intent = codec.from_dict(Intent, payload)
        error = DeliveryExhausted("the queue gave up redelivering this intent")
        await record_failure(intent, error, deps, now)
        return "recorded_failed"
    if origin == MESSAGES_TOPIC:
        key = f"{payload.get('chat_id')}:{payload.get('message_id')}"
        _log.error("dead letter: channel message %s was never handled", key[:80])
        return "logged"
    if origin == BROKER_EVENTS_TOPIC and (attributes or {}).get(KIND_ATTRIBUTE) == POLL_KIND:
        _log.warning("dead letter: a poll of %s was dropped", str(payload.get("user_id"))[:80])
        return "logged"
    if origin == BROKER_EVENTS_TOPIC:
        key = f"{payload.get('account_id')}/{payload.get('client_id')}:{payload.get('kind')}"
        _log.error("dead letter: broker event %s was never handled", key[:120])
        return "logged"
    _log.error("dead letter of unknown origin %r dropped", origin[:80])
    return "unknown_origin"
