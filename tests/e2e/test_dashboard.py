"""The dashboard in headless Chromium, on `signal-copier serve` (local mode): the wizard end to
end, replayed signals appearing without reload, skip reasons, the kill switch, field errors."""

from __future__ import annotations

import re
from typing import Any

import pytest

from browser import browser_page, screenshot, serve
from signal_copier.core.reasons import Reason

pytestmark = pytest.mark.browser
WAIT = 30_000  # ms; Playwright waits for the condition, it is not a timing assertion


def _sign_in(page: Any, links: dict[str, str], then: str) -> None:
    page.goto(links["login"])
    page.wait_for_selector("#nav:not([hidden])")
    page.click(f'#nav a[data-page="{then}"]')


def _fill_wizard(page: Any, links: dict[str, str]) -> None:
    page.goto(links["login"])
    page.wait_for_selector("#broker-form")
    page.fill("#f-account_id", links["paper_account"])
    page.fill("#f-token", "my-metaapi-token")
    page.click("#broker-form button")
    page.wait_for_selector("text=Connected: balance 10000")
    page.fill("#f-phone", "+447700900123")
    page.click("#telegram-form button")
    page.wait_for_selector("#f-code")
    page.fill("#f-code", links["telegram_code"])
    page.click("#telegram-form button")
    page.wait_for_selector("text=Telegram is linked.")


def _wait_checked(page: Any, count: int) -> None:
    # The page's CSP forbids wait_for_function's eval (it fails whenever it must poll): count
    # the checked boxes through a locator instead.
    boxes = page.locator("#chat-list input:checked")
    for _ in range(100):
        if boxes.count() == count:
            return
        page.wait_for_timeout(100)
    assert boxes.count() == count


def test_onboarding_wizard_end_to_end_then_a_replayed_signal_appears_without_reload() -> None:
    with serve() as links, browser_page() as page:
        _fill_wizard(page, links)
        # One at a time: following a chat redraws the list, and a click during the redraw lands
        # on the box being replaced.
        page.check('#chat-list input[data-chat="@goldsignals"]')
        _wait_checked(page, 1)
        page.check('#chat-list input[data-chat="-1001234567890"]')
        _wait_checked(page, 2)
        page.fill("#risk-lot", "0.20")
        page.fill("#risk-max_signal_age_s", "300")
        page.wait_for_selector("#preview-orders li")
        preview = page.inner_text("#preview")
        page.click("#risk-save")
        page.wait_for_selector("text=Saved.")
        screenshot(page, "setup")
        page.click("#wizard-start")
        page.wait_for_url(re.compile(r"#/trades$"))
        page.wait_for_selector('#trades tr[data-status="placed"]', timeout=WAIT)
        screenshot(page, "trades")
        trades = page.inner_text("#trades")
        page.click('#nav a[data-page="log"]')
        page.wait_for_selector('#signal-log tr[data-kind="open"]', timeout=WAIT)
        screenshot(page, "signal-log")
        page.click('#nav a[data-page="account"]')
        page.wait_for_selector("#balance")
        screenshot(page, "account")
        page.click('#nav a[data-page="activity"]')
        page.wait_for_selector("#activity td")
        screenshot(page, "activity")
        activity = page.inner_text("#activity")

    assert "0.2" in preview  # the live preview sized the sample with the lot being typed
    assert "XAUUSD" in trades and "BUY NOW" in trades  # each trade beside its message
    for action in ("credentials saved", "telegram linked", "channel followed", "started"):
        assert action in activity
    assert "my-metaapi-token" not in activity


def test_a_skipped_message_shows_its_reason_in_trades_and_the_signal_log() -> None:
    with serve("--ready", pace="0.1") as links, browser_page() as page:
        _sign_in(page, links, "trades")
        row = page.wait_for_selector('#trades tr[data-status="skipped"]', timeout=WAIT)
        reason = row.inner_text()
        page.click('#nav a[data-page="log"]')
        page.wait_for_selector("#signal-log .outcomes li.skipped", timeout=WAIT)
        page.wait_for_selector("#signal-log >> text=nothing (", timeout=WAIT)  # chatter, too
        logged = page.inner_text("#signal-log")
        screenshot(page, "signal-log-skips")

    shown = "|".join(r.value.replace("_", " ") for r in Reason if r.value)
    assert re.search(rf"skipped\s*({shown})", reason)
    assert "nothing (chatter)" in logged or "nothing (" in logged


