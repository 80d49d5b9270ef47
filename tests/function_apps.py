"""The real functions of functions/main.py, as functions-framework serves them, for tests."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import functions_framework
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from signal_copier import serving
from signal_copier.broker.paper import PaperBroker
from signal_copier.core import codec, ids
from signal_copier.core.market import Credentials
from signal_copier.core.model import Intent, IntentKind, RawMessage
from signal_copier.core.parsing import parse
from signal_copier.core.records import Plan
from signal_copier.services import accounts
from signal_copier.services.deps import Deps

MAIN = Path(__file__).resolve().parents[1] / "functions" / "main.py"
GOLD_BUY = "XAUUSD BUY NOW @ 2650\nSL 2640\nTP1 2655\nTP2 2660"
CHAT = "-1001234567890"


def app(target: str) -> Starlette:
    """Return functions-framework's app for one entry point of functions/main.py."""
    return functions_framework.create_app(target=target, source=str(MAIN))  # type: ignore[no-any-return]


def push_body(
    payload: Any, attributes: dict[str, str] | None = None, message_id: str = "1"
) -> dict[str, Any]:
    """Return a Pub/Sub push body carrying `payload` as JSON."""
    data = base64.b64encode(json.dumps(payload).encode()).decode()
    message: dict[str, Any] = {"data": data, "messageId": message_id}
    if attributes:
        message["attributes"] = attributes
    return {"message": message, "subscription": "projects/demo/subscriptions/test"}


def channel_message(text: str = GOLD_BUY, message_id: int = 812) -> dict[str, Any]:
    """Return a channel message posted now, as its JSON payload."""
    now = datetime.now(UTC)
    message = RawMessage(chat_id=CHAT, message_id=message_id, text=text, date=now, received=now)
    return codec.to_dict(message)


@pytest.fixture
def local_functions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Serve the functions in local mode (SQLite, in-process queue, paper), no token check."""
    for name, value in {
        "COPIER_MODE": "local",
        "COPIER_DATA_DIR": str(tmp_path),
        "COPIER_PUSH_AUTH": "off",
    }.items():
        monkeypatch.setenv(name, value)
    serving.process.cache_clear()  # a fresh process's Serving reads this test's environment
    yield tmp_path
    serving.process.cache_clear()


async def onboard(deps: Deps, user_id: str, chat: str = CHAT, balance: str = "10000") -> None:
    """Register a premium user following `chat` with a paper account and stored credentials."""
    await accounts.register_user(deps, user_id, Plan.PREMIUM, {"max_signal_age_s": 300})
    await accounts.follow_channel(deps, user_id, chat)
    assert isinstance(deps.broker, PaperBroker)
    deps.broker.open_account(f"acc-{user_id}", balance=Decimal(balance))
    token = f"metaapi-token-of-{user_id}-0123456789"
    await accounts.save_credentials(
        deps, user_id, Credentials(account_id=f"acc-{user_id}", token=token)
    )


def open_intent(user_id: str, message_id: int = 812) -> dict[str, Any]:
    """Return a gold buy intent for `user_id` received now, as its JSON payload."""
    now = datetime.now(UTC)
    intent = Intent(
        id=ids.intent_id(CHAT, message_id, 0, user_id),
        user_id=user_id,
        kind=IntentKind.OPEN,
        chat_id=CHAT,
        message_id=message_id,
        version=0,
        message_date=now,
        received=now,
        signal=parse(GOLD_BUY).signals[0],
        trace_id="trace-1",
    )
    return codec.to_dict(intent)


def body_id(body: dict[str, Any]) -> str:
    """Return the intent id inside a push body."""
    return str(json.loads(base64.b64decode(body["message"]["data"]))["id"])


def orders_on_account(client: TestClient, deps: Deps, user_id: str) -> int:
    """Return the account's positions and pending orders."""
    assert isinstance(deps.broker, PaperBroker) and client.portal is not None
    account = deps.broker.account(f"acc-{user_id}")
    return len(client.portal.call(account.positions)) + len(client.portal.call(account.orders))
