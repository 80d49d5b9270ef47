"""The envelope vault's local data key (emulators and development)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from signal_copier.stack.emulators import Emulators
from signal_copier.vault.envelope import EnvelopeVault
from signal_copier.vault.keyfile import VERSION, KeyFile
from signal_copier.vault.local import InsecureKeyFile, SecretUnreadable


async def test_the_key_file_is_created_private_once_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "data.key"

    first = await KeyFile(path).latest()
    second = await KeyFile(path).latest()

    assert first == second and first.version == VERSION and len(first.key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


async def test_a_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "data.key"
    await KeyFile(path).latest()
    path.chmod(0o644)

    with pytest.raises(InsecureKeyFile, match="chmod 600"):
        await KeyFile(path).latest()


async def test_a_key_file_of_the_wrong_size_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "data.key"
    path.write_bytes(b"short")
    path.chmod(0o600)

    with pytest.raises(SecretUnreadable, match="5 bytes"):
        await KeyFile(path).latest()


async def test_a_key_file_knows_no_other_version(tmp_path: Path) -> None:
    with pytest.raises(SecretUnreadable, match="'3'"):
        await KeyFile(tmp_path / "data.key").version("3")


async def test_the_vault_round_trips_under_a_key_file(
    firestore_emulator: Emulators, tmp_path: Path
) -> None:
    vault = EnvelopeVault(KeyFile(tmp_path / "data.key"), project=firestore_emulator.project)

    await vault.put("telegram.tg7", b"session-string")

    assert await vault.get("telegram.tg7") == b"session-string"
    await vault.aclose()
