"""The cloud data module (web/data-cloud.js) in headless Chromium against the Firestore emulator
with a test token: the user's trades and a followed chat's log arrive through listeners and
update without reload; a chat the user does not follow is refused by firestore.rules.

The Firebase JS SDK is the pinned `firebase` npm package's three modules, vendored under
tests/vendor/ (see its README) and served at Hosting's reserved /__/firebase/ URLs, as Firebase
Hosting would.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from browser import browser_page, screenshot
from conftest import repo_root
from signal_copier.stack.emulators import Emulators, free_port

pytestmark = pytest.mark.browser
FIREBASE = "13.2.0"
FILES = ("firebase-app.js", "firebase-firestore.js", "firebase-auth.js")
HARNESS = f"""<!doctype html><html><head><meta charset="utf-8">
<script type="importmap">{{"imports":{{"https://www.gstatic.com/firebasejs/{FIREBASE}/firebase-app.js":"/__/firebase/{FIREBASE}/firebase-app.js"}}}}</script>
</head><body><h1>cloud data module</h1><pre id="out"></pre></body></html>"""


def _firebase_sdk() -> Path:
    sdk = repo_root() / "tests" / "vendor" / f"firebase-{FIREBASE}"
    missing = [name for name in FILES if not (sdk / name).exists()]
    assert not missing, f"vendored Firebase JS SDK incomplete, missing {missing} under {sdk}"
    return sdk


@pytest.fixture
def site() -> Iterator[str]:
    sdk = _firebase_sdk()
    app = Starlette(
        routes=[
            Route("/harness.html", lambda request: HTMLResponse(HARNESS)),
            Mount(f"/__/firebase/{FIREBASE}", app=StaticFiles(directory=sdk)),
            Mount("/", app=StaticFiles(directory=repo_root() / "web")),
        ]
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _put(emulators: Emulators, path: str, data: dict[str, object]) -> None:
    url = (
        f"http://{emulators.firestore}/v1/projects/{emulators.project}"
        f"/databases/(default)/documents/{path}"
    )
    fields = {key: _value(value) for key, value in data.items()}
    request = urllib.request.Request(
        url,
        data=json.dumps({"fields": fields}).encode(),
        method="PATCH",
        headers={"Authorization": "Bearer owner", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


def _value(value: object) -> dict[str, object]:
    if isinstance(value, bool):
        return {"booleanValue": value}
    if isinstance(value, int):
        return {"integerValue": str(value)}
    if isinstance(value, dict):
        return {"mapValue": {"fields": {k: _value(v) for k, v in value.items()}}}
    return {"stringValue": str(value)}


def _trade(intent_id: str, message_id: int, at: str) -> dict[str, object]:
    return {
        "intent": {"id": intent_id, "kind": "open", "chat_id": "-100777", "message_id": message_id,
                   "version": 0, "user_id": "tg1001"},
        "result": {"status": "placed", "symbol": "XAUUSD", "reason": ""},
        "recorded_at": at,
    }  # fmt: skip


CONNECT = """async ([port, project]) => {
  const { connect } = await import('/data-cloud.js');
  const data = await connect({
    firebaseConfig: { projectId: project, apiKey: 'test-api-key', appId: '1:1:web:1' },
    userId: 'tg1001', getToken: async () => '',
    emulator: { host: '127.0.0.1', port, mockUserToken: { user_id: 'tg1001' } },
  });
  window.seen = { trades: [], log: [], denied: null };
  data.watch('trades', {}, (v, e) =>
    window.seen.trades.push(v ? v.trades.map((t) => t.intent_id) : 'error'));
  data.watch('log', { chat: '-100777' }, (v, e) =>
    window.seen.log.push(v ? v.entries.map((x) => `${x.text}|${x.outcomes.length}`) : 'error'));
  data.watch('log', { chat: '-100888' }, (v, e) => {
    window.seen.denied = e ? e.code : 'allowed';
  });
}"""


def test_cloud_data_module_reads_own_data_live_and_is_refused_the_rest(
    firestore_emulator: Emulators, site: str
) -> None:
    firestore_emulator.load_rules((repo_root() / "firestore.rules").read_text())
    _put(firestore_emulator, "users/tg1001/channels/-100777", {"overrides": {}})
    _put(firestore_emulator, "users/tg1001/trades/t1", _trade("t1", 5, "2026-01-05T09:00:00Z"))
    log = {"message_id": 5, "version": 0, "kind": "open", "text": "XAUUSD BUY 2650"}
    _put(firestore_emulator, "chats/-100777/log/-100777:5:0", log)
    _put(firestore_emulator, "chats/-100888/log/-100888:1:0", {**log, "message_id": 1})
    port = int(firestore_emulator.firestore.rsplit(":", 1)[1])

    with browser_page() as page:
        page.goto(site + "/harness.html")
        page.evaluate(CONNECT, [port, firestore_emulator.project])
        page.wait_for_function("window.seen.denied !== null && window.seen.trades.length > 0")
        page.wait_for_function("window.seen.log.length > 0")
        _put(firestore_emulator, "users/tg1001/trades/t2", _trade("t2", 6, "2026-01-05T09:05:00Z"))
        page.wait_for_function("window.seen.trades.at(-1).length === 2")
        seen = page.evaluate("window.seen")
        screenshot(page, "cloud-data-module")

    assert seen["trades"][0] == ["t1"]
    assert seen["trades"][-1] == ["t2", "t1"]  # newest first, arrived without reload
    assert seen["log"][-1] == ["XAUUSD BUY 2650|1"]  # the message beside what was done
    assert seen["denied"] == "permission-denied"
