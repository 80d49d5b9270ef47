"""The SQLite file and its folder are private whatever the umask; unusable folders are named."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from signal_copier.core.records import UserRecord
from signal_copier.files import FolderUnusable
from signal_copier.store.sqlite import SqliteStore


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """Run with umask 000, the worst a user's shell can have."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("open_umask")
async def test_database_wal_shm_and_data_dir_are_private_under_umask_000(tmp_path: Path) -> None:
    database = tmp_path / "var" / "state" / "copier.sqlite3"

    store = SqliteStore(str(database))
    try:
        await store.put_user(UserRecord(user_id="alice"))
        companions = [database.with_name(database.name + s) for s in ("-wal", "-shm")]
        assert all(c.exists() for c in companions)
        modes = [mode(c) for c in companions]
    finally:
        store.close()

    assert mode(tmp_path / "var") == 0o700 and mode(tmp_path / "var" / "state") == 0o700
    assert mode(database) == 0o600
    assert modes == [0o600, 0o600]


def test_files_an_older_release_left_readable_are_tightened(tmp_path: Path) -> None:
    database = tmp_path / "copier.sqlite3"
    SqliteStore(str(database)).close()
    database.chmod(0o644)

    SqliteStore(str(database)).close()

    assert mode(database) == 0o600


def test_a_data_dir_that_is_a_file_is_named_in_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "var").write_text("oops")

    with pytest.raises(FolderUnusable, match=f"{tmp_path / 'var'} is a file"):
        SqliteStore(str(tmp_path / "var" / "copier.sqlite3"))


def test_a_data_dir_under_a_file_is_named_in_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "var").write_text("oops")

    with pytest.raises(FolderUnusable, match=f"{tmp_path / 'var'}"):
        SqliteStore(str(tmp_path / "var" / "state" / "copier.sqlite3"))


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """Yield an existing folder this process cannot create files in."""
    if os.geteuid() != 0:
        folder = tmp_path / "ro"
        folder.mkdir(mode=0o500)
        yield folder
        folder.chmod(0o700)
        return
    # root writes through any mode: use a file system that refuses everyone (sysfs).
    folder = Path("/sys/kernel")
    try:
        os.close(os.open(folder / "copier-probe", os.O_CREAT | os.O_WRONLY, 0o600))
    except OSError:
        yield folder
        return
    pytest.skip("no folder here refuses root's writes")


def test_a_read_only_data_dir_is_reported_with_its_path(read_only_dir: Path) -> None:
    database = read_only_dir / "copier.sqlite3"

    with pytest.raises(FolderUnusable, match=f"cannot write {database}"):
        SqliteStore(str(database))
