"""Data keys read from Secret Manager through the real client (REST) and a local stand-in."""

from __future__ import annotations

import os
from functools import partial

import pytest

from secret_manager_stub import SecretManagerStub, secret_manager
from signal_copier.vault.local import SecretUnreadable
from signal_copier.vault.secret_manager import (
    DataKey,
    SecretManagerKeys,
    VaultUnavailable,
    client_for,
    secret_path,
)

__all__ = ["secret_manager"]
SECRET = "projects/demo-project/secrets/copier-data-keys"


class Clock:
    """A hand-moved monotonic clock for cache expiry."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _keys(stub: SecretManagerStub, **options: object) -> SecretManagerKeys:
    factory = partial(client_for, stub.endpoint)
    return SecretManagerKeys(SECRET, client_factory=factory, **options)  # type: ignore[arg-type]


async def test_latest_returns_the_newest_version_and_its_number(
    secret_manager: SecretManagerStub,
) -> None:
    first, second = os.urandom(32), os.urandom(32)
    secret_manager.secrets[SECRET] = [first, second]

    latest = await _keys(secret_manager).latest()

    assert latest == DataKey(version="2", key=second)
    assert "key=***" in repr(latest) and second.hex() not in repr(latest)


async def test_an_older_version_is_read_by_its_number(secret_manager: SecretManagerStub) -> None:
    first, second = os.urandom(32), os.urandom(32)
    secret_manager.secrets[SECRET] = [first, second]

    assert await _keys(secret_manager).version("1") == first


async def test_keys_are_cached_until_their_ttl_passes(secret_manager: SecretManagerStub) -> None:
    secret_manager.secrets[SECRET] = [os.urandom(32)]
    clock = Clock()
    keys = _keys(secret_manager, ttl=60.0, clock=clock)

    await keys.latest()
    await keys.latest()
    await keys.version("1")  # learnt from the latest read
    clock.now = 61.0
    await keys.latest()

    assert secret_manager.accesses == [f"{SECRET}/versions/latest"] * 2


async def test_a_missing_secret_is_not_found_and_unreadable(
    secret_manager: SecretManagerStub,
) -> None:
    keys = _keys(secret_manager)

    with pytest.raises(SecretUnreadable, match="NotFound"):
        await keys.latest()


async def test_a_missing_version_is_not_found_and_unreadable(
    secret_manager: SecretManagerStub,
) -> None:
    secret_manager.secrets[SECRET] = [os.urandom(32)]

    with pytest.raises(SecretUnreadable, match="version 7"):
        await _keys(secret_manager).version("7")


async def test_a_crc_mismatch_refuses_the_key_and_asks_for_a_retry(
    secret_manager: SecretManagerStub,
) -> None:
    secret_manager.secrets[SECRET] = [os.urandom(32)]
    secret_manager.crc_offset = 1

    with pytest.raises(VaultUnavailable, match="CRC32C mismatch"):
        await _keys(secret_manager).latest()


async def test_a_payload_without_a_crc_is_refused(secret_manager: SecretManagerStub) -> None:
    secret_manager.secrets[SECRET] = [os.urandom(32)]
    secret_manager.send_crc = False

    with pytest.raises(VaultUnavailable, match="no CRC32C"):
        await _keys(secret_manager).latest()


async def test_a_key_of_the_wrong_length_is_unreadable(secret_manager: SecretManagerStub) -> None:
    secret_manager.secrets[SECRET] = [b"short"]

    with pytest.raises(SecretUnreadable, match="32 bytes, not 5"):
        await _keys(secret_manager).latest()


async def test_an_added_version_becomes_the_latest_at_once(
    secret_manager: SecretManagerStub,
) -> None:
    secret_manager.secrets[SECRET] = [os.urandom(32)]
    keys = _keys(secret_manager)
    await keys.latest()
    new = os.urandom(32)

    version = await keys.add_version(new)

    assert version == "2"
    assert await keys.latest() == DataKey(version="2", key=new)


async def test_an_unreachable_service_is_retryable() -> None:
    from signal_copier.stack.emulators import free_port

    keys = SecretManagerKeys(
        SECRET, client_factory=partial(client_for, f"http://127.0.0.1:{free_port()}")
    )

    with pytest.raises(VaultUnavailable):
        await keys.latest()


@pytest.mark.parametrize(
    ("project", "secret", "expected"),
    [
        ("p-123", "keys", "projects/p-123/secrets/keys"),
        ("ignored", "projects/real-1/secrets/k", "projects/real-1/secrets/k"),
    ],
)
def test_secret_path_accepts_a_short_id_or_a_full_name(
    project: str, secret: str, expected: str
) -> None:
    assert secret_path(project, secret) == expected


@pytest.mark.parametrize("secret", ["a/b", "", "projects/p/secrets/a/versions/1"])
def test_secret_path_refuses_anything_else(secret: str) -> None:
    with pytest.raises(ValueError, match="not a Secret Manager secret"):
        secret_path("proj-1", secret)
