"""A trader removes their broker credentials or unlinks Telegram, through the services and the
pipeline on local parts: new signals are skipped with the reason, open positions stay as they
are, the account can be connected again, and a repeat changes nothing more."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import cast

import pytest

from builders import GOLD_BUY
from signal_copier.core.dashboard import AuditAction, ChatInfo
from signal_copier.core.errors import InvalidInput
from signal_copier.core.fleet import SessionHealth, SessionLink, session_secret_name
from signal_copier.core.market import Credentials
from signal_copier.core.model import Status
from signal_copier.core.reasons import Reason
from signal_copier.services import control, disconnect, onboarding
from signal_copier.services.deps import credentials_name
from signal_copier.services.disconnect import SessionEnd
from signal_copier.services.webdeps import WebDeps
from signal_copier.telegram.offline import OfflineTelegramLogin
from world import World

IP = "203.0.113.9"


def _web(world: World) -> WebDeps:
    telegram = OfflineTelegramLogin()
    return WebDeps(deps=world.deps, web=world.web, fleet=world.fleet, telegram=telegram)


async def _connected(world: World, user: str = "alice") -> WebDeps:
    await world.add_user(user, connect=False)
    web = _web(world)
    credentials = Credentials(account_id=f"acc-{user}", token=f"t0ken-{user}")
    await onboarding.connect_broker(web, user, credentials, world.now, IP)
    await onboarding.set_running(web, user, True, world.now, IP)
    return web


async def test_after_disconnecting_new_signals_are_skipped_and_open_positions_stay(
    tmp_path: Path,
) -> None:
    world = World(tmp_path)
    web = await _connected(world)
    await world.say(GOLD_BUY, id=1)
    account = world.paper.account("acc-alice")
    opened = await account.positions()

    removed = await disconnect.disconnect_broker(web, "alice", world.now, IP)
    await world.say(GOLD_BUY, id=2)
    skipped = await world.last("alice")
    await world.say("Close all", id=3, reply_to=1)
    await world.settle()
    close = await world.last("alice")

    assert opened and removed.account_id == "acc-alice"
    assert removed.paused_reason is Reason.BROKER_NOT_CONNECTED
    assert (skipped.result.status, skipped.result.reason) == (
        Status.SKIPPED,
        "broker_not_connected",
    )
    assert "connect one to copy again" in skipped.result.detail
    assert (close.result.status, close.result.reason) == (Status.SKIPPED, "no_credentials")
    assert await account.positions() == opened  # neither the signal nor the close touched them
    assert await world.vault.get(credentials_name("alice")) is None
    assert await world.store.account_owner("acc-alice") is None
    assert (await web.web.profile("alice")).account_id == ""


async def test_connecting_again_lifts_the_pause_and_copying_resumes(tmp_path: Path) -> None:
    world = World(tmp_path)
    web = await _connected(world)
    await disconnect.disconnect_broker(web, "alice", world.now, IP)

    again = Credentials(account_id="acc-alice", token="t0ken-alice-2")
    await onboarding.connect_broker(web, "alice", again, world.now, IP)
    await world.say(GOLD_BUY, id=1)

    user = await world.store.get_user("alice")
    assert user is not None and user.active and user.paused_reason is Reason.NONE
    assert (await world.last("alice")).result.status is Status.PLACED


async def test_disconnecting_twice_changes_nothing_more_and_both_are_audited(
    tmp_path: Path,
) -> None:
    world = World(tmp_path)
    web = await _connected(world)

    first = await disconnect.disconnect_broker(web, "alice", world.now, IP)
    second = await disconnect.disconnect_broker(web, "alice", world.now, IP)

    assert (first.account_id, second.account_id) == ("acc-alice", "")
    assert second.paused_reason is Reason.BROKER_NOT_CONNECTED
    removed = [
        e for e in await world.web.activity("alice") if e.action is AuditAction.CREDENTIALS_REMOVED
    ]
    assert [e.detail["account_id"] for e in removed] == ["none", "acc-alice"]  # newest first
    assert all(e.ip == IP for e in removed)


async def test_a_kill_switch_pause_outlasts_disconnecting_and_connecting_again(
    tmp_path: Path,
) -> None:
    world = World(tmp_path)
    web = await _connected(world)
    await control.kill_switch(web.deps, "alice", world.now, retry_delays=())

    removed = await disconnect.disconnect_broker(web, "alice", world.now, IP)
    again = Credentials(account_id="acc-alice", token="t0ken-alice")
    await onboarding.connect_broker(web, "alice", again, world.now, IP)

    user = await world.store.get_user("alice")
    assert removed.paused_reason is Reason.KILL_SWITCH
    assert user is not None and user.paused_reason is Reason.KILL_SWITCH


async def test_resuming_is_refused_while_no_broker_account_is_connected(tmp_path: Path) -> None:
    world = World(tmp_path)
    web = await _connected(world)
    await disconnect.disconnect_broker(web, "alice", world.now, IP)

    with pytest.raises(InvalidInput, match="account_id: connect your MetaTrader account"):
        await onboarding.resume(web, "alice", world.now, IP)

    user = await world.store.get_user("alice")
    assert user is not None and user.paused_reason is Reason.BROKER_NOT_CONNECTED


async def test_a_released_account_can_be_connected_by_whoever_holds_its_token(
    tmp_path: Path,
) -> None:
    world = World(tmp_path)
    web = await _connected(world)
    await world.add_user("bob", connect=False)
    taken = Credentials(account_id="acc-alice", token="t0ken-alice")
    with pytest.raises(onboarding.AccountTaken):
        await onboarding.connect_broker(web, "bob", taken, world.now, IP)

    await disconnect.disconnect_broker(web, "alice", world.now, IP)
    await onboarding.connect_broker(web, "bob", taken, world.now, IP)

    assert await world.store.account_owner("acc-alice") == "bob"


async def test_unlinking_telegram_forgets_the_session_and_unfollows_its_channels(
    tmp_path: Path,
) -> None:
    world = World(tmp_path)
    web = await _connected(world)  # follows c1
    await world.vault.put(session_secret_name("alice"), b"string-session")
    await world.fleet.link_session(SessionLink(user_id="alice", shard=3))
    await world.fleet.put_chats("alice", [ChatInfo(chat_id="c1", title="Gold")])
    await world.fleet.put_session_health("alice", SessionHealth(connected=True))
    await world.say(GOLD_BUY, id=1)
    account = world.paper.account("acc-alice")
    opened = await account.positions()

    first = await disconnect.unlink_telegram(web, "alice", world.now, IP)
    again = await disconnect.unlink_telegram(web, "alice", world.now, IP)
    await world.say(GOLD_BUY, id=2)

    assert (first.unfollowed, again.unfollowed) == (1, 0)
    assert (first.session, again.session) == (SessionEnd.LOGGED_OUT, SessionEnd.NONE_STORED)
    assert cast(OfflineTelegramLogin, web.telegram).logged_out == ["alice"]
    assert await world.vault.get(session_secret_name("alice")) is None
    assert await world.fleet.sessions([3]) == [] and await world.fleet.session_count() == 0
    assert await world.web.user_chats("alice") == []
    assert await world.web.bot_status("alice") is None
    assert await world.store.subscriptions("alice") == []
    assert len(await world.records("alice")) == 1  # the new signal no longer reaches alice
    assert await account.positions() == opened
    with pytest.raises(InvalidInput, match="chat_id: your Telegram session cannot read"):
        await onboarding.follow(web, "alice", "c1", {}, world.now, IP)
    actions = [e.action for e in await world.web.activity("alice")]
    assert actions[:2] == [AuditAction.TELEGRAM_UNLINKED, AuditAction.TELEGRAM_UNLINKED]


class _Unreachable(OfflineTelegramLogin):
    """Telegram's servers cannot be reached (or answer too late) for the log out."""

    def __init__(self, hang: bool) -> None:
        super().__init__()
        self.hang = hang

    async def log_out(self, user_id: str, session: bytes) -> bool:
        if self.hang:
            await asyncio.Event().wait()
        return False


@pytest.mark.parametrize("hang", [False, True])
async def test_unlinking_when_telegram_cannot_be_reached_still_forgets_the_session_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hang: bool
) -> None:
    world = World(tmp_path)
    web = replace(await _connected(world), telegram=_Unreachable(hang))
    await world.vault.put(session_secret_name("alice"), b"string-session")
    monkeypatch.setattr(disconnect, "LOG_OUT_TIMEOUT_S", 0.05)

    unlinked = await disconnect.unlink_telegram(web, "alice", world.now, IP)

    assert unlinked.session is SessionEnd.NOT_REACHED
    assert await world.vault.get(session_secret_name("alice")) is None
    events = await world.web.activity("alice")
    assert events[0].detail["session"] == "not_reached"  # the trader can see it in Activity
