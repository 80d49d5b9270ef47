"""A replayed channel through `demo --json`: its lines, and the per-user summary it prints."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from signal_copier import cli

Row = dict[str, Any]


def replay(tmp_path: Path, capsys: pytest.CaptureFixture[str], lines: list[Row]) -> Row:
    """Run `demo --json --replay` over `lines`; return its whole JSON summary."""
    channel = tmp_path / "c.jsonl"
    channel.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    assert cli.main(["demo", "--json", "--replay", str(channel)]) == 0
    summary: Row = json.loads(capsys.readouterr().out)
    return summary


def replay_users(tmp_path: Path, capsys: pytest.CaptureFixture[str], lines: list[Row]) -> Row:
    """Run `demo --json --replay` over `lines`; return each user's part of the summary."""
    users: Row = replay(tmp_path, capsys, lines)["users"]
    return users


@dataclass(frozen=True, slots=True)
class Channel:
    """A channel's replay lines on one day."""

    day: str  # "2026-11-04"
    chat: str  # "@qa12"

    def say(self, at: str, id: int, text: str, reply: int | None = None) -> Row:
        """Return the channel posting `text` at `at` (HH:MM:SS, UTC)."""
        return {
            "date": f"{self.day}T{at}Z",
            "chat": self.chat,
            "id": id,
            "text": text,
            "reply_to": reply,
        }

    def quote(self, at: str, symbol: str, bid: str, ask: str) -> Row:
        """Return a price line for `symbol` at `at`."""
        return {"date": f"{self.day}T{at}Z", "quote": {symbol: [bid, ask]}}
