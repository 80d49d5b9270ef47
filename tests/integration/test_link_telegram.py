"""`run --config` takes a live Telegram source; `link-telegram` links the session it uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from signal_copier.cli.telegram import link
from signal_copier.core.dashboard import LoginStage
from signal_copier.core.errors import InvalidSettings
from signal_copier.core.fleet import session_secret_name
from signal_copier.runconfig import load_run_config
from signal_copier.store.sqlite import SqliteStore
from signal_copier.telegram.telethon import TelethonLogin
from signal_copier.vault.local import LocalVault
from telethon_network import FakeTelegram


def _config(tmp_path: Path, body: dict[str, object]) -> Path:
    path = tmp_path / "run.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def test_a_telegram_source_names_its_chats(tmp_path: Path) -> None:
    source = {"kind": "telegram", "chats": ["-1001234567890", "-4001"]}
    config = load_run_config(_config(tmp_path, {"source": source, "data_dir": "var"}))
    assert config.replay is None and config.source is not None
    assert config.source.chats == ["-1001234567890", "-4001"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"replay": "x.jsonl", "source": {"kind": "telegram", "chats": ["-1001"]}},
        {"source": {"kind": "telegram", "chats": []}},
        {"source": {"kind": "telegram", "chats": ["@goldsignals"]}},
    ],
    ids=["neither", "both", "no-chats", "username"],
)
def test_a_run_config_needs_exactly_one_source(tmp_path: Path, body: dict[str, object]) -> None:
    with pytest.raises(InvalidSettings):
        load_run_config(_config(tmp_path, body))


def test_a_live_source_with_a_metaapi_broker_is_refused_naming_the_field(tmp_path: Path) -> None:
    # The live source trades the paper broker: a MetaAPI account there would be silently unused.
    body = {
        "source": {"kind": "telegram", "chats": ["-1001"]},
        "broker": {"kind": "metaapi", "account_id": "acc-1"},
    }

    with pytest.raises(InvalidSettings, match=r"broker\.kind: a live Telegram source"):
        load_run_config(_config(tmp_path, body))


async def test_link_telegram_asks_code_and_password_and_records_the_session(tmp_path: Path) -> None:
    server = FakeTelegram(password="s3cret")
    vault = LocalVault(tmp_path / "vault.key", tmp_path / "secrets")
    store = SqliteStore(":memory:")
    login = TelethonLogin(vault, store, 1, "0" * 32, client_class=server.client_class())
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return "12345"

    def secret(prompt: str) -> str:
        prompts.append(prompt)
        return "s3cret"

    done = await link(login, "me", "+15551234567", ask, secret)

    assert done.stage is LoginStage.LINKED
    assert prompts == [
        "Code (the code was sent via app): ",
        "Two-step verification password (hint: pet): ",
    ]
    assert await store.session_count() == 1
    assert await vault.get(session_secret_name("me")) is not None
    store.close()
