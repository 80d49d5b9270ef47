"""Deployment secrets (the login bot's token, the OIDC client secret, the Telegram app's
credentials) read as text from Secret Manager through the real client and a local stand-in;
the Telegram app's credentials from their secrets, or given as values locally."""

from __future__ import annotations

from functools import partial

import pytest

from secret_manager_stub import SecretManagerStub, secret_manager
from signal_copier.app_secrets import telegram_app
from signal_copier.config import Settings
from signal_copier.core.errors import InvalidSettings
from signal_copier.vault.local import SecretUnreadable
from signal_copier.vault.secret_manager import VaultUnavailable, client_for, read_texts

__all__ = ["secret_manager"]
BOT = "projects/demo-project/secrets/copier-telegram-bot-token"
OIDC = "projects/demo-project/secrets/copier-oidc-client-secret"


async def _read(stub: SecretManagerStub, *secrets: str) -> list[str]:
    return await read_texts(secrets, partial(client_for, stub.endpoint))


async def test_each_secret_is_its_newest_version_in_order_without_a_trailing_newline(
    secret_manager: SecretManagerStub,
) -> None:
    secret_manager.secrets[BOT] = [b"1:old-token", b"1:new-token\n"]
    secret_manager.secrets[OIDC] = [b"client-secret"]

    assert await _read(secret_manager, OIDC, BOT) == ["client-secret", "1:new-token"]


async def test_a_secret_without_a_version_is_unreadable_naming_it(
    secret_manager: SecretManagerStub,
) -> None:
    secret_manager.secrets[BOT] = [b"1:token"]

    with pytest.raises(SecretUnreadable, match="copier-oidc-client-secret"):
        await _read(secret_manager, BOT, OIDC)


@pytest.mark.parametrize(("offset", "send"), [(1, True), (0, False)])
async def test_a_corrupted_or_unchecked_transfer_is_retried_never_used(
    secret_manager: SecretManagerStub, offset: int, send: bool
) -> None:
    secret_manager.secrets[BOT] = [b"1:token"]
    secret_manager.crc_offset, secret_manager.send_crc = offset, send

    with pytest.raises(VaultUnavailable, match="CRC32C"):
        await _read(secret_manager, BOT)


async def test_bytes_that_are_not_text_are_unreadable(secret_manager: SecretManagerStub) -> None:
    secret_manager.secrets[BOT] = [b"\xff\xfe"]

    with pytest.raises(SecretUnreadable, match="UTF-8"):
        await _read(secret_manager, BOT)


API_HASH = "0123456789abcdef0123456789abcdef"


def _settings(stub: SecretManagerStub, **names: str) -> Settings:
    return Settings(project="demo-project", secret_manager_endpoint=stub.endpoint, **names)


async def test_the_telegram_app_comes_from_its_secrets_when_they_are_named(
    secret_manager: SecretManagerStub,
) -> None:
    secret_manager.secrets["projects/demo-project/secrets/tg-id"] = [b"123456\n"]
    secret_manager.secrets["projects/demo-project/secrets/tg-hash"] = [API_HASH.encode()]
    names = {"telegram_api_id_secret": "tg-id", "telegram_api_hash_secret": "tg-hash"}
    values = {"COPIER_TELEGRAM_API_ID": "999", "COPIER_TELEGRAM_API_HASH": "f" * 32}

    app = await telegram_app(_settings(secret_manager, **names), values)

    assert (app.api_id, app.api_hash) == (123456, API_HASH)  # the secrets win over values


async def test_without_secret_names_the_telegram_app_is_given_as_values(
    secret_manager: SecretManagerStub,
) -> None:
    values = {"COPIER_TELEGRAM_API_ID": "999", "COPIER_TELEGRAM_API_HASH": "f" * 32}

    app = await telegram_app(_settings(secret_manager), values)

    assert (app.api_id, app.api_hash) == (999, "f" * 32)
    assert secret_manager.accesses == []


async def test_a_malformed_secret_value_is_refused_naming_the_secrets(
    secret_manager: SecretManagerStub,
) -> None:
    secret_manager.secrets["projects/demo-project/secrets/tg-id"] = [b"my-app"]
    secret_manager.secrets["projects/demo-project/secrets/tg-hash"] = [API_HASH.encode()]
    names = {"telegram_api_id_secret": "tg-id", "telegram_api_hash_secret": "tg-hash"}

    with pytest.raises(InvalidSettings, match="tg-id and tg-hash") as refused:
        await telegram_app(_settings(secret_manager, **names), {})

    assert API_HASH not in str(refused.value)
