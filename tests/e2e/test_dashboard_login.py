"""Telegram login from a real browser: the API, served on 127.0.0.1 with a local JWKS standing in
for Telegram, answers 401 to forged, tampered, expired, wrong-audience, wrong-issuer and
replayed logins, and a token to a genuine one."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import uvicorn

from api_world import ApiWorld
from browser import browser_page
from oidc_server import FakeTelegram, new_key
from signal_copier.api import Limits, create_app
from signal_copier.auth.telegram import TelegramSignIn
from signal_copier.stack.emulators import free_port

pytestmark = pytest.mark.browser


@pytest.fixture
def login_server(tmp_path: object) -> Iterator[tuple[str, FakeTelegram, ApiWorld]]:
    world = ApiWorld(tmp_path, Limits(login_per_ip=100))  # type: ignore[arg-type]
    telegram = FakeTelegram()
    sign_in = TelegramSignIn(telegram.oidc(), world.store)
    ports = world.ports.__class__(
        **{**_fields(world.ports), "sign_in": sign_in, "clock": lambda: datetime.now(UTC)}
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(ports), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.05)
    try:
        yield f"http://127.0.0.1:{port}", telegram, world
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _fields(ports: object) -> dict[str, object]:
    return {name: getattr(ports, name) for name in ports.__slots__}  # type: ignore[attr-defined]


CALLBACK = """async ([code, state]) => {
  const r = await fetch('/api/auth/telegram/callback', {method: 'POST',
    headers: {'Content-Type': 'application/json'}, body: JSON.stringify({code, state})});
  return [r.status, await r.json()];
}"""
START = "async () => (await fetch('/api/auth/telegram/start', {method: 'POST'})).json()"


def test_bad_telegram_logins_get_401_in_the_browser_and_a_good_one_a_token(
    login_server: tuple[str, FakeTelegram, ApiWorld],
) -> None:
    url, telegram, world = login_server
    cases = {
        "forged": {"key": new_key()},
        "expired": {"exp": 1_000_000, "iat": 999_000},
        "wrong-audience": {"aud": "another-bot"},
        "wrong-issuer": {"iss": "https://evil.example"},
        "wrong-nonce": {"nonce": "replayed-from-another-login"},
    }
    statuses = {}
    with browser_page() as page:
        page.goto(url + "/api/config")
        for name, token in cases.items():
            started = page.evaluate(START)
            nonce = _nonce(world, started["state"])
            telegram.tokens[name] = telegram.id_token(str(token.pop("nonce", nonce)), **token)
            statuses[name] = page.evaluate(CALLBACK, [name, started["state"]])[0]
        started = page.evaluate(START)
        telegram.tokens["good"] = telegram.id_token(_nonce(world, started["state"]))
        good = page.evaluate(CALLBACK, ["good", started["state"]])
        telegram.tokens["again"] = telegram.id_token("whatever")
        replayed = page.evaluate(CALLBACK, ["again", started["state"]])

    assert statuses == dict.fromkeys(cases, 401)
    assert good[0] == 200 and good[1]["user_id"] == "tg424242"
    assert replayed[0] == 401


def _nonce(world: ApiWorld, state: str) -> str:
    # The server-kept nonce, which Telegram embeds in the ID token it issues for this login.
    rows = world.store._rows("SELECT data FROM nonces WHERE nonce = ?", (f"oidc:{state}",))
    return str(json.loads(rows[0][0])["nonce"])
