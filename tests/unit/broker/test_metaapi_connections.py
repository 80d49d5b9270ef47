"""MetaApi objects per token and RPC connections per (user, account, token fingerprint), cached."""

from __future__ import annotations

import asyncio
import logging

import pytest
from metaapi_cloud_sdk.clients.timeout_exception import TimeoutException

from fakes.rig import TOKEN, USER, Rig
from signal_copier.core.errors import BrokerRejected, BrokerUnavailable, CredentialsMissing


async def test_connecting_twice_reuses_one_connection(rig: Rig) -> None:
    first, second = await rig.account(), await rig.account()
    assert first is second
    assert [rig.server.count(m) for m in ("get_account", "connect", "wait_synchronized")] == [1] * 3
    assert len(rig.sdk.apis) == 1 and rig.broker.open_connections == 1


async def test_concurrent_first_connects_open_one_connection(rig: Rig) -> None:
    accounts = await asyncio.gather(*(rig.account() for _ in range(5)))
    assert len({id(a) for a in accounts}) == 1
    assert rig.server.count("get_account") == 1


async def test_one_metaapi_per_token_shared_by_its_accounts(rig: Rig) -> None:
    await rig.connect(rig.credentials(account_id="acc-1"))
    await rig.connect(rig.credentials(account_id="acc-2"))
    assert len(rig.sdk.apis) == 1 and rig.broker.open_connections == 2


async def test_a_changed_token_never_reuses_the_old_connection(rig: Rig) -> None:
    old = await rig.account()
    new = await rig.account("a-new-token-for-the-same-account")
    assert old is not new and len(rig.sdk.apis) == 2


async def test_disconnect_closes_every_connection_of_the_user_and_idle_metaapis(
    rig: Rig,
) -> None:
    await rig.account()
    await rig.account("a-new-token-for-the-same-account")
    await rig.broker.disconnect(USER)
    assert rig.broker.open_connections == 0
    assert all(c.closed for c in rig.sdk.connections) and all(a.closed for a in rig.sdk.apis)
    assert await rig.account() is not None and rig.server.count("get_account") == 3


async def test_disconnect_keeps_a_metaapi_that_another_user_still_uses(rig: Rig) -> None:
    await rig.connect(rig.credentials(account_id="acc-1"))
    await rig.connect(rig.credentials(account_id="acc-2"), "tg2")
    await rig.broker.disconnect(USER)
    assert rig.broker.open_connections == 1 and not rig.sdk.apis[0].closed


async def test_two_users_with_the_same_account_and_token_get_their_own_connections(
    rig: Rig,
) -> None:
    first, second = await rig.account(user_id="tg1"), await rig.account(user_id="tg2")
    assert first is not second
    assert rig.broker.open_connections == 2 and len(rig.sdk.connections) == 2
    assert len(rig.sdk.apis) == 1  # one MetaApi per token, shared by its connections


async def test_removing_one_users_credentials_closes_only_that_users_connection(
    rig: Rig,
) -> None:
    await rig.account(user_id="tg1")
    kept = await rig.account(user_id="tg2")
    await rig.broker.disconnect("tg1")
    assert [c.closed for c in rig.sdk.connections] == [True, False]
    assert rig.broker.open_connections == 1 and not rig.sdk.apis[0].closed
    assert await kept.positions() == []  # the other user's connection still works
    assert await rig.account(user_id="tg2") is kept


async def test_changed_credentials_close_the_old_connection_and_keep_the_new_one(
    rig: Rig,
) -> None:
    await rig.account("the-old-token-of-acc-1")
    new = await rig.account()
    await rig.broker.disconnect(USER, keep=rig.credentials())
    assert [c.closed for c in rig.sdk.connections] == [True, False]
    assert [a.closed for a in rig.sdk.apis] == [True, False]  # the old token's MetaApi too
    assert await rig.account() is new and rig.server.count("get_account") == 2


async def test_a_refused_token_drops_every_users_connection_made_with_it(rig: Rig) -> None:
    mine = await rig.account(user_id="tg1")
    await rig.account(user_id="tg2")
    rig.server.revoked.add(TOKEN)
    with pytest.raises(BrokerRejected):
        await mine.positions()
    assert rig.broker.open_connections == 0 and all(c.closed for c in rig.sdk.connections)


