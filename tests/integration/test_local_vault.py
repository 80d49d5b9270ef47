"""LocalVault: AES-256-GCM secrets in private files under a private key file."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from signal_copier.core.errors import CredentialsMissing, InvalidInput
from signal_copier.vault.local import (
    HEADER_BYTES,
    InsecureKeyFile,
    LocalVault,
    SecretUnreadable,
    VaultKeyMissing,
    key_id,
)

SECRET = b"metaapi-token-5f1e9c"


@pytest.fixture
def vault(tmp_path: Path) -> LocalVault:
    return LocalVault(tmp_path / "keys" / "vault.key", tmp_path / "secrets")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_secret_round_trips(vault: LocalVault) -> None:
    await vault.put("broker:u1", SECRET)
    assert await vault.get("broker:u1") == SECRET


async def test_absent_secret_is_none(vault: LocalVault) -> None:
    assert await vault.get("broker:nobody") is None


async def test_put_replaces_and_delete_removes(vault: LocalVault) -> None:
    await vault.put("broker:u1", b"old")
    await vault.put("broker:u1", b"new")
    assert await vault.get("broker:u1") == b"new"
    await vault.delete("broker:u1")
    await vault.delete("broker:u1")
    assert await vault.get("broker:u1") is None


async def test_vault_key_file_is_0600(vault: LocalVault, tmp_path: Path) -> None:
    await vault.put("broker:u1", SECRET)
    key = tmp_path / "keys" / "vault.key"
    assert mode(key) == 0o600
    assert key.stat().st_size == 32
    assert mode(key.parent) == 0o700
    assert mode(tmp_path / "secrets") == 0o700
    assert mode(tmp_path / "secrets" / "broker:u1.enc") == 0o600


async def test_key_is_kept_across_instances(vault: LocalVault, tmp_path: Path) -> None:
    await vault.put("broker:u1", SECRET)
    again = LocalVault(tmp_path / "keys" / "vault.key", tmp_path / "secrets")
    assert await again.get("broker:u1") == SECRET


@pytest.mark.parametrize("loose_mode", [0o644, 0o640, 0o604, 0o660])
async def test_vault_refuses_world_readable_key(
    vault: LocalVault, tmp_path: Path, loose_mode: int
) -> None:
    await vault.put("broker:u1", SECRET)
    key = tmp_path / "keys" / "vault.key"
    key.chmod(loose_mode)
    fresh = LocalVault(key, tmp_path / "secrets")

    with pytest.raises(InsecureKeyFile, match=f"chmod 600 {key}") as raised:
        await fresh.get("broker:u1")

    assert isinstance(raised.value, CredentialsMissing)


async def test_key_of_the_wrong_length_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "vault.key"
    key.write_bytes(b"short")
    key.chmod(0o600)
    with pytest.raises(SecretUnreadable, match="expected 32"):
        await LocalVault(key, tmp_path / "secrets").put("broker:u1", SECRET)


async def test_ciphertext_does_not_contain_the_secret(vault: LocalVault, tmp_path: Path) -> None:
    await vault.put("broker:u1", SECRET)
    await vault.put("broker:u2", SECRET)
    first = (tmp_path / "secrets" / "broker:u1.enc").read_bytes()
    second = (tmp_path / "secrets" / "broker:u2.enc").read_bytes()
    assert SECRET not in first
    assert first[:HEADER_BYTES] == second[:HEADER_BYTES]  # same format version and key id
    nonce = slice(HEADER_BYTES, HEADER_BYTES + 12)
    assert first[nonce] != second[nonce]  # a fresh nonce each time
    assert len(first) == HEADER_BYTES + 12 + len(SECRET) + 16


async def test_tampered_secret_fails_to_decrypt(vault: LocalVault, tmp_path: Path) -> None:
    await vault.put("broker:u1", SECRET)
    path = tmp_path / "secrets" / "broker:u1.enc"
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 0x01
    path.write_bytes(bytes(blob))

    with pytest.raises(SecretUnreadable, match="broker:u1"):
        await vault.get("broker:u1")


async def test_truncated_secret_fails_clearly(vault: LocalVault, tmp_path: Path) -> None:
    await vault.put("broker:u1", SECRET)
    (tmp_path / "secrets" / "broker:u1.enc").write_bytes(b"tiny")
    with pytest.raises(SecretUnreadable, match="truncated"):
        await vault.get("broker:u1")


async def test_swapped_secret_files_fail_to_decrypt(vault: LocalVault, tmp_path: Path) -> None:
    await vault.put("broker:u1", b"token of u1")
    await vault.put("broker:u2", b"token of u2")
    secrets_dir = tmp_path / "secrets"
    os.replace(secrets_dir / "broker:u2.enc", secrets_dir / "broker:u1.enc")

    with pytest.raises(SecretUnreadable):
        await vault.get("broker:u1")


async def test_secret_under_another_key_fails_to_decrypt(vault: LocalVault, tmp_path: Path) -> None:
    await vault.put("broker:u1", SECRET)
    other = LocalVault(tmp_path / "other.key", tmp_path / "secrets")
    with pytest.raises(SecretUnreadable):
        await other.get("broker:u1")


@pytest.mark.parametrize(
    "name", ["", "../escape", "a/b", "/abs", "..", "x" * 129, "white space", "naïve", "a\x00b"]
)
async def test_invalid_secret_names_are_refused(vault: LocalVault, name: str) -> None:
    with pytest.raises(InvalidInput):
        await vault.put(name, SECRET)
    with pytest.raises(InvalidInput):
        await vault.get(name)
    with pytest.raises(InvalidInput):
        await vault.delete(name)


async def test_secret_must_be_bytes(vault: LocalVault) -> None:
    with pytest.raises(InvalidInput):
        await vault.put("broker:u1", "text")  # type: ignore[arg-type]


async def test_secret_never_in_repr(vault: LocalVault, tmp_path: Path) -> None:
    await vault.put("broker:u1", SECRET)
    key = (tmp_path / "keys" / "vault.key").read_bytes()
    shown = f"{vault!r} {vault!s}"
    assert "vault.key" in shown
    for hidden in (key.hex(), repr(key), SECRET.decode()):
        assert hidden not in shown


async def test_nothing_secret_is_logged(
    vault: LocalVault, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await vault.put("broker:u1", SECRET)
    await vault.get("broker:u1")
    key = (tmp_path / "keys" / "vault.key").read_bytes()
    assert SECRET.decode() not in caplog.text
    assert key.hex() not in caplog.text


@pytest.fixture
def open_umask() -> Iterator[None]:
    """Run with umask 000, the worst a user's shell can have."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("open_umask")
