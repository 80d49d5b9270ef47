"""Changing a user's broker credentials evicts the vault's cached plaintext and the user's MetaAPI
connection (and only that user's), on the local vault and on the envelope vault (Firestore
emulator, data keys from a Secret Manager stand-in); the MetaAPI SDK is faked at its boundary."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import pytest

from builders import NOW
from fakes.rig import TOKEN, Rig, make_rig
from secret_manager_stub import SecretManagerStub, secret_manager
from signal_copier.core.market import Credentials
from signal_copier.core.ports import Vault
from signal_copier.queue.inprocess import InProcessQueue
from signal_copier.services import accounts, onboarding
from signal_copier.services.deps import Deps, credentials_name
from signal_copier.services.webdeps import WebDeps
from signal_copier.stack.emulators import Emulators
from signal_copier.store.sqlite import SqliteStore
from signal_copier.telegram.offline import OfflineTelegramLogin
from signal_copier.vault.envelope import EnvelopeVault
from signal_copier.vault.local import LocalVault
from signal_copier.vault.secret_manager import SecretManagerKeys, client_for

__all__ = ["secret_manager"]
NEW_TOKEN = "metaapi-token-rotated-fedcba9876543210"


@pytest.fixture
def rig() -> Rig:
    return make_rig()


@pytest.fixture
def local_vault(tmp_path: Path) -> Vault:
    return LocalVault(tmp_path / "vault.key", tmp_path / "secrets")


@pytest.fixture
async def envelope_vault(
    firestore_emulator: Emulators, secret_manager: SecretManagerStub
) -> AsyncIterator[Vault]:
    secret = "projects/demo-signal-copier/secrets/data-keys"
    secret_manager.secrets[secret] = [os.urandom(32)]
    keys = SecretManagerKeys(secret, client_factory=partial(client_for, secret_manager.endpoint))
    vault = EnvelopeVault(keys, project=firestore_emulator.project)
    yield vault
    await vault.aclose()


def _deps(vault: Vault, rig: Rig) -> Deps:
    return Deps(
        store=SqliteStore(":memory:"), queue=InProcessQueue(), vault=vault, broker=rig.broker
    )


async def _token_change(vault: Vault, rig: Rig) -> None:
    deps = _deps(vault, rig)
    await accounts.save_credentials(deps, "tg1", Credentials(account_id="acc-1", token=TOKEN))
    await accounts.save_credentials(deps, "tg2", Credentials(account_id="acc-2", token=TOKEN))
    old = await accounts.connect_account(deps, "tg1")  # the vault now caches tg1's plaintext
    other = await accounts.connect_account(deps, "tg2")

    await accounts.save_credentials(deps, "tg1", Credentials(account_id="acc-1", token=NEW_TOKEN))
    new = await accounts.connect_account(deps, "tg1")

    assert NEW_TOKEN.encode() in (await vault.get(credentials_name("tg1")) or b"")
    assert new is not old
    assert [c.closed for c in rig.sdk.connections] == [True, False, False]  # tg1's old only
    assert len(rig.sdk.apis) == 2  # one MetaApi per token: the old and the new
    assert not rig.sdk.apis[0].closed  # tg2 still uses the old token's MetaApi
    assert await other.positions() == [] and await accounts.connect_account(deps, "tg2") is other


async def test_a_token_change_evicts_the_plaintext_and_the_old_connection_on_the_local_vault(
    local_vault: Vault, rig: Rig
) -> None:
    await _token_change(local_vault, rig)


async def test_a_token_change_evicts_the_plaintext_and_the_old_connection_on_the_envelope_vault(
    envelope_vault: Vault, rig: Rig
) -> None:
    await _token_change(envelope_vault, rig)


async def test_moving_to_another_account_closes_the_old_one_and_gives_it_back(
    local_vault: Vault, rig: Rig
) -> None:
    deps = _deps(local_vault, rig)
    await accounts.save_credentials(deps, "tg1", Credentials(account_id="acc-1", token=TOKEN))
    await accounts.connect_account(deps, "tg1")

    await accounts.save_credentials(deps, "tg1", Credentials(account_id="acc-2", token=TOKEN))
    moved = await accounts.connect_account(deps, "tg1")

    assert [c.closed for c in rig.sdk.connections] == [True, False]
    assert (await moved.account_info()).account_id == "acc-2"
    assert await deps.store.account_owner("acc-1") is None
    assert await deps.store.account_owner("acc-2") == "tg1"


async def test_a_refused_connect_closes_the_connection_it_opened_to_verify(
    local_vault: Vault, rig: Rig
) -> None:
    deps = _deps(local_vault, rig)
    store = deps.store
    assert isinstance(store, SqliteStore)
    web = WebDeps(deps=deps, web=store, fleet=store, telegram=OfflineTelegramLogin())
    owner = Credentials(account_id="acc-1", token=TOKEN)
    await onboarding.connect_broker(web, "tg1", owner, NOW, "198.51.100.7")

    with pytest.raises(onboarding.AccountTaken):
        await onboarding.connect_broker(web, "tg2", owner, NOW, "198.51.100.8")

    assert [c.closed for c in rig.sdk.connections] == [False, True]  # tg1's stays, tg2's went
    assert await store.account_owner("acc-1") == "tg1"
    assert await local_vault.get(credentials_name("tg2")) is None
