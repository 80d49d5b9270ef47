"""Private local files: folders 0700, files 0600 whatever the umask, written atomically.

Local state (the database, the vault, the paper account) is one user's business: nobody else
on the machine reads it, not even between a file's creation and a chmod.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from signal_copier.core.errors import InvalidSettings

FOLDER_MODE = 0o700
FILE_MODE = 0o600


class FolderUnusable(InvalidSettings):
    """A data folder is a file, cannot be created, or cannot be written: choose another one."""


def private_folder(folder: Path) -> Path:
    """Create `folder` if missing, it and every parent it creates 0700; return it.

    An existing folder keeps its mode (it may be the user's own); FolderUnusable names the path
    when it is a file, cannot be created or cannot be written.
    """
    if folder.is_dir():
        return folder
    missing = [folder, *(p for p in folder.parents if not p.exists())]
    for level in reversed(missing):
        if level.exists() and not level.is_dir():
            raise FolderUnusable(f"{level} is a file, not a folder: choose another data_dir")
        try:
            level.mkdir(mode=FOLDER_MODE)
            os.chmod(level, FOLDER_MODE)  # mkdir's mode is filtered by the umask
        except FileExistsError:
            if not level.is_dir():
                raise FolderUnusable(f"{level} is a file, not a folder") from None
        except OSError as e:
            raise FolderUnusable(f"cannot create the folder {level}: {e.strerror}") from e
    return folder


def private_file(path: Path) -> None:
    """Create `path` empty if missing and make it 0600 (FolderUnusable names it if it cannot)."""
    private_folder(path.parent)
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    except OSError as e:
        raise FolderUnusable(f"cannot write {path}: {e.strerror}") from e
    try:
        if stat.S_IMODE(os.fstat(descriptor).st_mode) != FILE_MODE:
            os.fchmod(descriptor, FILE_MODE)
    except OSError as e:
        raise FolderUnusable(f"cannot make {path} private (chmod 600): {e.strerror}") from e
    finally:
        os.close(descriptor)


def tighten(path: Path) -> None:
    """Make an existing file 0600 (nothing if it does not exist)."""
    try:
        if stat.S_IMODE(path.stat().st_mode) != FILE_MODE:
            os.chmod(path, FILE_MODE)
    except FileNotFoundError:
        return
    except OSError as e:
        raise FolderUnusable(f"cannot make {path} private (chmod 600): {e.strerror}") from e


def write_new(path: Path, data: bytes) -> None:
    """Write a file that must not exist yet, 0600 from its first byte, and flush it to disk."""
    # O_EXCL with 0600 from the start: the file is never readable by others, not even briefly.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(descriptor, "wb") as file:
        os.fchmod(file.fileno(), FILE_MODE)  # a umask like 0277 would leave it unwritable
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


def temporary_beside(path: Path) -> Path:
    """Return a fresh hidden temporary name in `path`'s folder (same file system: atomic moves)."""
    return path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically: readers see the old file or the new, never half."""
    private_folder(path.parent)
    temporary = temporary_beside(path)
    try:
        write_new(temporary, data)
        os.replace(temporary, path)
    except OSError as e:
        raise FolderUnusable(f"cannot write {path}: {e.strerror}") from e
    finally:
        temporary.unlink(missing_ok=True)
