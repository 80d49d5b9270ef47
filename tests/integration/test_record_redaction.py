"""What the user's dashboard reads (trade details, notes) never holds a secret or a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from builders import GOLD_BUY, NOW
from faulty import FaultyBroker
from signal_copier.broker.paper import PaperBroker
from signal_copier.core.dashboard import AuditAction
from signal_copier.core.errors import BrokerRejected
from signal_copier.core.model import Status
from signal_copier.services import audit
from signal_copier.store.sqlite import SqliteStore
from world import World

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZzEyMyIsImV4cCI6MX0.c2lnbmF0dXJlLXBhcnQtaGVyZQ"


def _failing_place(error: BaseException) -> Any:
    def wrap(paper: PaperBroker) -> FaultyBroker:
        return FaultyBroker(paper, lambda name, _: error if name == "place" else None)

    return wrap


async def test_a_broker_refusal_carrying_a_bearer_token_is_recorded_without_it(
    tmp_path: Path,
) -> None:
    refusal = BrokerRejected(f"HTTP 400 (request had Authorization: Bearer {JWT}): invalid stops")
    world = World(tmp_path, wrap=_failing_place(refusal))
    await world.add_user("alice")

    await world.say(GOLD_BUY, id=1)

    record = await world.last("alice")
    assert record.result.status is Status.REJECTED
    assert JWT not in record.result.detail
    assert "Authorization: *** invalid stops" in record.result.detail


async def test_an_unexpected_adapter_error_is_recorded_as_a_short_redacted_line(
    tmp_path: Path,
) -> None:
    crash = RuntimeError(
        f"upstream 500:\n{{'request': {{'session_string': '1BVts', 'auth': 'Bearer {JWT}'}}}}\n"
        + "detail line\n" * 400
    )
    world = World(tmp_path, wrap=_failing_place(crash), max_attempts=2)
    await world.add_user("alice")

    await world.say(GOLD_BUY, id=1)

    record = await world.last("alice")
    detail = record.result.detail
    assert record.result.status is Status.FAILED
    assert detail.startswith("gave up after retries: RuntimeError: upstream 500: {'request'")
    assert JWT not in detail and "1BVts" not in detail
    assert "\n" not in detail and len(detail) < 400


async def test_an_audit_detail_carrying_a_login_secret_is_stored_without_it() -> None:
    store = SqliteStore(":memory:")
    why = "PhoneCodeInvalidError(phone_code_hash=4f6a1b2c9d8e7f60, session_string=1BVtsOKABu6Xk0)"

    await audit.record(store, "tg1", AuditAction.TELEGRAM_LINK_FAILED, NOW, "10.0.0.1", why=why)

    (event,) = await store.activity("tg1")
    assert "4f6a1b2c9d8e7f60" not in event.detail["why"] and "1BVts" not in event.detail["why"]
    assert event.detail["why"].startswith("PhoneCodeInvalidError(phone_code_hash=***")