async def test_idle_connections_close_after_the_idle_limit(rig: Rig) -> None:
    await rig.connect(rig.credentials(account_id="acc-1"))
    rig.wait(901)
    await rig.connect(rig.credentials(account_id="acc-2"))
    assert rig.broker.open_connections == 1
    assert [c.closed for c in rig.sdk.connections] == [True, False]


async def test_a_connection_in_use_is_not_idle(rig: Rig) -> None:
    for _ in range(3):
        await rig.account()
        rig.wait(600)
    await rig.account()
    assert rig.server.count("get_account") == 1 and not rig.sdk.apis[0].closed


async def test_a_metaapi_whose_openings_failed_closes_when_idle(rig: Rig) -> None:
    with pytest.raises(BrokerRejected):
        await rig.connect(rig.credentials("token-b", account_id="acc-404"))
    rig.wait(901)
    await rig.account()
    assert [a.closed for a in rig.sdk.apis] == [True, False]


async def test_aclose_closes_every_connection_and_metaapi(rig: Rig) -> None:
    await rig.connect(rig.credentials(account_id="acc-1"))
    await rig.connect(rig.credentials("other-token", account_id="acc-2"))
    await rig.broker.aclose()
    assert rig.broker.open_connections == 0
    assert all(c.closed for c in rig.sdk.connections) and all(a.closed for a in rig.sdk.apis)


async def test_a_refused_token_drops_its_connections_and_says_reconnect(rig: Rig) -> None:
    account = await rig.account()
    rig.server.revoked.add(TOKEN)
    with pytest.raises(BrokerRejected, match="connect your MetaAPI account again") as refused:
        await account.positions()
    assert refused.value.reason == "broker_token_rejected"
    assert rig.broker.open_connections == 0 and rig.sdk.apis[0].closed
    with pytest.raises(BrokerRejected) as again:
        await rig.account()
    assert again.value.reason == "broker_token_rejected"


@pytest.mark.parametrize(
    ("state", "error", "reason"),
    [
        ("UNDEPLOYED", BrokerRejected, "account_not_deployed"),
        ("DEPLOY_FAILED", BrokerRejected, "account_not_deployed"),
        ("DEPLOYING", BrokerUnavailable, "broker_unavailable"),
    ],
)
async def test_an_account_that_is_not_deployed_is_not_connected(
    rig: Rig, state: str, error: type, reason: str
) -> None:
    rig.server.states["acc-1"] = state
    with pytest.raises(error) as raised:
        await rig.account()
    assert raised.value.reason == reason
    assert rig.server.count("connect") == 0


async def test_an_unknown_account_is_refused(rig: Rig) -> None:
    with pytest.raises(BrokerRejected) as raised:
        await rig.connect(rig.credentials(account_id="acc-404"))
    assert raised.value.reason == "unknown_account"


@pytest.mark.parametrize("token", ["", None])
async def test_missing_credentials_are_refused_before_any_call(rig: Rig, token: str | None) -> None:
    with pytest.raises(CredentialsMissing):
        await rig.connect(rig.credentials(token or ""))
    assert rig.server.calls == []


async def test_a_slow_sync_is_bounded_and_the_next_attempt_waits_on_the_same_connection(
    rig: Rig,
) -> None:
    rig.server.hang("wait_synchronized")
    with pytest.raises(BrokerUnavailable):
        await rig.account()
    assert rig.broker.open_connections == 1 and not rig.sdk.connections[0].closed
    account = await rig.account()
    assert await account.positions() == []
    assert [rig.server.count(m) for m in ("connect", "wait_synchronized")] == [1, 2]
    await rig.account()
    assert rig.server.count("wait_synchronized") == 2  # synchronized once is enough


async def test_a_connect_that_fails_closes_the_new_connection(rig: Rig) -> None:
    rig.server.hang("connect")
    with pytest.raises(BrokerUnavailable):
        await rig.account()
    assert rig.broker.open_connections == 0 and rig.sdk.connections[0].closed


async def test_a_sync_timeout_from_the_sdk_is_unavailable(rig: Rig) -> None:
    rig.server.fail("wait_synchronized", TimeoutException("Timed out waiting for sync"))
    with pytest.raises(BrokerUnavailable):
        await rig.account()


async def test_the_token_is_never_logged_nor_kept_in_cache_keys(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    account = await rig.account()
    await account.positions()
    rig.server.revoked.add(TOKEN)
    with pytest.raises(BrokerRejected):
        await account.positions()
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(vars(rig.broker))
