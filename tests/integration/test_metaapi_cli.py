"""`run --config` with a MetaAPI account, and `credentials set|delete` for its token."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from fakes.metaapi import FakeSdk
from fakes.mt5 import Mt5Server
from signal_copier.broker.metaapi import Limits, MetaApiBroker
from signal_copier.broker.paper import PaperBroker
from signal_copier.cli import main
from signal_copier.cli.credentials import read_token
from signal_copier.cli.live import replay_on_metaapi
from signal_copier.config import Settings
from signal_copier.core.errors import InvalidInput
from signal_copier.runconfig import load_run_config
from signal_copier.telegram import replay
from signal_copier.vault.local import LocalVault

TOKEN = "eyJhbGciOiJSUzUxMiJ9.payload-0123456789.signature_-abc"
CONTRACT = {"users", "messages", "signals", "commands", "ignored", "latency_ms"}


def _write_config(folder: Path, broker: dict[str, object], start: datetime) -> Path:
    lines = [
        {"date": start, "chat": -100123, "id": 1, "text": "XAUUSD BUY NOW\nSL 2640\nTP 2660"},
        {"date": start + timedelta(seconds=2), "chat": -100123, "id": 2, "text": "Close half",
         "reply_to": 1},
    ]  # fmt: skip
    text = "\n".join(json.dumps({**line, "date": line["date"].isoformat()}) for line in lines)
    (folder / "channel.jsonl").write_text(text + "\n", encoding="utf-8")
    config = {
        "replay": "channel.jsonl",
        "data_dir": "var",
        "user_id": "me",
        "broker": broker,
        "settings": {"lot": "0.20", "max_signal_age_s": 60},
    }
    path = folder / "run.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def _metaapi(folder: Path, start: datetime) -> Path:
    return _write_config(folder, {"kind": "metaapi", "account_id": "mt5-live-1"}, start)


def _set_token(monkeypatch: pytest.MonkeyPatch, config: Path, token: str = TOKEN) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(token + "\n"))
    return main(["credentials", "set", "--config", str(config)])


def test_credentials_set_stores_the_token_encrypted_and_never_prints_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _metaapi(tmp_path, datetime.now(UTC))
    assert _set_token(monkeypatch, config) == 0
    vault = LocalVault(tmp_path / "var" / "vault.key", tmp_path / "var" / "secrets")
    assert asyncio.run(vault.get("metaapi.token")) == TOKEN.encode()
    out = capsys.readouterr()
    assert TOKEN not in out.out + out.err and "mt5-live-1" in out.out
    stored = b"".join(p.read_bytes() for p in (tmp_path / "var").rglob("*") if p.is_file())
    assert TOKEN.encode() not in stored


def test_credentials_delete_removes_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _metaapi(tmp_path, datetime.now(UTC))
    _set_token(monkeypatch, config)
    assert main(["credentials", "delete", "--config", str(config)]) == 0
    vault = LocalVault(tmp_path / "var" / "vault.key", tmp_path / "var" / "secrets")
    assert asyncio.run(vault.get("metaapi.token")) is None


def test_credentials_for_a_paper_config_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _write_config(tmp_path, {"kind": "paper"}, datetime.now(UTC))
    assert _set_token(monkeypatch, config) == 2
    assert "broker.kind must be 'metaapi'" in capsys.readouterr().err


def test_a_token_in_the_config_file_is_refused(tmp_path: Path) -> None:
    config = _write_config(
        tmp_path, {"kind": "metaapi", "account_id": "a1", "token": TOKEN}, datetime.now(UTC)
    )
    assert main(["run", "--config", str(config)]) == 2


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_hidden_prompt() -> None:
    asked: list[str] = []
    token = read_token(Tty(), lambda prompt: asked.append(prompt) or f"  {TOKEN} ")
    assert token == TOKEN and asked == ["MetaAPI token: "]


@pytest.mark.parametrize("typed", ["", "   ", "two words", "caf\u00e9", "x" * 9000])
def test_a_token_that_is_not_one_is_refused(typed: str) -> None:
    with pytest.raises(InvalidInput):
        read_token(io.StringIO(typed + "\n"))


def test_run_without_a_stored_token_says_how_to_store_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _metaapi(tmp_path, datetime.now(UTC))
    assert main(["run", "--config", str(config)]) == 2
    assert "signal-copier credentials set --config" in capsys.readouterr().err


async def _replay(tmp_path: Path, start: datetime, monkeypatch: pytest.MonkeyPatch) -> tuple:
    path = _metaapi(tmp_path, start)
    await asyncio.to_thread(_set_token, monkeypatch, path)
    config = load_run_config(path)
    paper = PaperBroker(now=datetime.now(UTC))
    account = paper.open_account("mt5-live-1", balance=Decimal(10_000))
    sdk = FakeSdk(Mt5Server(paper))
    broker = MetaApiBroker(sdk=sdk, limits=Limits(close_grace=0), now=lambda: paper.now)
    settings = replace(Settings(), data_dir=config.data_dir)
    result = await replay_on_metaapi(config, settings, replay.load(config.replay), broker)
    await broker.aclose()
    return result, account, sdk


async def test_run_trades_a_fresh_channel_file_on_the_metaapi_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, account, sdk = await _replay(tmp_path, datetime.now(UTC), monkeypatch)
    assert set(result) >= CONTRACT and (result["signals"], result["commands"]) == (1, 1)
    row = result["users"]["me"]
    assert (row["orders_placed"], row["positions_closed_partially"], row["open_positions"]) == (
        1,
        1,
        1,
    )
    assert [p.volume for p in await account.positions()] == [Decimal("0.1")]
    assert sdk.apis[0].closed


async def test_run_skips_an_old_channel_file_as_stale_on_the_real_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = datetime(2026, 1, 5, 9, tzinfo=UTC)
    result, account, sdk = await _replay(tmp_path, old, monkeypatch)
    assert result["users"]["me"]["skipped"].get("stale_signal") == 1
    assert await account.positions() == [] and sdk.server.trades == []
