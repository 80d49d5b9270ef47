"""What arrives on `broker-events`: a broker event to act on, or a poll of one account.

The attribute `kind` tells them apart: absent for a broker event (a fill, a TP or SL hit that a
broker pushed, routed to the user in attribute `user`), `poll` for the sweep's request to read
one account's deals (services/polling.py). `on_broker_event` and the local pipeline both hand
their deliveries here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from signal_copier.core import codec, ids
from signal_copier.core.errors import InvalidInput
from signal_copier.core.market import BrokerEvent
from signal_copier.services import polling
from signal_copier.services.deps import Deps
from signal_copier.services.management import handle_broker_event


async def handle_delivery(
    payload: dict[str, Any], attributes: Mapping[str, str], deps: Deps, now: datetime
) -> str:
    """Poll the account a poll names, or manage positions after a broker event; say what was done.

    InvalidInput (nothing changed) for a payload or attributes that do not decode; otherwise
    raises what the work raises (Retryable: deliver it again).
    """
    kind = attributes.get(polling.KIND_ATTRIBUTE)
    if kind == polling.POLL_KIND:
        return await polling.poll_account(polling.read_poll(payload), deps, now)
    if kind is not None:
        raise InvalidInput(
            f"attributes.kind: expected {polling.POLL_KIND!r} or none, got {kind[:40]!r}"
        )
    event = codec.from_dict(BrokerEvent, payload)
    user_id = ids.check_id(attributes.get("user", ""), "attributes.user")
    result = await handle_broker_event(event, user_id, deps, now)
    return "nothing_to_do" if result is None else str(result.status)
