"""`signal-copier rotate-keys` on the Firestore emulator with a Secret Manager stand-in."""

from __future__ import annotations

import asyncio
import json
import os
from functools import partial

import pytest
from google.cloud import firestore

from secret_manager_stub import SecretManagerStub, secret_manager
from signal_copier.cli import main
from signal_copier.stack.emulators import Emulators
from signal_copier.vault.envelope import EnvelopeVault
from signal_copier.vault.secret_manager import SecretManagerKeys, client_for

__all__ = ["secret_manager"]
SECRET = "projects/demo-signal-copier/secrets/data-keys"


async def _seed(project: str, keys: SecretManagerKeys, count: int) -> None:
    vault = EnvelopeVault(keys, project=project)
    for n in range(count):
        await vault.put(f"broker.tg{n}", f"token-{n}".encode())
    await vault.aclose()


async def _versions(project: str, count: int) -> set[str]:
    db = firestore.AsyncClient(project=project)
    found = set()
    for n in range(count):
        record = (await db.document(f"users/tg{n}/private/broker").get()).to_dict() or {}
        found.add(record["key_version"])
    return found


def test_rotate_keys_adds_a_version_rewraps_everything_and_a_rerun_is_a_no_op(
    firestore_emulator: Emulators,
    secret_manager: SecretManagerStub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret_manager.secrets[SECRET] = [os.urandom(32)]
    project = firestore_emulator.project
    keys = SecretManagerKeys(SECRET, client_factory=partial(client_for, secret_manager.endpoint))
    asyncio.run(_seed(project, keys, 3))
    for name, value in {
        "COPIER_MODE": "emulators",
        "COPIER_PUSH_AUTH": "off",
        "COPIER_STORE": "sqlite",
        "COPIER_DATA_KEY_SECRET": SECRET,
        "COPIER_SECRET_MANAGER_ENDPOINT": secret_manager.endpoint,
    }.items():
        monkeypatch.setenv(name, value)

    first = main(["rotate-keys", "--new-key", "--json", "--page-size", "2"])
    out, err = capsys.readouterr()
    second = main(["rotate-keys", "--json"])
    again, _ = capsys.readouterr()

    assert first == 0 and second == 0
    assert json.loads(out) == {
        "newest": "2",
        "checked": 3,
        "rewrapped": 3,
        "current": 0,
        "unreadable": 0,
        "foreign": 0,
    }
    assert "added data key version 2" in err and "checked 2 · re-encrypted 2" in err
    assert json.loads(again)["rewrapped"] == 0 and json.loads(again)["current"] == 3
    assert asyncio.run(_versions(project, 3)) == {"2"}
    assert len(secret_manager.secrets[SECRET]) == 2


def test_rotate_keys_refuses_the_local_vault(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COPIER_MODE", "local")

    assert main(["rotate-keys"]) == 2
    assert "envelope vault only" in capsys.readouterr().err