def test_kill_switch_asks_for_confirmation_then_pauses_copying() -> None:
    with serve("--ready", pace="0.1") as links, browser_page() as page:
        _sign_in(page, links, "account")
        page.wait_for_selector("#state-badge:has-text('copying')")
        page.click("#kill")
        _type_and_go(page, "kill", "yes")
        page.wait_for_selector('#kill-form [data-error-for="confirm"]:has-text("KILL")')
        badge_before = page.inner_text("#state-badge")
        screenshot(page, "kill-switch-confirm")
        _type_and_go(page, "kill", "KILL")
        page.wait_for_selector("#state-badge:has-text('paused: kill switch')", timeout=WAIT)
        page.wait_for_selector("#account:has-text('No copied positions are open.')", timeout=WAIT)
        screenshot(page, "kill-switch-done")

    assert badge_before == "copying"


def test_disconnect_asks_for_confirmation_then_the_account_shows_no_broker() -> None:
    with serve("--ready", pace="0.1") as links, browser_page() as page:
        _sign_in(page, links, "account")
        page.wait_for_selector("#balance")
        page.wait_for_selector("#state-badge:has-text('copying')")
        # The facts are drawn again on every update of the fast replay; the button must not be
        # (a button replaced between press and release loses the click).
        page.evaluate("document.getElementById('broker-disconnect').dataset.mark = 'first'")
        updates = page.inner_text("#live")
        for _ in range(100):  # the page's CSP forbids wait_for_function's eval: poll instead
            if page.inner_text("#live") != updates:
                break
            page.wait_for_timeout(100)
        kept = page.get_attribute("#broker-disconnect", "data-mark")
        page.click("#broker-disconnect")
        warning = page.inner_text("#disconnect-dialog")
        _type_and_go(page, "disconnect", "yes")
        page.wait_for_selector('#disconnect-form [data-error-for="confirm"]:has-text("DISCONNECT")')
        still = page.inner_text("#account")
        screenshot(page, "disconnect-confirm")
        _type_and_go(page, "disconnect", "DISCONNECT")
        page.wait_for_selector("#no-broker", timeout=WAIT)
        page.wait_for_selector(
            "#state-badge:has-text('paused: broker not connected')", timeout=WAIT
        )
        resume_hidden = page.is_hidden("#resume")
        disconnect_gone = page.is_hidden("#broker-disconnect")
        screenshot(page, "disconnect-done")
        page.click('#nav a[data-page="activity"]')
        page.wait_for_selector("#activity >> text=credentials removed", timeout=WAIT)

    assert "not closed or changed" in warning  # the trader is told open positions stay
    assert kept == "first"  # the same button across live updates
    assert "Balance" in still  # a wrong confirmation removed nothing
    assert resume_hidden and disconnect_gone


def test_unlink_telegram_asks_for_confirmation_then_shows_it_unlinked() -> None:
    with serve() as links, browser_page() as page:
        _fill_wizard(page, links)
        page.check('#chat-list input[data-chat="@goldsignals"]')
        _wait_checked(page, 1)
        page.click("#telegram-unlink")
        warning = page.inner_text("#unlink-dialog")
        _type_and_go(page, "unlink", "UNLINK")
        page.wait_for_selector("#telegram-status:has-text('Telegram is not linked')", timeout=WAIT)
        page.wait_for_selector("#bot:has-text('Telegram: unlinked')", timeout=WAIT)
        page.wait_for_selector("#chat-list >> text=No chats yet", timeout=WAIT)
        told = page.inner_text("#telegram-status")
        screenshot(page, "telegram-unlinked")
        page.fill("#f-phone", "+447700900123")
        page.click("#telegram-form button")
        page.fill("#f-code", links["telegram_code"])
        page.click("#telegram-form button")
        page.wait_for_selector("text=Telegram is linked.")
        page.wait_for_selector('#chat-list input[data-chat="@goldsignals"]', timeout=WAIT)
        refollowable = not page.is_checked('#chat-list input[data-chat="@goldsignals"]')

    assert "Positions already open on your account are not touched" in warning
    assert "1 channel was unfollowed" in told
    assert refollowable  # linked again: the chats are listed, none followed


def test_a_validation_error_is_shown_next_to_its_field() -> None:
    with serve() as links, browser_page() as page:
        _fill_wizard(page, links)
        page.fill("#risk-lot", "-1")
        page.click("#risk-save")
        error = page.wait_for_selector('[data-error-for="lot"]:not(:empty)')
        message = error.inner_text()
        beside = page.evaluate(
            "document.querySelector('[data-error-for=\"lot\"]').parentElement"
            ".querySelector('input').id"
        )
        screenshot(page, "validation-error")

    assert "greater than 0" in message
    assert beside == "risk-lot"


def _type_and_go(page: Any, dialog: str, word: str) -> None:
    """Type `word` into a typed-confirmation dialog and press its button."""
    page.fill(f"#{dialog}-confirm", word)
    page.click(f"#{dialog}-go")
