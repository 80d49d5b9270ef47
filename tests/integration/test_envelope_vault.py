"""The envelope vault on the Firestore emulator, its data keys from a Secret Manager stand-in."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import pytest
from google.cloud import firestore

from secret_manager_stub import SecretManagerStub, secret_manager
from signal_copier.core.errors import InvalidInput
from signal_copier.stack.emulators import Emulators
from signal_copier.vault.envelope import FORMAT, EnvelopeVault
from signal_copier.vault.local import SecretUnreadable
from signal_copier.vault.rotation import rotate
from signal_copier.vault.secret_manager import SecretManagerKeys, client_for

__all__ = ["secret_manager"]
SECRET = "projects/demo-signal-copier/secrets/data-keys"
TOKEN = b'{"account_id": "acc-1", "token": "metaapi-token-0123456789"}'


@pytest.fixture
def keys(secret_manager: SecretManagerStub) -> SecretManagerKeys:
    secret_manager.secrets[SECRET] = [os.urandom(32)]
    return SecretManagerKeys(SECRET, client_factory=partial(client_for, secret_manager.endpoint))


@pytest.fixture
async def vault(
    firestore_emulator: Emulators, keys: SecretManagerKeys
) -> AsyncIterator[EnvelopeVault]:
    opened = EnvelopeVault(keys, project=firestore_emulator.project)
    yield opened
    await opened.aclose()


@pytest.fixture
def db(firestore_emulator: Emulators) -> firestore.AsyncClient:
    return firestore.AsyncClient(project=firestore_emulator.project)


async def _record(db: firestore.AsyncClient, path: str) -> dict[str, Any]:
    return (await db.document(path).get()).to_dict() or {}


async def test_a_secret_round_trips_and_is_stored_only_as_ciphertext(
    vault: EnvelopeVault, db: firestore.AsyncClient, secret_manager: SecretManagerStub
) -> None:
    await vault.put("broker.tg1", TOKEN)

    assert await vault.get("broker.tg1") == TOKEN
    stored = await _record(db, "users/tg1/private/broker")
    assert stored["format"] == FORMAT and stored["key_version"] == "1"
    assert isinstance(stored["nonce"], bytes) and len(stored["nonce"]) == 12
    everything = repr(stored).encode()
    assert b"metaapi-token" not in everything and b"metaapi-token" not in stored["ciphertext"]
    assert secret_manager.secrets[SECRET][0] not in stored["ciphertext"] + stored["nonce"]


async def test_a_missing_secret_is_none(vault: EnvelopeVault) -> None:
    assert await vault.get("broker.tg404") is None


async def test_a_ciphertext_copied_to_another_user_fails_to_decrypt(
    vault: EnvelopeVault, db: firestore.AsyncClient
) -> None:
    await vault.put("broker.tg1", TOKEN)
    await db.document("users/tg2/private/broker").set(await _record(db, "users/tg1/private/broker"))

    with pytest.raises(SecretUnreadable, match="tampered, moved"):
        await vault.get("broker.tg2")


async def test_a_ciphertext_copied_to_another_kind_fails_to_decrypt(
    vault: EnvelopeVault, db: firestore.AsyncClient
) -> None:
    await vault.put("broker.tg1", TOKEN)
    await db.document("users/tg1/private/telegram").set(
        await _record(db, "users/tg1/private/broker")
    )

    with pytest.raises(SecretUnreadable):
        await vault.get("telegram.tg1")


async def test_a_record_relabelled_with_another_key_version_fails_to_decrypt(
    vault: EnvelopeVault, db: firestore.AsyncClient, keys: SecretManagerKeys
) -> None:
    await vault.put("broker.tg1", TOKEN)
    await keys.add_version(os.urandom(32))
    await db.document("users/tg1/private/broker").update({"key_version": "2"})

    with pytest.raises(SecretUnreadable):
        await vault.get("broker.tg1")


async def test_a_record_of_an_unknown_format_is_refused(
    vault: EnvelopeVault, db: firestore.AsyncClient
) -> None:
    await vault.put("broker.tg1", TOKEN)
    await db.document("users/tg1/private/broker").update({"format": 2})

    with pytest.raises(SecretUnreadable, match="unknown record format 2"):
        await vault.get("broker.tg1")


async def test_old_records_decrypt_after_a_new_key_version_and_new_ones_use_it(
    vault: EnvelopeVault, db: firestore.AsyncClient, keys: SecretManagerKeys
) -> None:
    await vault.put("broker.tg1", TOKEN)
    await keys.add_version(os.urandom(32))

    await vault.put("broker.tg2", b"second")

    fresh = EnvelopeVault(keys, project=db.project)  # nothing cached
    assert await fresh.get("broker.tg1") == TOKEN
    assert (await _record(db, "users/tg2/private/broker"))["key_version"] == "2"
    await fresh.aclose()


async def test_rotation_rewraps_old_records_and_a_second_run_has_nothing_to_do(
    vault: EnvelopeVault, db: firestore.AsyncClient, keys: SecretManagerKeys
) -> None:
    for n in range(5):
        await vault.put(f"broker.tg{n}", f"token-{n}".encode())
    await db.document("users/tg1/private/telegram_login").set({"pending": True})  # not ours
    await keys.add_version(os.urandom(32))
    lines: list[str] = []

    first = await rotate(vault, keys, page_size=2, progress=lambda r: lines.append(r.line()))
    second = await rotate(vault, keys, page_size=2)

    assert (first.rewrapped, first.current, first.foreign) == (5, 0, 1)
    assert (second.rewrapped, second.current, second.foreign) == (0, 5, 1)
    assert len(lines) == 4 and lines[-1].startswith("checked 6 · re-encrypted 5")
    for n in range(5):
        assert (await _record(db, f"users/tg{n}/private/broker"))["key_version"] == "2"
        assert await vault.get(f"broker.tg{n}") == f"token-{n}".encode()
    assert await _record(db, "users/tg1/private/telegram_login") == {"pending": True}


async def test_rotation_counts_a_tampered_record_and_carries_on(
    vault: EnvelopeVault, db: firestore.AsyncClient, keys: SecretManagerKeys
) -> None:
    await vault.put("broker.tg1", TOKEN)
    await vault.put("broker.tg2", TOKEN)
    await db.document("users/tg1/private/broker").update({"ciphertext": b"x" * 40})
    await keys.add_version(os.urandom(32))

    result = await rotate(vault, keys)

    assert (result.rewrapped, result.unreadable) == (1, 1)


async def test_deleting_a_secret_removes_it_and_its_cached_plaintext(
    vault: EnvelopeVault, db: firestore.AsyncClient
) -> None:
    await vault.put("broker.tg1", TOKEN)
    assert await vault.get("broker.tg1") == TOKEN

    await vault.delete("broker.tg1")

    assert await vault.get("broker.tg1") is None
    assert not (await db.document("users/tg1/private/broker").get()).exists


async def test_changing_a_secret_evicts_its_cached_plaintext(vault: EnvelopeVault) -> None:
    await vault.put("broker.tg1", TOKEN)
    assert await vault.get("broker.tg1") == TOKEN

    await vault.put("broker.tg1", b"new-token")

    assert await vault.get("broker.tg1") == b"new-token"


async def test_a_read_secret_is_served_from_the_cache_within_its_ttl(
    vault: EnvelopeVault, db: firestore.AsyncClient, keys: SecretManagerKeys
) -> None:
    await vault.put("broker.tg1", TOKEN)
    await vault.get("broker.tg1")
    await db.document("users/tg1/private/broker").delete()  # behind this instance's back

    assert await vault.get("broker.tg1") == TOKEN
    other = EnvelopeVault(keys, project=db.project)
    assert await other.get("broker.tg1") is None
    await other.aclose()


@pytest.mark.parametrize(
    "name", ["broker", "broker.tg1/private", "../tg1", "broker.__x__", "broker.", ".tg1", "a.b.c"]
)
async def test_a_malformed_name_is_refused_before_touching_firestore(
    vault: EnvelopeVault, name: str
) -> None:
    with pytest.raises(InvalidInput):
        await vault.get(name)
    with pytest.raises(InvalidInput):
        await vault.put(name, b"x")


async def test_an_oversized_secret_is_refused(vault: EnvelopeVault) -> None:
    with pytest.raises(InvalidInput, match="at most"):
        await vault.put("broker.tg1", b"x" * (64 * 1024 + 1))
