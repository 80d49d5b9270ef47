"""Linking a Telegram account: code, then 2FA password, across separate requests (one client per
step), with Telethon's own request/result types and exception classes at the network edge."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from telethon import TelegramClient, types

from signal_copier.core.dashboard import (
    CodeExpired,
    FloodWait,
    LoginEmailRequired,
    LoginStage,
    NoLoginInProgress,
    PaymentRequired,
    TelegramLoginRejected,
    WrongCode,
    WrongPassword,
)
from signal_copier.core.fleet import session_secret_name
from signal_copier.store.sqlite import SqliteStore
from signal_copier.telegram.telethon.login import TelethonLogin, pending_name
from signal_copier.vault.local import LocalVault
from telethon_network import OVERRIDDEN, FakeTelegram

PHONE = "+49 151 2345678"


@pytest.fixture
def vault(tmp_path: Path) -> LocalVault:
    return LocalVault(tmp_path / "vault.key", tmp_path / "secrets")


STORE = SqliteStore(":memory:")


def _login(server: FakeTelegram, vault: LocalVault, at: datetime | None = None) -> TelethonLogin:
    clock = (lambda: at) if at else lambda: datetime.now(UTC)
    return TelethonLogin(vault, STORE, 1, "0" * 32, client_class=server.client_class(), clock=clock)


@pytest.mark.parametrize("name", OVERRIDDEN)
def test_the_faked_network_layer_has_telethons_exact_signatures(name: str) -> None:
    fake = FakeTelegram().client_class()
    assert inspect.signature(getattr(fake, name)) == inspect.signature(
        getattr(TelegramClient, name)
    )
    assert inspect.iscoroutinefunction(getattr(fake, name)) == inspect.iscoroutinefunction(
        getattr(TelegramClient, name)
    )


async def test_code_then_sign_in_links_the_account_and_keeps_only_the_session(
    vault: LocalVault,
) -> None:
    server = FakeTelegram()
    login = _login(server, vault)

    sent = await login.send_code("tg1", PHONE)
    done = await login.submit_code("tg1", "12345")

    assert sent.stage is LoginStage.CODE_SENT and sent.hint.endswith("via app")
    assert done.stage is LoginStage.LINKED and str(server.telegram_id) in done.hint
    assert "tg1" in [s.user_id for s in await STORE.sessions(range(1024))]
    assert await vault.get(pending_name("tg1")) is None
    stored = await vault.get(session_secret_name("tg1"))
    assert stored is not None and stored.decode().startswith("1")  # a StringSession
    assert "SignInRequest" in server.requests and "StartRequest" not in server.requests


async def test_two_step_verification_asks_for_the_password_then_links(vault: LocalVault) -> None:
    server = FakeTelegram(password="correct horse")
    login = _login(server, vault)
    await login.send_code("tg1", PHONE)

    asked = await login.submit_code("tg1", "12345")
    with pytest.raises(WrongPassword):
        await login.submit_password("tg1", "wrong horse")
    done = await login.submit_password("tg1", "correct horse")

    assert (asked.stage, asked.hint) == (LoginStage.PASSWORD_NEEDED, "pet")
    assert done.stage is LoginStage.LINKED
    assert await vault.get(session_secret_name("tg1")) is not None


async def test_a_wrong_code_says_so_and_the_right_one_still_works(vault: LocalVault) -> None:
    login = _login(FakeTelegram(), vault)
    await login.send_code("tg1", PHONE)

    with pytest.raises(WrongCode):
        await login.submit_code("tg1", "99999")
    done = await login.submit_code("tg1", "12345")

    assert done.stage is LoginStage.LINKED


async def test_an_expired_code_asks_for_a_new_one(vault: LocalVault) -> None:
    login = _login(FakeTelegram(code_expired=True), vault)
    await login.send_code("tg1", PHONE)

    with pytest.raises(CodeExpired):
        await login.submit_code("tg1", "12345")


async def test_a_pending_login_older_than_ten_minutes_is_gone(vault: LocalVault) -> None:
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    await _login(FakeTelegram(), vault, at=start).send_code("tg1", PHONE)

    later = _login(FakeTelegram(), vault, at=start + timedelta(minutes=10, seconds=1))
    with pytest.raises(NoLoginInProgress):
        await later.submit_code("tg1", "12345")
    assert await vault.get(pending_name("tg1")) is None


async def test_asking_again_for_the_same_phone_resends_the_code(vault: LocalVault) -> None:
    server = FakeTelegram()
    login = _login(server, vault)

    await login.send_code("tg1", PHONE)
    again = await login.send_code("tg1", PHONE)

    assert again.hint.endswith("via sms")
    assert server.requests.count("SendCodeRequest") == 1
    assert server.requests.count("ResendCodeRequest") == 1


async def test_a_flood_wait_carries_the_wait_time(vault: LocalVault) -> None:
    with pytest.raises(FloodWait) as caught:
        await _login(FakeTelegram(flood_seconds=3600), vault).send_code("tg1", PHONE)
    assert caught.value.seconds == 3600


@pytest.mark.parametrize(
    ("sent", "error"),
    [
        (
            types.auth.SentCodePaymentRequired(
                store_product="p",
                phone_code_hash="hash-1",
                support_email_address="a@b",
                support_email_subject="s",
                premium_days=30,
                currency="EUR",
                amount=100,
            ),
            PaymentRequired,
        ),
        (
            types.auth.SentCode(
                type=types.auth.SentCodeTypeSetUpEmailRequired(), phone_code_hash="hash-1"
            ),
            LoginEmailRequired,
        ),
    ],
    ids=["payment", "email"],
)
async def test_codes_telegram_will_not_send_say_what_to_do(
    vault: LocalVault, sent: object, error: type
) -> None:
    with pytest.raises(error):
        await _login(FakeTelegram(sent_code=sent), vault).send_code("tg1", PHONE)
    assert await vault.get(pending_name("tg1")) is None


async def test_signing_in_without_a_code_request_is_refused(vault: LocalVault) -> None:
    with pytest.raises(NoLoginInProgress):
        await _login(FakeTelegram(), vault).submit_code("tg1", "12345")


async def test_a_phone_that_is_not_a_number_is_refused_before_telegram(vault: LocalVault) -> None:
    server = FakeTelegram()
    with pytest.raises(TelegramLoginRejected, match="phone"):
        await _login(server, vault).send_code("tg1", "call me")
    assert server.requests == []


async def test_a_cancelled_login_cannot_be_finished(vault: LocalVault) -> None:
    login = _login(FakeTelegram(), vault)
    await login.send_code("tg1", PHONE)

    await login.cancel("tg1")

    with pytest.raises(NoLoginInProgress):
        await login.submit_code("tg1", "12345")


async def test_a_linked_session_logged_out_opens_nothing_any_more(vault: LocalVault) -> None:
    server = FakeTelegram()
    login, stored = await _linked(server, vault)
    assert len(server.authorized) == 1

    first = await login.log_out("tg1", stored)
    again = await login.log_out("tg1", stored)  # Telegram no longer knows the key

    assert (first, again) == (True, True)
    assert server.authorized == set() and server.requests.count("LogOutRequest") == 2


async def test_a_log_out_that_cannot_reach_telegram_says_so(vault: LocalVault) -> None:
    server = FakeTelegram()
    login, stored = await _linked(server, vault)
    server.unreachable = True

    assert await login.log_out("tg1", stored) is False
    assert await login.log_out("tg1", b"not a StringSession") is False
    assert len(server.authorized) == 1  # still valid at Telegram: the trader is told to end it


async def _linked(server: FakeTelegram, vault: LocalVault) -> tuple[TelethonLogin, bytes]:
    """Link tg1 through the code step; return the login flow and the stored session."""
    login = _login(server, vault)
    await login.send_code("tg1", PHONE)
    await login.submit_code("tg1", "12345")
    stored = await vault.get(session_secret_name("tg1"))
    assert stored is not None
    return login, stored
