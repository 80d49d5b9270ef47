"""The API on local parts: every route validates input, acts only on the caller's own data,
answers errors as JSON naming the field, rate-limits, and audits every change without secrets."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from api_world import ApiWorld
from signal_copier.api import Limits
from signal_copier.services.deps import credentials_name


@pytest.fixture
def world(tmp_path: Path) -> ApiWorld:
    return ApiWorld(tmp_path)


def _tokens(world: ApiWorld) -> tuple[dict[str, str], dict[str, str]]:
    a, b = asyncio.run(world.token("tg1")), asyncio.run(world.token("tg2"))
    return {"Authorization": f"Bearer {a}"}, {"Authorization": f"Bearer {b}"}


ACTIONS = [
    ("GET", "", None),
    ("GET", "/trades", None),
    ("GET", "/activity", None),
    ("PUT", "/settings", {"lot": "0.1"}),
    ("POST", "/broker", {"account_id": "acc-b", "token": "t"}),
    ("DELETE", "/broker", None),
    ("DELETE", "/telegram/session", None),
    ("PUT", "/channels/-1001", {}),
    ("DELETE", "/channels/-1001", None),
    ("POST", "/telegram/phone", {"phone": "+447700900123"}),
    ("POST", "/start", {}),
    ("POST", "/stop", {}),
    ("POST", "/kill", {"confirm": "KILL"}),
    ("POST", "/preview", {"settings": {}}),
]


@pytest.mark.parametrize(("method", "path", "payload"), ACTIONS)
def test_a_token_against_b_data_is_forbidden_and_changes_nothing(
    world: ApiWorld, method: str, path: str, payload: object
) -> None:
    alice, _ = _tokens(world)
    with world.client() as client:
        answer = client.request(method, f"/api/users/tg2{path}", headers=alice, json=payload)

    assert answer.status_code == 403
    assert asyncio.run(world.store.get_user("tg2")) is None
    assert asyncio.run(world.store.activity("tg2")) == []


def test_no_token_or_a_forged_token_is_401(world: ApiWorld) -> None:
    with world.client() as client:
        missing = client.get("/api/users/tg1")
        forged = client.get("/api/users/tg1", headers={"Authorization": "Bearer forged"})

    assert missing.status_code == forged.status_code == 401


def test_malformed_and_deeply_nested_json_are_400_and_oversized_is_413(world: ApiWorld) -> None:
    alice, _ = _tokens(world)
    with world.client() as client:
        broken = client.put("/api/users/tg1/settings", headers=alice, content=b'{"lot": ')
        nested = client.put(
            "/api/users/tg1/settings", headers=alice, content=b"[" * 5000 + b"]" * 5000
        )
        shallow = {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": 1}}}}}}}}}
        deep = client.put(
            "/api/users/tg1/channels/-1001", headers=alice, json={"overrides": shallow}
        )
        huge = client.put("/api/users/tg1/settings", headers=alice, content=b" " * 20_000)

    assert (broken.status_code, nested.status_code, deep.status_code) == (400, 400, 400)
    assert broken.json()["error"]["field"] == "body"
    assert huge.status_code == 413


def test_a_bad_setting_is_422_naming_the_field_and_nothing_is_stored(world: ApiWorld) -> None:
    alice, _ = _tokens(world)
    with world.client() as client:
        answer = client.put("/api/users/tg1/settings", headers=alice, json={"lot": "-1"})

    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "lot"
    assert asyncio.run(world.store.get_user("tg1")) is None


def test_connecting_an_unknown_account_stores_nothing(world: ApiWorld) -> None:
    alice, _ = _tokens(world)
    with world.client() as client:
        answer = client.post(
            "/api/users/tg1/broker", headers=alice, json={"account_id": "nope", "token": "t"}
        )

    assert answer.status_code == 422
    assert asyncio.run(world.vault.get(credentials_name("tg1"))) is None
    assert asyncio.run(world.store.profile("tg1")).account_id == ""


def test_an_account_another_user_connected_is_refused(world: ApiWorld) -> None:
    alice, bob = _tokens(world)
    with world.client() as client:
        first = client.post(
            "/api/users/tg1/broker", headers=alice, json={"account_id": "acc-a", "token": "ta"}
        )
        second = client.post(
            "/api/users/tg2/broker", headers=bob, json={"account_id": "acc-a", "token": "tb"}
        )

    assert first.status_code == 200
    assert second.status_code == 409
    assert "another user" in second.json()["error"]["message"]
    assert asyncio.run(world.vault.get(credentials_name("tg2"))) is None


def test_a_netting_account_is_flagged_with_what_it_means(world: ApiWorld) -> None:
    alice, _ = _tokens(world)
    with world.client() as client:
        answer = client.post(
            "/api/users/tg1/broker", headers=alice, json={"account_id": "net-c", "token": "t"}
        )

    assert answer.json()["margin_mode"] == "netting"
    assert "one position per symbol" in answer.json()["netting_note"]


def test_every_change_is_audited_without_the_secret(world: ApiWorld) -> None:
    alice, _ = _tokens(world)
    with world.client() as client:
        client.post(
            "/api/users/tg1/broker",
            headers=alice,
            json={"account_id": "acc-a", "token": "VERY-SECRET-TOKEN"},
        )
        client.put("/api/users/tg1/settings", headers=alice, json={"lot": "0.2"})
        client.put("/api/users/tg1/channels/-1001", headers=alice, json={})
        client.post("/api/users/tg1/telegram/phone", headers=alice, json={"phone": "+447700900123"})
        client.post("/api/users/tg1/telegram/code", headers=alice, json={"code": "24680"})
        client.post(
            "/api/users/tg1/telegram/password", headers=alice, json={"password": "s3cret-2fa"}
        )
        client.post("/api/users/tg1/start", headers=alice)
        client.post("/api/users/tg1/kill", headers=alice, json={"confirm": "KILL"})
        activity = client.get("/api/users/tg1/activity", headers=alice).json()["activity"]

    actions = [event["action"] for event in reversed(activity)]
    assert actions == [
        "credentials_saved",
        "settings_changed",
        "channel_followed",
        "telegram_code_sent",
        "telegram_linked",
        "started",
        "kill_switch",
    ]
    assert all(event["ip"] == "testclient" and event["at"] for event in activity)
    rows = world.store._rows("SELECT event FROM audit", ())
    assert rows and not any("VERY-SECRET" in row[0] or "s3cret" in row[0] for row in rows)


def test_the_free_plan_follows_at_most_two_channels_and_says_why(world: ApiWorld) -> None:
    alice, _ = _tokens(world)
    with world.client() as client:
        codes = [
            client.put(f"/api/users/tg1/channels/{chat}", headers=alice, json={}).status_code
            for chat in ("-1001", "-1002")
        ]
        third = client.put("/api/users/tg1/channels/-1003", headers=alice, json={})
        unknown = client.put("/api/users/tg1/channels/-1999", headers=alice, json={})

    assert codes == [200, 200]
    assert third.status_code == 409
    assert "at most 2 channels" in third.json()["error"]["message"]
    assert unknown.status_code == 422
    assert unknown.json()["error"]["field"] == "chat_id"


def test_telegram_wrong_code_then_flood_wait_with_retry_after(world: ApiWorld) -> None:
    alice, _ = _tokens(world)
    with world.client() as client:
        client.post("/api/users/tg1/telegram/phone", headers=alice, json={"phone": "+447700900123"})
        wrong = [
            client.post("/api/users/tg1/telegram/code", headers=alice, json={"code": "11111"})
            for _ in range(3)
        ]
        flood = client.post("/api/users/tg1/telegram/code", headers=alice, json={"code": "24680"})

    assert [w.status_code for w in wrong] == [409, 409, 409]
    assert "code is wrong" in wrong[0].json()["error"]["message"]
    assert flood.status_code == 429
    assert flood.headers["Retry-After"] == "60"


def test_kill_switch_needs_the_typed_confirmation(world: ApiWorld) -> None:
    alice, _ = _tokens(world)
    with world.client() as client:
        answer = client.post("/api/users/tg1/kill", headers=alice, json={"confirm": "yes"})

    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "confirm"
    assert asyncio.run(world.store.get_user("tg1")) is None


def test_start_before_connecting_a_broker_names_the_missing_step(world: ApiWorld) -> None:
    alice, _ = _tokens(world)
    with world.client() as client:
        answer = client.post("/api/users/tg1/start", headers=alice)

    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "account_id"


def test_preview_sizes_a_sample_signal_on_the_account(world: ApiWorld) -> None:
    alice, _ = _tokens(world)
    with world.client() as client:
        client.post(
            "/api/users/tg1/broker", headers=alice, json={"account_id": "acc-a", "token": "t"}
        )
        fixed = client.post(
            "/api/users/tg1/preview", headers=alice, json={"settings": {"lot": "0.30"}}
        ).json()
        text = "EURUSD SELL 1.0850 SL 1.0900 TP 1.0800"
        risky = client.post(
            "/api/users/tg1/preview",
            headers=alice,
            json={"settings": {"risk_mode": "risk_percent", "risk_percent": "1"}, "text": text},
        ).json()

    assert Decimal(fixed["total_volume"]) == Decimal("0.30")
    assert len(fixed["orders"]) == 3
    assert risky["orders"][0]["symbol"] == "EURUSD"
    assert risky["orders"][0]["sl"] == "1.09000"


def test_per_user_rate_limit_answers_429_with_retry_after(tmp_path: Path) -> None:
    world = ApiWorld(tmp_path, Limits(per_user_reads=3))
    alice, _ = _tokens(world)
    with world.client() as client:
        codes = [client.get("/api/users/tg1/usage", headers=alice).status_code for _ in range(4)]
        last = client.get("/api/users/tg1/usage", headers=alice)

    assert codes == [200, 200, 200, 429]
    assert int(last.headers["Retry-After"]) >= 1
    assert json.loads(last.text)["error"]["message"].startswith("too many requests")


def test_a_dashboard_flooding_reads_never_starves_the_kill_switch(tmp_path: Path) -> None:
    # A fast replay makes the page re-read its data many times a second: reads and changes
    # count in separate buckets, so the trader's kill switch still goes through.
    world = ApiWorld(tmp_path, Limits(per_user_reads=3, per_ip_reads=3, per_user=5, per_ip=5))
    alice, _ = _tokens(world)
    with world.client() as client:
        reads = [client.get("/api/users/tg1/usage", headers=alice).status_code for _ in range(5)]
        kill = client.post("/api/users/tg1/kill", headers=alice, json={"confirm": "KILL"})

    assert reads[-1] == 429
    assert kill.status_code == 200


def test_per_ip_rate_limit_counts_before_the_token_is_checked(tmp_path: Path) -> None:
    world = ApiWorld(tmp_path, Limits(per_ip_reads=2))
    with TestClient(world.app, raise_server_exceptions=False) as client:
        codes = [client.get("/api/users/tg1").status_code for _ in range(3)]

    assert codes == [401, 401, 429]