async def test_files_are_private_even_under_umask_000(tmp_path: Path) -> None:
    vault = LocalVault(tmp_path / "data" / "vault.key", tmp_path / "data" / "secrets")

    await vault.put("broker:u1", SECRET)

    assert mode(tmp_path / "data") == 0o700
    assert mode(tmp_path / "data" / "vault.key") == 0o600
    assert mode(tmp_path / "data" / "secrets") == 0o700
    assert mode(tmp_path / "data" / "secrets" / "broker:u1.enc") == 0o600


async def test_a_missing_key_with_secrets_left_is_refused_not_regenerated(
    vault: LocalVault, tmp_path: Path
) -> None:
    await vault.put("broker:u1", SECRET)
    key = tmp_path / "keys" / "vault.key"
    key.unlink()
    fresh = LocalVault(key, tmp_path / "secrets")

    with pytest.raises(VaultKeyMissing, match="restore the key file") as raised:
        await fresh.get("broker:u1")
    with pytest.raises(VaultKeyMissing):
        await fresh.put("broker:u2", SECRET)

    assert not key.exists()  # nothing was generated over the lost key
    assert isinstance(raised.value, SecretUnreadable)


async def test_first_use_without_secrets_still_creates_the_key(tmp_path: Path) -> None:
    vault = LocalVault(tmp_path / "vault.key", tmp_path / "secrets")
    (tmp_path / "secrets").mkdir()

    await vault.put("broker:u1", SECRET)

    assert (tmp_path / "vault.key").stat().st_size == 32


async def test_a_secret_in_the_first_release_format_is_read_and_migrated_on_write(
    vault: LocalVault, tmp_path: Path
) -> None:
    await vault.put("broker:other", b"x")  # creates the key
    key = (tmp_path / "keys" / "vault.key").read_bytes()
    nonce = os.urandom(12)
    legacy = nonce + AESGCM(key).encrypt(nonce, SECRET, b"broker:u1")
    path = tmp_path / "secrets" / "broker:u1.enc"
    path.write_bytes(legacy)

    assert await vault.get("broker:u1") == SECRET
    await vault.put("broker:u1", SECRET)

    migrated = path.read_bytes()
    assert migrated[:4] == b"SCV\x01" and migrated[4:HEADER_BYTES] == key_id(key)
    assert (
        await LocalVault(tmp_path / "keys" / "vault.key", tmp_path / "secrets").get("broker:u1")
        == SECRET
    )


