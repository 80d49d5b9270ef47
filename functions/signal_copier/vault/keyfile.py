"""One data key in a local file, for the envelope vault on the emulators and in development.

Production refuses it (config.py): there the data keys live in Secret Manager.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from signal_copier.vault.local import InsecureKeyFile, SecretUnreadable
from signal_copier.vault.secret_manager import KEY_BYTES, DataKey

VERSION = "file"


class KeyFile:
    """The `DataKeys` of the envelope vault from a 0600 file (created on first use)."""

    def __init__(self, path: Path) -> None:
        self._path = Path(path)
        self._key: DataKey | None = None

    def __repr__(self) -> str:
        return f"KeyFile({str(self._path)!r})"

    async def latest(self, *, fresh: bool = False) -> DataKey:
        """Return the file's key (the only version)."""
        if self._key is None or fresh:
            self._key = DataKey(version=VERSION, key=_load(self._path))
        return self._key

    async def version(self, version: str) -> bytes:
        """Return the key if `version` is the file's; SecretUnreadable otherwise."""
        if version != VERSION:
            raise SecretUnreadable(f"data key version {version!r} is not in {self._path}")
        return (await self.latest()).key


def _load(path: Path) -> bytes:
    if not path.exists():
        _create(path)
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InsecureKeyFile(f"data key {path} is accessible to others; run: chmod 600 {path}")
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise SecretUnreadable(f"data key {path} has {len(key)} bytes, expected {KEY_BYTES}")
    return key


def _create(path: Path) -> None:
    # Write a private temporary file, then link it into place: a reader never sees a partial
    # key, and if another process won the race, its key is kept.
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.urandom(8).hex()}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(os.urandom(KEY_BYTES))
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink(missing_ok=True)
