"""The routes that give a trader their secrets back, on local parts (SQLite, local vault, paper
broker): DELETE /api/users/{uid}/broker and DELETE /api/users/{uid}/telegram/session. Each acts
only on the caller's own account, is rate-limited, audited without the secret, and idempotent."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from api_world import ApiWorld
from signal_copier.api import Limits
from signal_copier.core.dashboard import ChatInfo
from signal_copier.core.fleet import SessionHealth, SessionLink, session_secret_name
from signal_copier.core.model import OrderRequest, OrderType, Side
from signal_copier.services.deps import credentials_name

TOKEN = "VERY-SECRET-METAAPI-TOKEN"


@pytest.fixture
def world(tmp_path: Path) -> ApiWorld:
    return ApiWorld(tmp_path)


def _bearer(world: ApiWorld, uid: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {asyncio.run(world.token(uid))}"}


def _connect(client: TestClient, uid: str, headers: dict[str, str], account: str) -> None:
    body = {"account_id": account, "token": TOKEN}
    answer = client.post(f"/api/users/{uid}/broker", headers=headers, json=body)
    assert answer.status_code == 200, answer.text


def _link(client: TestClient, world: ApiWorld, uid: str, headers: dict[str, str]) -> None:
    # The offline login's steps, then what TelethonLogin and the owning listener would write.
    client.post(
        f"/api/users/{uid}/telegram/phone", headers=headers, json={"phone": "+447700900123"}
    )
    client.post(f"/api/users/{uid}/telegram/code", headers=headers, json={"code": "24680"})
    client.post(
        f"/api/users/{uid}/telegram/password", headers=headers, json={"password": "s3cret-2fa"}
    )

    async def listened() -> None:
        await world.vault.put(session_secret_name(uid), b"1AaBbCc-string-session")
        await world.store.link_session(SessionLink(user_id=uid, shard=7))
        await world.store.put_chats(uid, [ChatInfo(chat_id="-1001", title="Gold VIP")])
        await world.store.put_session_health(uid, SessionHealth(connected=True))

    asyncio.run(listened())


def _open_position(world: ApiWorld, account: str) -> Any:
    order = OrderRequest(
        symbol="XAUUSD", side=Side.BUY, order_type=OrderType.MARKET, volume=Decimal("0.10"),
        client_id="sc0123456789abcdef01.0",
    )  # fmt: skip
    asyncio.run(world.paper.account(account).place(order))
    return asyncio.run(world.paper.account(account).positions())


def test_disconnecting_removes_the_token_frees_the_account_and_pauses_copying(
    world: ApiWorld,
) -> None:
    alice = _bearer(world, "tg1")
    with world.client() as client:
        _connect(client, "tg1", alice, "acc-a")
        client.post("/api/users/tg1/start", headers=alice)
        opened = _open_position(world, "acc-a")
        answer = client.delete("/api/users/tg1/broker", headers=alice)
        me = client.get("/api/users/tg1", headers=alice).json()
        account = client.get("/api/users/tg1/account", headers=alice).json()
        resume = client.post("/api/users/tg1/resume", headers=alice)
        activity = client.get("/api/users/tg1/activity", headers=alice).json()["activity"]

    assert answer.status_code == 200, answer.text
    assert answer.json()["released_account"] == "acc-a"
    assert answer.json()["paused_reason"] == "broker_not_connected"
    assert asyncio.run(world.vault.get(credentials_name("tg1"))) is None
    assert asyncio.run(world.store.account_owner("acc-a")) is None
    assert me["profile"]["account_id"] == "" and me["paused_reason"] == "broker_not_connected"
    assert me["active"] is True  # the user's Start stands; the pause says why nothing copies
    assert account["connection"] == "not_connected"
    assert resume.status_code == 422 and resume.json()["error"]["field"] == "account_id"
    assert asyncio.run(world.paper.account("acc-a").positions()) == opened
    assert activity[0]["action"] == "credentials_removed"
    assert activity[0]["detail"] == {"account_id": "acc-a"}
    assert TOKEN not in answer.text + str(activity)


def test_disconnecting_twice_answers_the_same_and_removes_nothing_more(world: ApiWorld) -> None:
    alice = _bearer(world, "tg1")
    with world.client() as client:
        _connect(client, "tg1", alice, "acc-a")
        first = client.delete("/api/users/tg1/broker", headers=alice)
        second = client.delete("/api/users/tg1/broker", headers=alice)

    assert first.status_code == second.status_code == 200
    assert (first.json()["released_account"], second.json()["released_account"]) == ("acc-a", "")
    assert second.json()["paused_reason"] == "broker_not_connected"


def test_a_released_account_can_be_connected_again_and_copying_resumes(world: ApiWorld) -> None:
    alice, bob = _bearer(world, "tg1"), _bearer(world, "tg2")
    with world.client() as client:
        _connect(client, "tg1", alice, "acc-a")
        taken = client.post(
            "/api/users/tg2/broker", headers=bob, json={"account_id": "acc-a", "token": "t"}
        )
        client.delete("/api/users/tg1/broker", headers=alice)
        _connect(client, "tg1", alice, "acc-a")
        me = client.get("/api/users/tg1", headers=alice).json()

    assert taken.status_code == 409
    assert asyncio.run(world.store.account_owner("acc-a")) == "tg1"
    assert me["profile"]["account_id"] == "acc-a" and me["paused_reason"] == ""


def test_another_users_token_cannot_disconnect_or_unlink_and_changes_nothing(
    world: ApiWorld,
) -> None:
    alice, bob = _bearer(world, "tg1"), _bearer(world, "tg2")
    with world.client() as client:
        _connect(client, "tg2", bob, "acc-b")
        _link(client, world, "tg2", bob)
        broker = client.delete("/api/users/tg2/broker", headers=alice)
        telegram = client.delete("/api/users/tg2/telegram/session", headers=alice)

    assert broker.status_code == telegram.status_code == 403
    assert asyncio.run(world.vault.get(credentials_name("tg2"))) is not None
    assert asyncio.run(world.vault.get(session_secret_name("tg2"))) is not None
    assert asyncio.run(world.store.account_owner("acc-b")) == "tg2"
    assert asyncio.run(world.store.session_count()) == 1


@pytest.mark.parametrize("path", ["/broker", "/telegram/session"])
def test_removing_secrets_counts_against_the_per_user_rate_limit(tmp_path: Path, path: str) -> None:
    world = ApiWorld(tmp_path, Limits(per_user=2))
    alice = _bearer(world, "tg1")
    with world.client() as client:
        codes = [
            client.delete(f"/api/users/tg1{path}", headers=alice).status_code for _ in range(3)
        ]

    assert codes == [200, 200, 429]


def test_unlinking_telegram_forgets_the_session_and_its_listener_state(world: ApiWorld) -> None:
    alice = _bearer(world, "tg1")
    with world.client() as client:
        _link(client, world, "tg1", alice)
        followed = client.put("/api/users/tg1/channels/-1001", headers=alice, json={})
        answer = client.delete("/api/users/tg1/telegram/session", headers=alice)
        again = client.delete("/api/users/tg1/telegram/session", headers=alice)
        me = client.get("/api/users/tg1", headers=alice).json()
        bot = client.get("/api/users/tg1/bot", headers=alice).json()
        chats = client.get("/api/users/tg1/chats", headers=alice).json()["chats"]
        refollow = client.put("/api/users/tg1/channels/-1001", headers=alice, json={})
        activity = client.get("/api/users/tg1/activity", headers=alice).json()["activity"]

    assert followed.status_code == 200
    assert answer.status_code == 200
    assert answer.json() == {"linked": False, "unfollowed": 1, "session": "logged_out"}
    assert again.status_code == 200
    assert again.json() == {"linked": False, "unfollowed": 0, "session": "none_stored"}
    assert asyncio.run(world.vault.get(session_secret_name("tg1"))) is None
    assert asyncio.run(world.store.sessions([7])) == []
    assert asyncio.run(world.store.subscriptions("tg1")) == []
    assert me["profile"]["telegram_linked"] is False
    assert bot == {"state": "unlinked", "detail": ""}
    assert chats == []
    assert refollow.status_code == 422 and refollow.json()["error"]["field"] == "chat_id"
    assert [a["action"] for a in activity[:2]] == ["telegram_unlinked", "telegram_unlinked"]
    assert activity[1]["detail"] == {"unfollowed": "-1001", "session": "logged_out"}
    assert "string-session" not in str(activity)
