"""Local vault: AES-256-GCM secrets in files, under a key file only this user can read."""

from __future__ import annotations

import os
import re
import secrets
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from signal_copier.core.errors import CredentialsMissing, InvalidInput
from signal_copier.core.reasons import Reason

if TYPE_CHECKING:
    from signal_copier.core.ports import Vault

KEY_BYTES = 32
NONCE_BYTES = 12
_TAG_BYTES = 16
_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,128}")


class InsecureKeyFile(CredentialsMissing):
    """The vault key file can be read by other users; secrets stay locked until it is fixed."""

    reason = Reason.VAULT_KEY_INSECURE


class SecretUnreadable(CredentialsMissing):
    """A stored secret failed to decrypt (tampered, corrupt or under another key): reconnect."""

    reason = Reason.SECRET_UNREADABLE


class LocalVault:
    """The `Vault` port on local files: `<name>.enc` = 12-byte nonce || ciphertext, AAD = name."""

    def __init__(self, key_path: Path, data_dir: Path) -> None:
        self._key_path = Path(key_path)
        self._data_dir = Path(data_dir)
        self._aead: AESGCM | None = None  # loaded on first use

    def __repr__(self) -> str:
        return f"LocalVault(key_path={str(self._key_path)!r}, data_dir={str(self._data_dir)!r})"

    async def put(self, name: str, secret: bytes) -> None:
        """Encrypt and store a secret, replacing any previous one atomically."""
        path = self._path(name)
        if not isinstance(secret, bytes):
            raise InvalidInput(f"secret {name!r} must be bytes")
        nonce = secrets.token_bytes(NONCE_BYTES)
        blob = nonce + self._cipher().encrypt(nonce, secret, name.encode())
        _private_dir(self._data_dir)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        try:
            _write_new(temporary, blob)
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)

    async def get(self, name: str) -> bytes | None:
        """Return a decrypted secret, or None if there is none."""
        path = self._path(name)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            return None
        if len(blob) < NONCE_BYTES + _TAG_BYTES:
            raise SecretUnreadable(f"secret {name!r} is truncated ({path})")
        try:
            return self._cipher().decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], name.encode())
        except InvalidTag as e:
            detail = f"secret {name!r} failed to decrypt: tampered, corrupt or under another key"
            raise SecretUnreadable(detail) from e

    async def delete(self, name: str) -> None:
        """Remove a secret (no-op if there is none)."""
        self._path(name).unlink(missing_ok=True)

    def _path(self, name: str) -> Path:
        if not isinstance(name, str) or not _NAME.fullmatch(name) or name in (".", ".."):
            raise InvalidInput("secret names are 1-128 of A-Z a-z 0-9 _ . : -")
        return self._data_dir / f"{name}.enc"

    def _cipher(self) -> AESGCM:
        if self._aead is None:
            self._aead = AESGCM(_load_or_create_key(self._key_path))
        return self._aead


def _load_or_create_key(path: Path) -> bytes:
    if not path.exists():
        _create_key(path)
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InsecureKeyFile(
            f"vault key {path} is accessible to group or others "
            f"(mode {stat.S_IMODE(mode):03o}); run: chmod 600 {path}"
        )
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise SecretUnreadable(f"vault key {path} has {len(key)} bytes, expected {KEY_BYTES}")
    return key


def _create_key(path: Path) -> None:
    # Write a private temporary file, then link it into place: readers never see a partial key,
    # and if another process won the race, its key is kept.
    _private_dir(path.parent)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        _write_new(temporary, AESGCM.generate_key(bit_length=KEY_BYTES * 8))
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink(missing_ok=True)


def _write_new(path: Path, data: bytes) -> None:
    # O_EXCL with 0600 from the start: the file is never readable by others, not even briefly.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


def _private_dir(path: Path) -> None:
    if not path.is_dir():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)


if TYPE_CHECKING:
    _conforms: Vault = LocalVault(Path("key"), Path("data"))
