"""Every workload driven through the ways it publishes, behind a queue that records them.

Every entry point of functions/main.py is served by functions-framework in one process on the
local adapters (SQLite, paper broker, local vault), behind a queue that notes each publish with
the workload being driven and the call stack that led to it; the listeners' publisher is driven
beside them. tests/integration/test_publishers.py compares what each published with Terraform.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import httpx

from function_apps import CHAT, GOLD_BUY, onboard, open_intent, push_body
from recorded_deployment import ENTRY_POINTS, Deployment
from signal_copier.broker.paper import PaperBroker
from signal_copier.core import codec, ids
from signal_copier.core.dashboard import ChatInfo
from signal_copier.core.market import BrokerEvent
from signal_copier.core.model import Intent, IntentKind, RawMessage
from signal_copier.core.parsing import parse
from signal_copier.core.records import ParkedIntent, Plan
from signal_copier.services import accounts, pipeline
from signal_copier.services.fleet_publish import Origin, Publisher
from signal_copier.services.polling import poll_publication

WORKLOADS = (*ENTRY_POINTS, "listeners")
CLOSE_ALL = "Close all now"
SIDE_FIRST = "XAUUSD BUY NOW @ 2650"  # no stop: refused under the default no_sl: skip


def _message(message_id: int, text: str, **fields: Any) -> RawMessage:
    now = datetime.now(UTC)
    return RawMessage(
        chat_id=CHAT,
        message_id=message_id,
        text=text,
        date=fields.pop("date", now),
        received=fields.pop("received", now),
        **fields,
    )


def _intent(user_id: str, message_id: int, text: str, reply_to: int | None = None) -> Intent:
    now = datetime.now(UTC)
    parsed = parse(text)
    return Intent(
        id=ids.intent_id(CHAT, message_id, 0, user_id),
        user_id=user_id,
        kind=IntentKind.OPEN if parsed.signals else IntentKind.COMMAND,
        chat_id=CHAT,
        message_id=message_id,
        version=0,
        message_date=now,
        received=now,
        signal=parsed.signals[0] if parsed.signals else None,
        command=parsed.command,
        reply_to=reply_to,
        trace_id="t",
    )


async def _park(d: Deployment, user_id: str, awaiting: int, until: datetime) -> Intent:
    """Park a follow-up of `user_id` on message `awaiting` (as on_intent leaves one)."""
    follow_up = _intent(user_id, awaiting + 1, CLOSE_ALL, reply_to=awaiting)
    now = datetime.now(UTC)
    await d.store.claim(follow_up, "worker:1", now, timedelta(seconds=60))
    parked = ParkedIntent(intent=follow_up, awaiting=awaiting, until=until)
    assert await d.store.park(parked, "worker:1")
    return follow_up


async def _holding(d: Deployment, user_id: str, message_id: int = 812) -> None:
    """Onboard a user (breakeven at TP1) who holds the gold buy of `message_id`."""
    await onboard(d.deps, user_id)
    settings = {"max_signal_age_s": 300, "lot": "0.20", "breakeven_on_tp1": True}
    await accounts.register_user(d.deps, user_id, Plan.PREMIUM, settings)
    intent = codec.from_dict(Intent, open_intent(user_id, message_id))
    await d.arrange("on_intent", pipeline.execute_intent(intent, d.deps, datetime.now(UTC)))


def _tp1_hits(d: Deployment) -> list[BrokerEvent]:
    assert isinstance(d.deps.broker, PaperBroker)
    return d.deps.broker.set_quotes({"XAUUSD": (D("2655.5"), D("2655.8"))}, datetime.now(UTC))


async def _on_message(d: Deployment) -> None:
    for user_id in ("tg11", "tg12", "tg13"):
        await onboard(d.deps, user_id)
    # A signal fans out; a parked follow-up on it is woken when it arrives.
    await _park(d, "tg13", awaiting=10, until=datetime.now(UTC) + timedelta(minutes=2))
    await d.post("on_message", push_body(codec.to_dict(_message(10, GOLD_BUY))))
    # Its redelivery wakes what is parked on it again (a crash may have cut the wake-up short).
    await _park(d, "tg12", awaiting=10, until=datetime.now(UTC) + timedelta(minutes=2))
    await d.post("on_message", push_body(codec.to_dict(_message(10, GOLD_BUY))))
    # An edit that arrives before its original is acted on when the original comes.
    later = datetime.now(UTC) + timedelta(seconds=1)
    edit = _message(20, GOLD_BUY.replace("SL 2640", "SL 2641"), edit_date=later)
    await d.post("on_message", push_body(codec.to_dict(edit)))
    await d.post("on_message", push_body(codec.to_dict(_message(20, GOLD_BUY))))
    # A version whose fan-out was cut short (the store failed) is fanned out with the next one.
    d.store.fail("mark_fanned_out", nth=d.store.calls("mark_fanned_out") + 1)
    await d.post("on_message", push_body(codec.to_dict(_message(25, GOLD_BUY))))
    edit = _message(25, GOLD_BUY.replace("SL 2640", "SL 2641"), edit_date=later)
    await d.post("on_message", push_body(codec.to_dict(edit)))
    # A user who holds a trade of the chat but unfollowed it still gets its follow-ups.
    await _holding(d, "tg14", message_id=30)
    await d.store.delete_subscription("tg14", CHAT)
    await d.post("on_message", push_body(codec.to_dict(_message(31, CLOSE_ALL, reply_to=30))))


async def _on_intent(d: Deployment) -> None:
    await onboard(d.deps, "tg21")
    # An opening finishing wakes the follow-up parked on it; a redelivery, once done, too.
    await _park(d, "tg21", awaiting=40, until=datetime.now(UTC) + timedelta(minutes=2))
    opening = push_body(open_intent("tg21", 40))
    await d.post("on_intent", opening)
    await d.post("on_intent", opening)
    # A follow-up whose target finishes while it parks runs at once (no lost wake-up).
    late = _intent("tg21", 51, "Move SL to entry", reply_to=50)

    async def target_finishes() -> None:
        now = datetime.now(UTC)
        await d.arrange("on_message", pipeline.handle_message(_message(50, GOLD_BUY), d.deps, now))
        target = codec.from_dict(Intent, open_intent("tg21", 50))
        await d.arrange("on_intent", pipeline.execute_intent(target, d.deps, now))

    d.store.before("park", target_finishes, nth=d.store.calls("park") + 1)
    await d.post("on_intent", push_body(codec.to_dict(late)))
    await _late_openings(d)


async def _late_openings(d: Deployment) -> None:
    # A signal refused for want of a stop is opened by its levels, or by an edit adding its
    # stop; the late opening finishing wakes the follow-up parked on the signal.
    now = datetime.now(UTC)
    for user_id, signal_id in (("tg22", 150), ("tg23", 160)):
        await onboard(d.deps, user_id)
        stored = pipeline.handle_message(_message(signal_id, SIDE_FIRST), d.deps, now)
        await d.arrange("on_message", stored)
        refused = _intent(user_id, signal_id, SIDE_FIRST)
        await d.arrange("on_intent", pipeline.execute_intent(refused, d.deps, now))
        await _park(d, user_id, signal_id, now + timedelta(minutes=2))
    levels = _intent("tg22", 152, "SL 2640 TP1 2660", reply_to=150)
    await d.post("on_intent", push_body(codec.to_dict(levels)))
    edited = f"{SIDE_FIRST}\nSL 2640\nTP 2660"
    version = ids.message_version(int(now.timestamp()) + 1, edited)
    edit = Intent(
        id=ids.intent_id(CHAT, 160, version, "tg23"),
        user_id="tg23",
        kind=IntentKind.EDIT,
        chat_id=CHAT,
        message_id=160,
        version=version,
        message_date=now,
        received=now,
        signal=parse(edited).signals[0],
        previous=parse(SIDE_FIRST).signals[0],
        trace_id="t",
    )
    await d.post("on_intent", push_body(codec.to_dict(edit)))


async def _on_broker_event(d: Deployment) -> None:
    # A TP hit pushed by a broker, and one found by a poll, each wake a parked follow-up.
    await _holding(d, "tg31", message_id=60)
    await _holding(d, "tg32", message_id=70)
    for user_id, message_id in (("tg31", 60), ("tg32", 70)):
        await _park(d, user_id, message_id, datetime.now(UTC) + timedelta(minutes=2))
    events = _tp1_hits(d)
    for event in (e for e in events if e.account_id == "acc-tg31"):
        await d.post("on_broker_event", push_body(codec.to_dict(event), {"user": "tg31"}))
    [since] = [s for u, s in await d.store.watched(10) if u == "tg32"]
    poll = poll_publication("tg32", since, datetime.now(UTC))
    await d.post("on_broker_event", push_body(poll.payload, dict(poll.attributes)))


async def _sweep(d: Deployment) -> None:
    now = datetime.now(UTC)
    await onboard(d.deps, "tg41")
    await _park(d, "tg41", awaiting=80, until=now - timedelta(seconds=1))  # its bound passed
    dead = codec.from_dict(Intent, open_intent("tg41", 90))
    await d.store.claim(dead, "dead:1", now - timedelta(minutes=5), timedelta(seconds=60))
    old = now - timedelta(minutes=5)  # an edit gap-filled late whose original never came
    edit = _message(100, GOLD_BUY, date=old, received=old, edit_date=old + timedelta(seconds=5))
    await d.arrange("on_message", pipeline.handle_message(edit, d.deps, now))
    # A pending entry past its expiry, with a follow-up parked on its signal; a watched account
    await onboard(d.deps, "tg42")
    await accounts.register_user(
        d.deps, "tg42", Plan.PREMIUM, {"max_signal_age_s": 300, "pending_expiry_minutes": 1}
    )
    limit = _intent("tg42", 110, "XAUUSD BUY LIMIT 2600\nSL 2590\nTP 2660")
    await d.arrange("on_intent", pipeline.execute_intent(limit, d.deps, now - timedelta(minutes=3)))
    await _park(d, "tg42", awaiting=110, until=now + timedelta(minutes=2))
    await _target_reached(d, now)
    for user_id in ("a-watched", "zz-watched"):  # before and after wherever pages start
        await d.store.watch(user_id, now, now)
    await d.post("sweep", {})


async def _target_reached(d: Deployment, now: datetime) -> None:
    # A call to trade now waiting as a limit (the price ran from its entry) whose TP1 the price
    # then reached, with a follow-up parked on its signal.
    await onboard(d.deps, "tg43")
    await accounts.register_user(d.deps, "tg43", Plan.PREMIUM, {"max_signal_age_s": 300})
    call = _intent("tg43", 115, "USDJPY BUY NOW @ 149.50\nSL 149.00\nTP 150.50")
    await d.arrange("on_intent", pipeline.execute_intent(call, d.deps, now - timedelta(minutes=3)))
    assert isinstance(d.deps.broker, PaperBroker)
    d.deps.broker.set_quotes({"USDJPY": (D("150.600"), D("150.612"))}, now)
    await _park(d, "tg43", awaiting=115, until=now + timedelta(minutes=2))


async def _on_dead_letter(d: Deployment) -> None:
    await _holding(d, "tg51", message_id=120)
    # An opening that gave up wakes the follow-up parked on it (it runs on what is known).
    await _park(d, "tg51", awaiting=121, until=datetime.now(UTC) + timedelta(minutes=2))
    intent = open_intent("tg51", 121)
    await d.post("on_dead_letter", push_body(intent, {"origin_topic": "intents"}))
    message = codec.to_dict(_message(122, GOLD_BUY))
    await d.post("on_dead_letter", push_body(message, {"origin_topic": "messages"}))
    event = {"kind": "position_closed", "account_id": "acc-tg51", "client_id": "sc1.1"}
    await d.post("on_dead_letter", push_body(event, {"origin_topic": "broker-events"}))
    poll = poll_publication("tg51", datetime.now(UTC), datetime.now(UTC))
    attributes = {**poll.attributes, "origin_topic": "broker-events"}
    await d.post("on_dead_letter", push_body(poll.payload, attributes))


async def _api(d: Deployment) -> None:
    await _holding(d, "tg61", message_id=130)
    api = await d.api.api()
    token = await api.ports.auth.mint("tg61", {})
    await api.ports.web.web.put_user_chat("tg61", ChatInfo(chat_id=CHAT, title="Gold"))
    d.queue.workload = "api"
    transport = httpx.ASGITransport(app=d.apps["api"])
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        for method, path, body in (
            ("GET", "", None),
            ("GET", "/trades", None),
            ("PUT", "/settings", {"lot": "0.1"}),
            ("PUT", f"/channels/{CHAT}", {}),
            ("POST", "/preview", {"settings": {}}),
            ("POST", "/stop", {}),
            ("POST", "/start", {}),
            ("POST", "/kill", {"confirm": "KILL"}),
            ("DELETE", f"/channels/{CHAT}", None),
            ("DELETE", "/broker", None),
        ):
            answer = await client.request(
                method, f"/api/users/tg61{path}", json=body, headers=headers
            )
            assert answer.status_code < 500, (method, path, answer.text)


def _listeners(d: Deployment) -> Any:
    d.queue.workload = "listeners"
    publisher = Publisher(d.queue)
    return publisher.publish(
        _message(140, GOLD_BUY), Origin(user_id="tg71", epoch=3, previous_id=None)
    )


async def drive_everything(d: Deployment) -> None:
    """Run every workload's scenarios, each through the ways it publishes."""
    for scenario in (_on_message, _on_intent, _on_broker_event, _sweep, _on_dead_letter, _api):
        await scenario(d)
    await _listeners(d)