async def test_rotation_keeps_old_secrets_readable_while_the_old_key_exists(
    vault: LocalVault, tmp_path: Path
) -> None:
    await vault.put("broker:old", b"old secret")
    old_id = key_id((tmp_path / "keys" / "vault.key").read_bytes()).hex()

    new_id = vault.rotate_key()
    await vault.put("broker:new", b"new secret")
    reopened = LocalVault(tmp_path / "keys" / "vault.key", tmp_path / "secrets")

    assert new_id != old_id
    assert mode(tmp_path / "keys" / f"vault.key.{old_id}") == 0o600
    assert await reopened.get("broker:old") == b"old secret"
    assert await reopened.get("broker:new") == b"new secret"
    new_blob = (tmp_path / "secrets" / "broker:new.enc").read_bytes()
    assert new_blob[4:HEADER_BYTES].hex() == new_id


async def test_rewrap_moves_every_secret_to_the_new_key_so_the_old_one_can_go(
    vault: LocalVault, tmp_path: Path
) -> None:
    await vault.put("broker:u1", SECRET)
    old_id = key_id((tmp_path / "keys" / "vault.key").read_bytes()).hex()
    vault.rotate_key()

    assert await vault.rewrap() == 1
    (tmp_path / "keys" / f"vault.key.{old_id}").unlink()

    fresh = LocalVault(tmp_path / "keys" / "vault.key", tmp_path / "secrets")
    assert await fresh.get("broker:u1") == SECRET


async def test_a_secret_whose_old_key_was_deleted_names_the_missing_key(
    vault: LocalVault, tmp_path: Path
) -> None:
    await vault.put("broker:u1", SECRET)
    old_id = key_id((tmp_path / "keys" / "vault.key").read_bytes()).hex()
    vault.rotate_key()
    (tmp_path / "keys" / f"vault.key.{old_id}").unlink()

    fresh = LocalVault(tmp_path / "keys" / "vault.key", tmp_path / "secrets")
    with pytest.raises(SecretUnreadable, match=f"key {old_id} is gone"):
        await fresh.get("broker:u1")


async def test_a_backup_copy_beside_the_key_is_not_taken_for_a_key(
    vault: LocalVault, tmp_path: Path
) -> None:
    await vault.put("broker:u1", SECRET)
    (tmp_path / "keys" / "vault.key.bak").write_text("not a key")

    fresh = LocalVault(tmp_path / "keys" / "vault.key", tmp_path / "secrets")
    assert await fresh.get("broker:u1") == SECRET


async def test_a_secret_another_process_replaced_is_read_again_at_once(
    vault: LocalVault, tmp_path: Path
) -> None:
    theirs = LocalVault(tmp_path / "keys" / "vault.key", tmp_path / "secrets")
    await vault.put("broker:u1", b"old token")
    assert await vault.get("broker:u1") == b"old token"  # now cached here

    await theirs.put("broker:u1", b"new token")

    assert await vault.get("broker:u1") == b"new token"


async def test_a_secret_another_process_deleted_is_gone_at_once(
    vault: LocalVault, tmp_path: Path
) -> None:
    theirs = LocalVault(tmp_path / "keys" / "vault.key", tmp_path / "secrets")
    await vault.put("broker:u1", SECRET)
    assert await vault.get("broker:u1") == SECRET

    await theirs.delete("broker:u1")

    assert await vault.get("broker:u1") is None


async def test_a_secret_tampered_after_it_was_read_fails_to_decrypt(
    vault: LocalVault, tmp_path: Path
) -> None:
    await vault.put("broker:u1", SECRET)
    assert await vault.get("broker:u1") == SECRET
    path = tmp_path / "secrets" / "broker:u1.enc"
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 0x01
    forged = path.with_name("forged")
    forged.write_bytes(bytes(blob))

    os.replace(forged, path)

    with pytest.raises(SecretUnreadable, match="broker:u1"):
        await vault.get("broker:u1")


async def test_a_secret_restored_in_place_with_its_old_times_is_read_again_at_once(
    vault: LocalVault, tmp_path: Path
) -> None:
    # `cp -p` or `rsync --inplace` from a backup (or a filesystem with coarse times) leaves the
    # inode, size and modification time as they were: the content changed all the same.
    elsewhere = LocalVault(tmp_path / "keys" / "vault.key", tmp_path / "backup")
    await elsewhere.put("broker:u1", b"token-BBBB")
    await vault.put("broker:u1", b"token-AAAA")
    assert await vault.get("broker:u1") == b"token-AAAA"  # now cached here
    path = tmp_path / "secrets" / "broker:u1.enc"
    before = path.stat()

    with path.open("r+b") as file:
        file.write((tmp_path / "backup" / "broker:u1.enc").read_bytes())
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))

    after = path.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (
        before.st_ino,
        before.st_size,
        before.st_mtime_ns,
    )
    assert await vault.get("broker:u1") == b"token-BBBB"
