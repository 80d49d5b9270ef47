"""The adapter on the installed SDK itself (no fake): MetaApi is made inside the running loop,
a call MetaAPI cannot answer is bounded and translated, and shutdown leaves nothing running.

This machine cannot reach MetaAPI: the call ends in our timeout (or, where MetaAPI is
reachable, in its refusal of the made-up token). Either way it is a copier error, in bounds.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from signal_copier.broker.metaapi import Limits, MetaApiBroker
from signal_copier.core.errors import BrokerRejected, BrokerUnavailable
from signal_copier.core.market import Credentials

TOKEN = "made-up-token-7f3a9c0e5b"


async def test_an_unreachable_metaapi_is_a_bounded_copier_error_and_closes_clean(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    broker = MetaApiBroker(limits=Limits(connect=1.0, read=1.0, close_grace=0.2))
    credentials = Credentials(account_id="0123456789abcdef", token=TOKEN)
    with pytest.raises((BrokerUnavailable, BrokerRejected)) as failed:
        # The outer bound only turns a hang into a failure; the adapter's own limit is 1 s.
        await asyncio.wait_for(broker.connect("tg1", credentials), 60)
    assert failed.value.reason in ("broker_unavailable", "broker_token_rejected")
    await broker.aclose()
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert others == []
    assert TOKEN not in caplog.text
