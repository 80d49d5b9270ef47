"""Where a local run stopped: the paper account and the last replay line done, in data_dir.

One file (`paper.json`, 0600, replaced atomically) holds both, so they always agree. The store
remembers the messages; this file remembers the paper broker, which lives in memory. A rerun
resumes after the saved line if the replay file still starts with the lines that were done.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from signal_copier.broker.paper import PaperBroker, state
from signal_copier.core.errors import InvalidInput, InvalidSettings
from signal_copier.files import FILE_MODE, FolderUnusable, write_atomic

STATE_FILE = "paper.json"
LOCK_FILE = "run.lock"
FORMAT = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Resumed:
    """A previous run's paper account and how far into the replay it got."""

    broker: PaperBroker
    line: int  # the last replay line it finished


class RunState:
    """The state file of one data_dir for one replay file."""

    def __init__(self, data_dir: Path, replay: Path) -> None:
        self.path = data_dir / STATE_FILE
        self.replay = replay
        try:
            self._replay_bytes = replay.read_bytes()
        except OSError as e:
            raise InvalidInput(f"cannot read {replay}: {e.strerror}") from e

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the data_dir for this run; InvalidSettings if another run holds it.

        Two runs on one data_dir would each trade their own copy of the paper account, and the
        last to save would erase the other's trades.
        """
        lock = self.path.with_name(LOCK_FILE)
        try:
            descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, FILE_MODE)
        except OSError as e:
            raise FolderUnusable(f"cannot write {lock}: {e.strerror}") from e
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise InvalidSettings(
                    f"{self.path.parent} is in use by another run; wait for it or use another "
                    "data_dir"
                ) from None
            yield
        finally:
            os.close(descriptor)  # closing releases the lock

    def load(self) -> Resumed | None:
        """Return the saved run for this replay, or None when there is none.

        InvalidSettings when the state belongs to a replay whose finished lines have changed
        (resuming would skip lines that never ran); InvalidInput when the file is unreadable.
        """
        try:
            text = self.path.read_bytes().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return None
        except OSError as e:
            raise InvalidInput(f"cannot read {self.path}: {e.strerror}") from e
        try:
            saved = json.loads(text)
            if not isinstance(saved, dict) or saved.get("format") != FORMAT:
                raise InvalidInput(f"format: expected {FORMAT}")
            line = saved.get("line")
            if isinstance(line, bool) or not isinstance(line, int) or line < 0:
                raise InvalidInput("line: expected the number of a replay line")
            broker = state.load(saved.get("paper"))
        except (ValueError, RecursionError, InvalidInput) as e:
            raise InvalidInput(
                f"{self.path} is unreadable ({e}); move it away to start the paper account afresh"
            ) from e
        if saved.get("replay_digest") != self._digest(line):
            raise InvalidSettings(
                f"{self.path} is the state of a run over other lines than the first {line} of "
                f"{self.replay}; use another data_dir, or move that file away to start afresh"
            )
        return Resumed(broker=broker, line=line)

    def save(self, line: int, broker: PaperBroker) -> None:
        """Save the paper account and the last replay line done (atomically, 0600)."""
        saved: dict[str, Any] = {
            "format": FORMAT,
            "replay": str(self.replay),
            "line": line,
            "replay_digest": self._digest(line),
            "paper": state.dump(broker),
        }
        write_atomic(self.path, json.dumps(saved, separators=(",", ":")).encode())

    def _digest(self, lines: int) -> str:
        # The first `lines` lines: appending to the file keeps a saved run resumable.
        head = b"\n".join(self._replay_bytes.split(b"\n", lines)[:lines])
        return hashlib.sha256(head).hexdigest()
